import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListSummary, RedriveSummary } from '../../../scripts/deadletters/commands.ts';
import { DeadLetterQueue } from '../../../scripts/deadletters/DeadLetterQueue.ts';
import type { WorkerHandle } from '../../../worker/createWorker.ts';
import { fixture, pollUntil, type System, startSystem } from '../../helpers/system.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `npm run deadletters -- args` as a child process on the stack's environment. */
function deadletters(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/deadletters.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_FORMAT: 'json', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise<{ code: number | null; stdout: string; stderr: string; json: Record<string, unknown> }>(
    (resolve) =>
      child.on('close', (code) => {
        const last = stdout.trim().split('\n').pop() ?? '';
        resolve({ code, stdout, stderr, json: last.startsWith('{') ? JSON.parse(last) : {} });
      }),
  );
}

describe('npm run deadletters (the CLI, as a child process, on the local stack)', () => {
  let system: System;
  let dlq: DeadLetterQueue;
  let worker: WorkerHandle;

  beforeAll(async () => {
    // The model fails every call: each image's message fails its one allowed attempt and goes to the DLQ.
    system = await startSystem({ bedrock: { faults: { serviceUnavailableRate: 1 } } });
    dlq = new DeadLetterQueue(system.stack.clients.sqs, system.stack.dlqUrl, system.stack.queueUrl);
    worker = await system.startWorker({ MODEL_MAX_ATTEMPTS: '1', MESSAGE_MAX_ATTEMPTS: '1' });
    await system.put('good/coffee.png', fixture('coffee.png'));
    await system.put('gone/camera.png', fixture('camera.png'));
    await system.stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: system.stack.queueUrl, MessageBody: 'not json at all' }),
    );
    await pollUntil(() => worker.worker.stats.gaveUp === 2 && worker.worker.stats.poison === 1, 'three dead letters');
    await worker.close();
    // While nothing runs, one object goes away: its dead letter is out of date now.
    await system.remove('gone/camera.png');
  });
  afterAll(() => system?.close());

  it('list groups the DLQ by reason and changes nothing', async () => {
    const r = await deadletters(['list'], system.stack.env);
    expect(r.code, r.stderr).toBe(0);
    const list = r.json.list as ListSummary;
    expect(list.total).toBe(3);
    const byCode = Object.fromEntries(list.groups.map((g) => [g.code, g]));
    expect(byCode.POISON_MESSAGE?.count).toBe(1);
    expect(byCode.POISON_MESSAGE?.reasons[0]).toMatch(/not JSON/);
    const failed = list.groups.find((g) => g.code !== 'POISON_MESSAGE');
    expect(failed?.count).toBe(2);
    expect(failed?.reasons.join(' ')).toMatch(/gave up after 1 failed attempts/);
    expect(failed?.keys.sort()).toEqual(['gone/camera.png', 'good/coffee.png']);
    expect(r.stdout).toContain('POISON_MESSAGE: 1');
    expect(await dlq.count()).toBe(3);
  });

  it('redrive --dry-run says what it would do and does nothing', async () => {
    const r = await deadletters(['redrive', '--dry-run'], system.stack.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.redrive).toMatchObject({ dryRun: true, seen: 3, redriven: 1, dropped: 1, kept: 1 });
    expect(await dlq.count()).toBe(3);
  });

  it('redrive re-checks each message: the current image is catalogued, the stale one dropped, poison kept', async () => {
    system.stack.bedrock?.setFaults({ serviceUnavailableRate: 0 });
    const second = await system.startWorker();
    // --move-task: the stand-in has no StartMessageMoveTask, so the tool falls back and says so.
    const r = await deadletters(['redrive', '--move-task'], system.stack.env);
    expect(r.code, r.stderr).toBe(0);
    const s = r.json.redrive as RedriveSummary;
    expect(s).toMatchObject({ method: 'copy', seen: 3, redriven: 1, dropped: 1, kept: 1 });
    expect(s.note).toMatch(/no StartMessageMoveTask/);
    expect(s.samples.dropped[0]).toMatch(/gone\/camera\.png: the object no longer exists/);
    await pollUntil(
      async () => (await system.items()).find((i) => i.key === 'good/coffee.png')?.status === 'catalogued',
      'the redriven image catalogued',
      60_000,
    );
    await second.close();
    expect(await dlq.count()).toBe(1);
  });

  it('purge asks for --yes, then empties the DLQ', async () => {
    const refused = await deadletters(['purge'], system.stack.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/add --yes/);
    expect(await dlq.count()).toBe(1);
    const r = await deadletters(['purge', '--yes'], system.stack.env);
    expect(r.code, r.stderr).toBe(0);
    expect(await dlq.count()).toBe(0);
  });

  it('answers --help and refuses a bad command with exit 2', async () => {
    const help = await deadletters(['--help'], system.stack.env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: npm run deadletters/);
    expect((await deadletters(['shred'], system.stack.env)).code).toBe(2);
  });
});
