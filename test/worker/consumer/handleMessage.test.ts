import { type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeS3TestEvent } from '../../../local/s3Events.ts';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { RetryBudgetExhaustedError, ThrottledError, TransientError } from '../../../shared/errors.ts';
import { SqsDeadLetterSink } from '../../../worker/adapters/SqsDeadLetterSink.ts';
import {
  defaultRetryDelaySeconds,
  handleQueueMessage,
  type MessageHandlerDeps,
} from '../../../worker/consumer/handleMessage.ts';
import { KeyedMutex } from '../../../worker/pipeline/KeyedMutex.ts';
import type { Outcome } from '../../../worker/pipeline/outcome.ts';
import { fakePipeline, ScriptedDescriber } from '../../helpers/fakes.ts';
import { capturingLogger, created, LEVEL, makeS3EventMessage, removed, sqsMessage } from './helpers.ts';

/** handleQueueMessage with the real SQS dead-letter sink on fauxqs and the pipeline on in-memory fakes. */
describe('handleQueueMessage', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ bedrock: false, bridge: false });
  });
  afterAll(() => stack?.close());

  function setup(over: Partial<MessageHandlerDeps> = {}, describer = new ScriptedDescriber()) {
    const pipeline = fakePipeline({ describer });
    const { logger, lines } = capturingLogger();
    const outcomes: Outcome[] = [];
    const deps: MessageHandlerDeps = {
      pipeline: pipeline.deps,
      deadLetters: new SqsDeadLetterSink(stack.clients.sqs, stack.dlqUrl),
      logger,
      onOutcome: (o) => outcomes.push(o),
      ...over,
    };
    return { ...pipeline, describer, deps, lines, outcomes };
  }

  async function deadLetters(): Promise<Message[]> {
    const out = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    return out.Messages ?? [];
  }

  it('moves a poison message to the DLQ at once, with its reason, and acknowledges it', async () => {
    const { deps, store, lines } = setup();
    const verdict = await handleQueueMessage(sqsMessage('garbage', 1, 'poison-1'), deps);
    expect(verdict).toMatchObject({ action: 'ack', outcomes: [] });
    expect(verdict.action === 'ack' && verdict.deadLettered).toMatch(/not JSON/);
    const [dead] = await deadLetters();
    expect(dead?.Body).toBe('garbage');
    expect(dead?.MessageAttributes?.['catalogue-error-code']?.StringValue).toBe('POISON_MESSAGE');
    expect(dead?.MessageAttributes?.['catalogue-source-message-id']?.StringValue).toBe('poison-1');
    expect(store.writes).toBe(0);
    expect(lines.find((l) => l.outcome === 'poison')?.level).toBe(LEVEL.warn);
  });

  it('acknowledges s3:TestEvent and does nothing else', async () => {
    const { deps, store, outcomes } = setup();
    expect(await handleQueueMessage(sqsMessage(makeS3TestEvent('b')), deps)).toEqual({ action: 'ack', outcomes: [] });
    expect(outcomes).toEqual([]);
    expect(store.writes).toBe(0);
    expect(await deadLetters()).toEqual([]);
  });

  it('handles the readable records in order and sends the unreadable ones to the DLQ, naming them', async () => {
    const { deps, bucket, outcomes, store } = setup();
    const body = Buffer.from('img:10x10');
    bucket.put('a.jpg', body);
    const unreadable = { eventVersion: '2.1', eventSource: 'aws:s3', s3: {} };
    const message = makeS3EventMessage([
      created('b', 'a.jpg', body, '0A'),
      unreadable as never,
      // A removal tombstones only a key with no current version (HeadObject): gone.jpg is not in the bucket.
      removed('b', 'gone.jpg', '0B'),
    ]);
    const verdict = await handleQueueMessage(sqsMessage(message), deps);
    expect(verdict.action).toBe('ack');
    expect(outcomes.map((o) => [o.key, o.outcome])).toEqual([
      ['a.jpg', 'catalogued'],
      ['gone.jpg', 'removed'],
    ]);
    expect(verdict.outcomes).toEqual(outcomes);
    expect(store.items.get('b/a.jpg')?.status).toBe('catalogued');
    expect(store.items.get('b/gone.jpg')?.status).toBe('removed');
    const dead = await deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]?.Body).toBe(message);
    expect(dead[0]?.MessageAttributes?.['catalogue-error-code']?.StringValue).toBe('POISON_RECORDS');
    expect(dead[0]?.MessageAttributes?.['catalogue-reason']?.StringValue).toMatch(/^record #1: /);
    expect(verdict.action === 'ack' && verdict.deadLettered).toMatch(/^record #1: /);
  });

  it('leaves a message with a record to retry, with a delay grown from its failed attempts (not its receives)', async () => {
    const describer = new ScriptedDescriber([new ThrottledError('429 Too many requests')]);
    const counts: number[] = [];
    const { deps, bucket, lines } = setup(
      {
        retryDelaySeconds: (n) => {
          counts.push(n);
          return 42;
        },
      },
      describer,
    );
    const body = Buffer.from('img:10x10');
    bucket.put('t.jpg', body);
    const unreadable = { eventVersion: '2.1', eventSource: 'aws:s3', s3: {} };
    const message = makeS3EventMessage([created('b', 't.jpg', body, '0A'), unreadable as never]);
    // Received 5 times (crashes count too), failed twice before: this is its third failed attempt.
    const received = sqsMessage(message, 5);
    received.MessageAttributes = { 'catalogue-attempts': { DataType: 'Number', StringValue: '2' } };
    const verdict = await handleQueueMessage(received, deps);
    expect(verdict).toMatchObject({ action: 'release', delaySeconds: 42 });
    expect(verdict.outcomes[0]).toMatchObject({ outcome: 'retry', reasonCode: 'THROTTLED' });
    expect(counts).toEqual([3]);
    // The unreadable record waits for the delivery that settles the message: dead-lettered once, not per attempt.
    expect(await deadLetters()).toEqual([]);
    expect(lines.find((l) => l.outcome === 'retry')?.level).toBe(LEVEL.warn);
  });

  it('logs each record with its outcome: failed at error, rejected at warn, catalogued at info', async () => {
    const { deps, bucket, lines } = setup({}, new ScriptedDescriber([new RetryBudgetExhaustedError('gave up')]));
    bucket.put('f.jpg', Buffer.from('img:10x10'));
    bucket.put('r.txt', Buffer.from('plain text'));
    bucket.put('c.jpg', Buffer.from('img:20x20'));
    const records = [
      created('b', 'f.jpg', Buffer.from('img:10x10'), '01'),
      created('b', 'r.txt', Buffer.from('plain text'), '01'),
      created('b', 'c.jpg', Buffer.from('img:20x20'), '01'),
    ];
    await handleQueueMessage(sqsMessage(makeS3EventMessage(records)), deps);
    const levelOf = (key: string) => lines.find((l) => l.key === key)?.level;
    expect(levelOf('f.jpg')).toBe(LEVEL.error);
    expect(levelOf('r.txt')).toBe(LEVEL.warn);
    expect(levelOf('c.jpg')).toBe(LEVEL.info);
    expect(lines.find((l) => l.key === 'c.jpg')).toMatchObject({ outcome: 'catalogued', source: 's3', bucket: 'b' });
  });

  it('with the per-key lock, the same event delivered twice at once calls the model once', async () => {
    const { deps, bucket, describer } = setup({ locks: new KeyedMutex() });
    const body = Buffer.from('img:10x10');
    bucket.put('twice.jpg', body);
    const message = makeS3EventMessage([created('b', 'twice.jpg', body, '0A')]);
    const verdicts = await Promise.all([
      handleQueueMessage(sqsMessage(message), deps),
      handleQueueMessage(sqsMessage(message), deps),
    ]);
    expect(verdicts.map((v) => v.outcomes[0]?.outcome).sort()).toEqual(['catalogued', 'skipped']);
    expect(describer.calls).toBe(1);
  });

  it('throws when the DLQ cannot take a poison message, so the message is not acknowledged', async () => {
    const { deps } = setup({
      deadLetters: new SqsDeadLetterSink(stack.clients.sqs, `${stack.endpoints.sqs}/000000000000/no-such-dlq`),
    });
    await expect(handleQueueMessage(sqsMessage('garbage'), deps)).rejects.toBeInstanceOf(TransientError);
  });
});

describe('defaultRetryDelaySeconds', () => {
  it('grows with the receive count, with jitter in the upper half, capped at 5 minutes', () => {
    expect(defaultRetryDelaySeconds(1, () => 0)).toBe(1);
    expect(defaultRetryDelaySeconds(1, () => 1)).toBe(2);
    expect(defaultRetryDelaySeconds(3, () => 0)).toBe(4);
    expect(defaultRetryDelaySeconds(3, () => 1)).toBe(8);
    expect(defaultRetryDelaySeconds(3, () => 0.5)).toBe(6);
    expect(defaultRetryDelaySeconds(20, () => 0)).toBe(150);
    expect(defaultRetryDelaySeconds(20, () => 1)).toBe(300);
    // A first receive (or a missing count) never asks for 0 s: that would spin.
    expect(defaultRetryDelaySeconds(0, () => 0)).toBe(1);
  });
});
