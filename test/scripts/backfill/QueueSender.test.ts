import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { CheckpointWriter, newCheckpointState, readCheckpoint } from '../../../scripts/backfill/Checkpoint.ts';
import { EnqueueFailedError } from '../../../scripts/backfill/errors.ts';
import { BackfillOptions } from '../../../scripts/backfill/options.ts';
import { QueueSender } from '../../../scripts/backfill/QueueSender.ts';

type Entry = { Id: string; MessageBody: string };
type Answer = { Failed?: { Id: string; SenderFault: boolean; Code: string }[] } | Error;

/** An SQS client whose SendMessageBatch answers come from `answer`; it records what each call carried. */
function fakeSqs(answer: (entries: Entry[], call: number) => Answer) {
  const calls: string[][] = [];
  const sqs = {
    async send(command: SendMessageBatchCommand) {
      const entries = command.input.Entries as Entry[];
      calls.push(entries.map((e) => e.Id));
      const a = answer(entries, calls.length);
      if (a instanceof Error) throw a;
      return { Successful: [], ...a };
    },
  } as unknown as SQSClient;
  return { sqs, calls };
}

const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i), body: `{"n":${i}}` }));
const options = { queueUrl: 'http://q', concurrency: 2, maxAttempts: 4, retryBaseMs: 1, retryMaxMs: 2 };

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

describe('QueueSender', () => {
  it('retries exactly the Failed entries of a partial failure', async () => {
    const { sqs, calls } = fakeSqs((_e, call) =>
      call === 1
        ? {
            Failed: [
              { Id: '3', SenderFault: false, Code: 'InternalError' },
              { Id: '7', SenderFault: false, Code: 'RequestThrottled' },
            ],
          }
        : {},
    );
    const sender = new QueueSender({ ...options, sqs });
    const result = await sender.send(entries(10));
    expect(result.refused).toEqual([]);
    expect(calls).toEqual([entries(10).map((e) => e.id), ['3', '7']]);
    expect(sender.stats).toMatchObject({ calls: 2, retriedEntries: 2, throttles: 1 });
  });

  it('retries the whole batch when the call fails for a passing reason, and reports refusals without retrying', async () => {
    const { sqs, calls } = fakeSqs((_e, call) =>
      call === 1
        ? awsError('ServiceUnavailable', 503)
        : { Failed: [{ Id: '1', SenderFault: true, Code: 'InvalidMessageContents' }] },
    );
    const result = await new QueueSender({ ...options, sqs }).send(entries(3));
    expect(calls).toEqual([
      ['0', '1', '2'],
      ['0', '1', '2'],
    ]);
    expect(result.refused).toEqual([{ id: '1', code: 'InvalidMessageContents', message: '' }]);
  });

  it('gives up after maxAttempts, and at once when the queue refuses the call itself', async () => {
    const failing = fakeSqs(() => ({ Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError' }] }));
    await expect(new QueueSender({ ...options, sqs: failing.sqs }).send(entries(2))).rejects.toBeInstanceOf(
      EnqueueFailedError,
    );
    expect(failing.calls).toHaveLength(4);
    const missing = fakeSqs(() => awsError('QueueDoesNotExist', 400));
    await expect(new QueueSender({ ...options, sqs: missing.sqs }).send(entries(2))).rejects.toThrow(
      /QueueDoesNotExist/,
    );
    expect(missing.calls).toHaveLength(1);
  });

  it('keeps at most `concurrency` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const sqs = {
      async send() {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        return {};
      },
    } as unknown as SQSClient;
    const sender = new QueueSender({ ...options, sqs, concurrency: 3 });
    await Promise.all(Array.from({ length: 20 }, () => sender.send(entries(10))));
    expect(most).toBe(3);
  });
});

describe('CheckpointWriter', () => {
  it('writes atomically and coalesces requests made while a write is under way', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'checkpoint-'));
    try {
      const file = join(dir, 'sub', 'c.json');
      const state = newCheckpointState(
        BackfillOptions.parse({ bucket: 'photos' }),
        { queueUrl: 'q', analysisVersion: 'v' },
        [],
      );
      const writer = new CheckpointWriter(file, () => state);
      for (let i = 0; i < 50; i++) {
        state.committed.enqueued = i;
        writer.request();
      }
      await writer.flush();
      expect(writer.writes).toBeLessThan(50);
      expect((await readCheckpoint(file))?.committed.enqueued).toBe(49);
      expect(await readdir(join(dir, 'sub'))).toEqual(['c.json']);
      expect(JSON.parse(await readFile(file, 'utf8')).version).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
