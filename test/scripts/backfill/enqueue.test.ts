import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { readCheckpoint } from '../../../scripts/backfill/Checkpoint.ts';
import { runBackfill } from '../../../scripts/backfill/runBackfill.ts';
import { awkwardBucket, drainBackfillMessages, duplicates, fillBucket } from './helpers.ts';

const VERSION = 'v1-test';

describe('runBackfill against the local stack', () => {
  let stack: LocalStack;
  let dir: string;
  let images: string[];
  let objectCount: number;

  beforeAll(async () => {
    stack = await startLocalStack({ bedrock: false, bridge: false });
    dir = await mkdtemp(join(tmpdir(), 'backfill-'));
    const bucket = awkwardBucket(2600);
    images = bucket.images;
    objectCount = bucket.objects.length;
    await fillBucket(stack.clients.s3, stack.bucket, bucket.objects);
  });

  afterAll(async () => {
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const deps = () => ({
    s3: stack.clients.s3,
    sqs: stack.clients.sqs,
    doc: stack.clients.ddbDoc,
    queueUrl: stack.queueUrl,
    tableName: stack.tableName,
    analysisVersion: VERSION,
  });

  it('enqueues every image exactly once, whatever its key, and skips the rest with a reason', async () => {
    const checkpointFile = join(dir, 'all.json');
    const summary = await runBackfill({ bucket: stack.bucket, checkpointFile, pageSize: 100 }, deps());
    const messages = await drainBackfillMessages(stack.clients.sqs, stack.queueUrl);
    const keys = messages.map((m) => m.key);

    expect(duplicates(keys)).toEqual([]);
    expect([...keys].sort()).toEqual([...images].sort());
    expect(summary.outcome).toBe('complete');
    expect(summary.outOfOrderKeys).toBe(0);
    expect(summary.run.listed).toBe(objectCount);
    expect(summary.run.enqueued).toBe(images.length);
    expect(summary.run.skipped.suffix).toBeGreaterThan(0);
    expect(summary.run.skipped.empty).toBeGreaterThan(0);
    expect(summary.run.listed).toBe(summary.run.enqueued + summary.run.skipped.suffix + summary.run.skipped.empty);
    expect(summary.ranges).toBeGreaterThan(1);
    const checkpoint = await readCheckpoint(checkpointFile);
    expect(checkpoint?.complete).toBe(true);
    expect(checkpoint?.committed.enqueued).toBe(images.length);
    expect(messages.every((m) => m.bucket === stack.bucket && m.eTag.length > 0 && m.reprocess === undefined)).toBe(
      true,
    );
  });

  it('resumes an aborted run where it stopped: the rest, and nothing twice', async () => {
    const checkpointFile = join(dir, 'abort.json');
    const controller = new AbortController();
    // Aborts once the 40th SendMessageBatch has been sent: mid-page, with batches in flight.
    let calls = 0;
    const sqs = new Proxy(stack.clients.sqs, {
      get(target, name, receiver) {
        if (name !== 'send') return Reflect.get(target, name, receiver);
        return (command: Parameters<typeof target.send>[0]) => {
          if (++calls === 40) controller.abort();
          return target.send(command);
        };
      },
    });
    const first = await runBackfill(
      { bucket: stack.bucket, checkpointFile, pageSize: 100, concurrency: 4 },
      { ...deps(), sqs, signal: controller.signal },
    );
    const firstKeys = (await drainBackfillMessages(stack.clients.sqs, stack.queueUrl)).map((m) => m.key);
    expect(first.outcome).toBe('aborted');
    expect(firstKeys.length).toBeGreaterThanOrEqual(390);
    expect(firstKeys.length).toBeLessThan(images.length);
    // A graceful stop lets the batches in flight finish and commits them: nothing is left to send twice.
    expect(first.uncommitted).toBe(0);
    expect((await readCheckpoint(checkpointFile))?.committed.enqueued).toBe(firstKeys.length);

    const second = await runBackfill({ bucket: stack.bucket, checkpointFile, pageSize: 100 }, deps());
    const secondKeys = (await drainBackfillMessages(stack.clients.sqs, stack.queueUrl)).map((m) => m.key);
    expect(second.outcome).toBe('complete');
    expect(second.resumed).toBe(true);
    expect(second.runs).toBe(2);
    const all = [...firstKeys, ...secondKeys];
    expect(duplicates(all)).toEqual([]);
    expect(all.sort()).toEqual([...images].sort());
    expect(second.total.enqueued).toBe(images.length);
    expect(second.total.listed).toBe(objectCount);

    const third = await runBackfill({ bucket: stack.bucket, checkpointFile }, deps());
    expect(third.outcome).toBe('already-complete');
    expect(await drainBackfillMessages(stack.clients.sqs, stack.queueUrl)).toEqual([]);
  });

  it('stops at --limit and continues from there on the next run', async () => {
    const checkpointFile = join(dir, 'limit.json');
    const first = await runBackfill({ bucket: stack.bucket, checkpointFile, limit: 123 }, deps());
    const firstKeys = (await drainBackfillMessages(stack.clients.sqs, stack.queueUrl)).map((m) => m.key);
    expect(first.outcome).toBe('limit');
    expect(firstKeys).toHaveLength(123);
    const second = await runBackfill({ bucket: stack.bucket, checkpointFile }, deps());
    const secondKeys = (await drainBackfillMessages(stack.clients.sqs, stack.queueUrl)).map((m) => m.key);
    expect(second.outcome).toBe('complete');
    const all = [...firstKeys, ...secondKeys];
    expect(duplicates(all)).toEqual([]);
    expect(all.sort()).toEqual([...images].sort());
  });

  it('refuses a checkpoint written for other options', async () => {
    const checkpointFile = join(dir, 'limit.json');
    await expect(runBackfill({ bucket: stack.bucket, checkpointFile, prefixes: ['a/'] }, deps())).rejects.toThrow(
      /other options/,
    );
  });
});
