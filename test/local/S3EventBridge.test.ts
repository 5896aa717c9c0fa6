import type { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { S3EventBridge, type S3EventBridgeOptions } from '../../local/S3EventBridge.ts';
import type { S3Write } from '../../local/s3WriteTap.ts';
import { recordOf } from './helpers.ts';

type Answer = (entries: { Id?: string; MessageBody?: string }[]) => unknown;

/** An SQS client double that records SendMessageBatch calls and answers with `answer` (default: all successful). */
function fakeSqs(answer?: Answer) {
  const batches: string[][] = [];
  const client = {
    send: async (command: SendMessageBatchCommand) => {
      const entries = command.input.Entries ?? [];
      batches.push(entries.map((e) => e.MessageBody ?? ''));
      if (answer) return answer(entries);
      return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] };
    },
  };
  return { client: client as unknown as SQSClient, batches };
}

const write = (key: string, extra: Partial<S3Write> = {}): S3Write => ({
  kind: 'Put',
  bucket: 'images',
  key,
  size: 3,
  eTag: '"abc"',
  time: new Date('2024-01-01T00:00:00Z'),
  ...extra,
});

function bridgeWith(sqs: SQSClient, options: Partial<S3EventBridgeOptions> = {}) {
  return new S3EventBridge({ bucket: 'images', queueUrl: 'http://q/000000000000/q', sqs, ...options });
}

describe('S3EventBridge', () => {
  it('notifies only the changes of its bucket whose keys end with a configured suffix, case-sensitively', async () => {
    const { client, batches } = fakeSqs();
    const bridge = bridgeWith(client, { suffixes: ['.jpg', '.png'] });
    for (const key of ['a.jpg', 'b.JPG', 'c.png', 'd.txt']) bridge.handleWrite(write(key));
    bridge.handleWrite(write('e.jpg', { bucket: 'other' }));
    await bridge.idle();
    expect(batches.flat().map((b) => recordOf(b).s3.object.key)).toEqual(['a.jpg', 'c.png']);
    expect([bridge.produced, bridge.sent]).toEqual([2, 2]);
  });

  it('ignores everything while disabled', async () => {
    const { client, batches } = fakeSqs();
    const bridge = bridgeWith(client, { enabled: false });
    bridge.handleWrite(write('a.jpg'));
    bridge.enabled = true;
    bridge.handleWrite(write('b.jpg', { kind: 'Delete', size: undefined, eTag: undefined }));
    await bridge.idle();
    expect(batches.flat().map((b) => recordOf(b).eventName)).toEqual(['ObjectRemoved:Delete']);
  });

  it('sends in batches of at most 10, in order, with increasing sequencers', async () => {
    const { client, batches } = fakeSqs();
    const bridge = bridgeWith(client);
    for (let i = 0; i < 23; i++) bridge.handleWrite(write(`k${i}.jpg`));
    await bridge.idle();
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    const sequencers = batches.flat().map((b) => recordOf(b).s3.object.sequencer);
    expect([...sequencers].sort()).toEqual(sequencers);
    expect(new Set(sequencers).size).toBe(23);
  });

  it('retries what the queue could not take, and gives up on what it refuses', async () => {
    let calls = 0;
    const { client, batches } = fakeSqs((entries) => {
      calls++;
      // First call: entry 0 fails transiently, entry 1 is refused for good.
      if (calls === 1) {
        return {
          Successful: [],
          Failed: [
            { Id: entries[0]?.Id, Code: 'InternalError', SenderFault: false, Message: 'try again' },
            { Id: entries[1]?.Id, Code: 'InvalidMessageContents', SenderFault: true, Message: 'no' },
          ],
        };
      }
      return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] };
    });
    const bridge = bridgeWith(client);
    const errors: string[] = [];
    bridge.on('delivery-error', (error) => errors.push(error.message));
    bridge.handleWrite(write('retried.jpg'));
    bridge.handleWrite(write('refused.jpg'));
    await bridge.idle();
    expect(batches.map((b) => b.map((body) => recordOf(body).s3.object.key))).toEqual([
      ['retried.jpg', 'refused.jpg'],
      ['retried.jpg'],
    ]);
    expect(errors).toEqual(['InvalidMessageContents: no']);
    expect(bridge.sent).toBe(1);
  });

  it('stops retrying after maxAttempts when the queue is unreachable', async () => {
    const { client, batches } = fakeSqs(() => {
      throw new Error('connect ECONNREFUSED');
    });
    const bridge = bridgeWith(client, { maxAttempts: 2 });
    const failed: string[][] = [];
    bridge.on('delivery-error', (_error, bodies) => failed.push(bodies));
    bridge.handleWrite(write('lost.jpg'));
    await bridge.close();
    expect(batches).toHaveLength(2);
    expect(failed).toHaveLength(1);
    expect(bridge.sent).toBe(0);
  });
});
