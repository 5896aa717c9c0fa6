import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReconcileReport } from '../../../scripts/backfill/reconcile/report.ts';
import { normaliseETag } from '../../../shared/messages.ts';
import { fixture, pollUntil, type System, startSystem } from '../../helpers/system.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `npm run backfill -- --reconcile ...` as a child process on the stack's environment. */
function reconcile(args: string[], env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts/backfill.ts'), '--reconcile', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, ...env, LOG_FORMAT: 'json', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise<{ code: number | null; stdout: string; stderr: string; report: ReconcileReport }>((resolve) =>
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '{}';
      resolve({
        code,
        stdout,
        stderr,
        report: (JSON.parse(last.startsWith('{') ? last : '{}') as { reconcile: ReconcileReport }).reconcile,
      });
    }),
  );
}

describe('npm run backfill -- --reconcile: lost events repaired', () => {
  let system: System;
  const queued = async () => {
    const { Attributes: a = {} } = await system.stack.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: system.stack.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    return Number(a.ApproximateNumberOfMessages);
  };
  const liveETag = async (key: string) =>
    normaliseETag(
      (await system.stack.clients.s3.send(new HeadObjectCommand({ Bucket: system.stack.bucket, Key: key }))).ETag ?? '',
    );

  beforeAll(async () => {
    system = await startSystem();
    const worker = await system.startWorker();
    await system.put('r/keep.png', fixture('coffee.png'));
    await system.put('r/changed.png', fixture('camera.png'));
    await system.put('r/gone.png', fixture('rocket.jpg'));
    await pollUntil(
      async () => (await system.items()).filter((i) => i.status === 'catalogued').length === 3,
      'three images catalogued',
    );
    await worker.close();
    // Three changes whose events are then dropped on purpose (as a purged queue or a broken notification would).
    await system.put('r/changed.png', fixture('chelsea.png'));
    await system.remove('r/gone.png');
    await system.put('r/new.png', fixture('astronaut.png'));
    await pollUntil(async () => (await queued()) === 3, 'the three events in the queue');
    await system.stack.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: system.stack.queueUrl }));
    await pollUntil(async () => (await queued()) === 0, 'the queue purged');
  });
  afterAll(() => system?.close());

  it('a dry run reports each difference and enqueues nothing', async () => {
    const r = await reconcile(['--bucket', system.stack.bucket, '--dry-run'], system.stack.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report).toMatchObject({ dryRun: true, listed: 3, inSync: 1, missing: 1, outOfDate: 1, gone: 1 });
    expect(r.report.samples).toEqual({ missing: ['r/new.png'], outOfDate: ['r/changed.png'], gone: ['r/gone.png'] });
    expect(r.stdout).toContain('would repair: 1 missing, 1 out of date, 1 gone');
    expect(await queued()).toBe(0);
  });

  it('a reconcile enqueues the repairs; the worker then brings every item to the object', async () => {
    const r = await reconcile(['--bucket', system.stack.bucket, '--progress', 'json'], system.stack.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report).toMatchObject({ enqueued: 3, missing: 1, outOfDate: 1, gone: 1 });
    expect(r.stderr).toContain('reconcile: progress');
    const changedETag = await liveETag('r/changed.png');
    const worker = await system.startWorker();
    await pollUntil(
      async () => {
        const byKey = new Map((await system.items()).map((i) => [i.key, i]));
        return (
          byKey.get('r/changed.png')?.eTag === changedETag &&
          byKey.get('r/changed.png')?.status === 'catalogued' &&
          byKey.get('r/new.png')?.status === 'catalogued' &&
          byKey.get('r/gone.png')?.status === 'removed'
        );
      },
      'every item equal to its object',
      60_000,
    );
    await worker.close();
    const again = await reconcile(['--bucket', system.stack.bucket, '--dry-run'], system.stack.env);
    expect(again.report).toMatchObject({ inSync: 3, missing: 0, outOfDate: 0, gone: 0 });
  }, 120_000);
});
