import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.ts';
import { createWorker } from '../../worker/createWorker.ts';
import type { Outcome } from '../../worker/pipeline/outcome.ts';
import { FAST_WORKER_ENV, fixture, PHOTOS, pollUntil, type System, startSystem } from '../helpers/system.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `npm run worker` as a real child process (tsx on this Node), collecting its JSON log lines. */
function spawnWorker(env: Record<string, string>) {
  const lines: Record<string, unknown>[] = [];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const p of parts) if (p.startsWith('{')) lines.push(JSON.parse(p));
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited, stderr: () => stderr };
}

// A real child process (tsx, the SDK, the worker): on a busy two-core machine the test took 26 s of its minute.
describe('end to end: graceful shutdown', { timeout: 180_000 }, () => {
  let system: System;
  beforeAll(async () => {
    // Slow answers, so that SIGTERM lands while a batch is being described.
    system = await startSystem({ bedrock: { faults: { latencyMs: 1500 } } });
  });
  afterAll(() => system?.close());

  it('a worker sent SIGTERM mid-batch completes or releases its messages; a second worker finishes them', async () => {
    const keys = PHOTOS.map((n) => `shutdown/${n}`);
    for (const [i, key] of keys.entries()) await system.put(key, fixture(PHOTOS[i]!));

    const first = spawnWorker({
      ...system.stack.env,
      ...FAST_WORKER_ENV,
      WORKER_CONSUMERS: '1',
      SHUTDOWN_TIMEOUT_SECONDS: '1',
      LOG_LEVEL: 'info',
    });
    // Mid-batch: the model has been asked about some images and answered none yet.
    // (The worker is another process: the stand-in's request count is what this one can see.)
    // The first request is the worker's start-up probe of the model; the second is an image.
    await pollUntil(
      () => (system.stack.bedrock?.stats().totals.requests ?? 0) >= 2,
      'the first worker calling the model',
      30_000,
    );
    first.child.kill('SIGTERM');
    const code = await first.exited;
    expect(code, first.stderr()).toBe(0);
    const messages = first.lines.map((l) => l.msg);
    expect(messages).toContain('stopping: finishing in-flight work');
    expect(messages).toContain('worker stopped');
    const stopped = first.lines.find((l) => l.msg === 'worker stopped') as { released: number };
    // Each answer takes 1.5 s and the deadline is 1 s: what was in flight is released, not lost.
    expect(stopped.released).toBeGreaterThan(0);

    // Released at once (visibility 0), not left invisible for the 30 s timeout: the stopped worker holds nothing.
    // (Read from the queue, not timed: a busy machine must not decide this.)
    const { Attributes } = await system.stack.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: system.stack.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('0');

    // The second worker finishes what the first did not.
    const doneByFirst = new Set((await system.items()).filter((i) => i.status === 'catalogued').map((i) => i.key));
    const left = keys.filter((k) => !doneByFirst.has(k));
    const second = await system.startWorker();
    for (const key of left) {
      await system.spy.waitForOutcome(key, (o) => o.outcome === 'catalogued' || o.outcome === 'skipped');
    }
    await second.close();
    const items = (await system.items()).filter((i) => i.key.startsWith('shutdown/'));
    expect(items.map((i) => [i.key, i.status])).toEqual([...keys].sort().map((k) => [k, 'catalogued']));
    expect(await system.deadLetters()).toEqual([]);
  });
});

/** Messages still in the queue: visible, in flight (received, not deleted) and delayed. */
async function messagesLeft(system: System): Promise<number> {
  const { Attributes: a = {} } = await system.stack.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: system.stack.queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(a.ApproximateNumberOfMessages) +
    Number(a.ApproximateNumberOfMessagesNotVisible) +
    Number(a.ApproximateNumberOfMessagesDelayed)
  );
}

describe('end to end: a stop acknowledges all it finished, quietly', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem({ bedrock: { faults: { latencyMs: 300 } } });
  });
  afterAll(() => system?.close());

  it('a stop that begins the moment the last record is done still deletes its message: nothing is received again', async () => {
    const keys = PHOTOS.slice(0, 4).map((n) => `ack/${n}`);
    const config = system.config({ WORKER_CONSUMERS: '4', WORKER_BATCH_SIZE: '1' });
    const handle = await createWorker({ config, logger: createLogger({ level: 'silent', format: 'json' }) });
    // Count every message the worker's client receives, by id.
    const received = new Map<string, number>();
    handle.clients.sqs.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === 'ReceiveMessageCommand') {
          for (const m of (out.output as { Messages?: { MessageId?: string }[] }).Messages ?? []) {
            received.set(m.MessageId ?? '', (received.get(m.MessageId ?? '') ?? 0) + 1);
          }
        }
        return out;
      },
      { step: 'initialize', name: 'countReceives' },
    );
    const done = new Set<string>();
    const stopped = new Promise<{ released: number }>((resolve) => {
      handle.worker.on('outcome', (o: Outcome) => {
        if (o.key.startsWith('ack/') && o.outcome === 'catalogued') done.add(o.key);
        // The last record's outcome is emitted before its handler returns: the stop races its DeleteMessage.
        if (done.size === keys.length) resolve(handle.close(10_000));
      });
    });
    handle.worker.start();
    for (const [i, key] of keys.entries()) await system.put(key, fixture(PHOTOS[i]!));
    expect((await stopped).released).toBe(0);
    expect(await messagesLeft(system)).toBe(0);
    expect(
      [...received.values()].every((n) => n === 1),
      JSON.stringify([...received]),
    ).toBe(true);
    expect(received.size).toBe(keys.length);
  });

  it('a clean SIGTERM of a busy worker process logs nothing at warn or error, and leaves nothing to redo', async () => {
    const keys = PHOTOS.map((n) => `quiet/${n}`);
    const worker = spawnWorker({
      ...system.stack.env,
      ...FAST_WORKER_ENV,
      WORKER_CONSUMERS: '2',
      WORKER_BATCH_SIZE: '2',
      SHUTDOWN_TIMEOUT_SECONDS: '30',
      LOG_LEVEL: 'debug',
    });
    for (const [i, key] of keys.entries()) await system.put(key, fixture(PHOTOS[i]!));
    await pollUntil(
      () => worker.lines.some((l) => l.msg === 'record catalogued' && String(l.key).startsWith('quiet/')),
      'the worker busy with the quiet/ images',
      60_000,
    );
    worker.child.kill('SIGTERM');
    expect(await worker.exited, worker.stderr()).toBe(0);
    const loud = worker.lines.filter((l) => Number(l.level) >= 40);
    expect(loud, JSON.stringify(loud)).toEqual([]);
    expect(worker.lines.map((l) => l.msg)).toContain('worker stopped');
    // What it finished is deleted; what it had not finished went back. A second worker completes the rest.
    const doneByFirst = new Set((await system.items()).filter((i) => i.status === 'catalogued').map((i) => i.key));
    const second = await system.startWorker();
    for (const key of keys.filter((k) => !doneByFirst.has(k))) {
      await system.spy.waitForOutcome(key, (o) => o.outcome === 'catalogued', { timeoutMs: 60_000 });
    }
    await second.close();
    expect(await messagesLeft(system)).toBe(0);
  });
});
