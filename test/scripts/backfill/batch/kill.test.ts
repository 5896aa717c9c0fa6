import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchSummary } from '../../../../scripts/backfill/batch/summary.ts';
import { pollUntil, type System, startSystem } from '../../../helpers/system.ts';
import { duplicates } from '../helpers.ts';
import { makeImages, putQuietly } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** `npm run backfill -- --mode batch ...` as a child process (tsx as a loader: a SIGKILL hits the command itself). */
function backfill(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; exit: Promise<string>; code: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/backfill.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_FORMAT: 'json', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', () => {});
  const code = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { child, exit: code.then(() => stdout), code };
}

let system: System;

beforeAll(async () => {
  // Slow records: each job of 100 runs about a second, long enough to kill the command while jobs run.
  system = await startSystem({ bedrock: { batch: { stepMs: 10, recordDelayMs: 20, recordConcurrency: 2 } } });
});

afterAll(async () => {
  await system?.close();
});

describe('backfill --mode batch, killed and started again', () => {
  it('submits no job twice and catalogues every image once', async () => {
    await putQuietly(system, await makeImages('kill/', 300));
    const args = ['--bucket', system.stack.bucket, '--prefix', 'kill/', '--mode', 'batch'];
    args.push('--max-records-per-job', '100', '--max-jobs', '2', '--poll-seconds', '0.05');
    const env = system.stack.env;
    const recordsBefore = system.stack.bedrock?.stats().batchRecords ?? 0;

    const first = backfill(args, env);
    await pollUntil(
      () => system.stack.bedrock?.batchJobs().some((j) => j.status === 'InProgress'),
      'a batch job running',
      60_000,
    );
    first.child.kill('SIGKILL');
    await first.exit;
    const atKill = system.stack.bedrock?.batchJobs() ?? [];
    // Killed mid-run: some job had not ended (or not even been submitted).
    const ended = atKill.filter((j) => ['Completed', 'PartiallyCompleted'].includes(j.status));
    expect(ended.length).toBeLessThan(3);

    const out = await backfill(args, env).exit;
    const summary = (JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { batch: BatchSummary }).batch;
    expect(summary.outcome).toBe('complete');
    const jobs = (system.stack.bedrock?.batchJobs() ?? []).filter((j) => j.jobName.includes(summary.runId));
    expect(jobs).toHaveLength(3);
    expect(duplicates(jobs.map((j) => j.jobName))).toEqual([]);
    expect(summary.written).toBe(300);
    expect(summary.fallbacks.total).toBe(0);
    const items = (await system.items()).filter((i) => i.key.startsWith('kill/'));
    expect(items).toHaveLength(300);
    expect(items.every((i) => i.status === 'catalogued' && i.pricing === 'batch')).toBe(true);
    // Every image answered exactly once across both runs.
    expect((system.stack.bedrock?.stats().batchRecords ?? 0) - recordsBefore).toBe(300);
  }, 240_000);

  it('exits 2 on an unknown --mode and 3 without BATCH_BUCKET or BATCH_ROLE_ARN', async () => {
    const env = system.stack.env;
    const base = ['--bucket', system.stack.bucket, '--prefix', 'none/'];
    expect(await backfill([...base, '--mode', 'fast'], env).code).toBe(2);
    const { BATCH_BUCKET: _b, BATCH_ROLE_ARN: _r, ...without } = env;
    expect(
      await backfill([...base, '--mode', 'batch'], { ...without, BATCH_BUCKET: '', BATCH_ROLE_ARN: '' }).code,
    ).toBe(3);
  }, 60_000);
});
