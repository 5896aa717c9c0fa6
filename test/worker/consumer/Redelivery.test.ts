import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { ATTEMPTS_ATTRIBUTE } from '../../../shared/deadLetters.ts';
import { TransientError } from '../../../shared/errors.ts';
import { createLogger } from '../../../shared/logger.ts';
import type { DeadLetterSink } from '../../../worker/adapters/SqsDeadLetterSink.ts';
import { attemptsOf, Redelivery } from '../../../worker/consumer/Redelivery.ts';

// What Redelivery asks of SQS in the cases the end-to-end test (attempts.test.ts, on fauxqs) cannot provoke: a
// failing SendMessage, odd attempt counts, delays outside SQS's range. SQS is a recording stub here.

type Sent = { command: string; input: Record<string, unknown> };

function stubSqs(fail: (command: string) => boolean = () => false) {
  const sent: Sent[] = [];
  const sqs = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      sent.push({ command: name, input: command.input });
      if (fail(name)) throw Object.assign(new Error(`${name} refused`), { name: 'InternalError' });
      return {};
    },
  } as unknown as SQSClient;
  return { sqs, sent };
}

const deadLetters = (): DeadLetterSink & { sent: unknown[] } => {
  const sent: unknown[] = [];
  return {
    sent,
    async send(body: string, why: unknown) {
      sent.push({ body, why });
    },
  } as DeadLetterSink & { sent: unknown[] };
};

const message = (attempts?: string): Message => ({
  MessageId: 'm-1',
  ReceiptHandle: 'rh-1',
  Body: '{"k":1}',
  ...(attempts === undefined
    ? {}
    : { MessageAttributes: { [ATTEMPTS_ATTRIBUTE]: { DataType: 'Number', StringValue: attempts } } }),
});

function redelivery(sqs: SQSClient, sink = deadLetters(), maxAttempts = 5) {
  return new Redelivery({
    sqs,
    queueUrl: 'http://q',
    deadLetters: sink,
    maxAttempts,
    logger: createLogger({ level: 'silent', format: 'json' }),
  });
}

describe('attemptsOf', () => {
  it('reads the count, and takes an absent, negative, fractional or unreadable one as 0', () => {
    expect(attemptsOf(message('3'))).toBe(3);
    for (const odd of [undefined, '-1', '1.5', 'three', '']) expect(attemptsOf(message(odd)), String(odd)).toBe(0);
  });
});

describe('Redelivery', () => {
  it('retryLater sends a copy with one attempt more, the body and the other attributes kept', async () => {
    const { sqs, sent } = stubSqs();
    const m = {
      ...message('1'),
      MessageAttributes: { ...message('1').MessageAttributes, other: { DataType: 'String', StringValue: 'x' } },
    };
    expect(await redelivery(sqs).retryLater(m, { reason: 'r', code: 'C', delaySeconds: 12.4 })).toBe('retrying');
    expect(sent).toEqual([
      {
        command: 'SendMessageCommand',
        input: {
          QueueUrl: 'http://q',
          MessageBody: '{"k":1}',
          DelaySeconds: 12,
          MessageAttributes: {
            other: { DataType: 'String', StringValue: 'x' },
            [ATTEMPTS_ATTRIBUTE]: { DataType: 'Number', StringValue: '2' },
          },
        },
      },
    ]);
  });

  it("keeps the delay within SQS's 0-900 s", async () => {
    const { sqs, sent } = stubSqs();
    const r = redelivery(sqs);
    await r.retryLater(message(), { reason: 'r', code: 'C', delaySeconds: 5000 });
    await r.retryLater(message(), { reason: 'r', code: 'C', delaySeconds: -3 });
    expect(sent.map((s) => s.input.DelaySeconds)).toEqual([900, 0]);
  });

  it('dead-letters instead once the attempts reach the maximum, with the count and the reason', async () => {
    const { sqs, sent } = stubSqs();
    const sink = deadLetters();
    expect(await redelivery(sqs, sink, 3).retryLater(message('2'), { reason: 'bad', code: 'C', delaySeconds: 1 })).toBe(
      'dead-lettered',
    );
    expect(sent).toEqual([]);
    expect(sink.sent).toEqual([
      {
        body: '{"k":1}',
        why: { reason: 'gave up after 3 failed attempts: bad', code: 'C', messageId: 'm-1', attempts: 3 },
      },
    ]);
  });

  it('retryLater throws a TransientError when the copy cannot be sent (the original stays on the queue)', async () => {
    const { sqs } = stubSqs(() => true);
    await expect(
      redelivery(sqs).retryLater(message(), { reason: 'r', code: 'C', delaySeconds: 1 }),
    ).rejects.toBeInstanceOf(TransientError);
  });

  it('handBack sends a fresh copy at once with the same count, then deletes the original', async () => {
    const { sqs, sent } = stubSqs();
    await redelivery(sqs).handBack(message('2'));
    expect(sent.map((s) => s.command)).toEqual(['SendMessageCommand', 'DeleteMessageCommand']);
    expect(sent[0]?.input).toMatchObject({
      DelaySeconds: 0,
      MessageAttributes: { [ATTEMPTS_ATTRIBUTE]: { StringValue: '2' } },
    });
    expect(sent[1]?.input).toEqual({ QueueUrl: 'http://q', ReceiptHandle: 'rh-1' });
  });

  it('handBack releases the original (visibility 0) when the copy cannot be sent, and never throws', async () => {
    const { sqs, sent } = stubSqs((c) => c === 'SendMessageCommand');
    await redelivery(sqs).handBack(message());
    expect(sent.map((s) => s.command)).toEqual(['SendMessageCommand', 'ChangeMessageVisibilityCommand']);
    expect(sent[1]?.input).toEqual({ QueueUrl: 'http://q', ReceiptHandle: 'rh-1', VisibilityTimeout: 0 });
    const down = stubSqs(() => true);
    await expect(redelivery(down.sqs).handBack(message())).resolves.toBeUndefined();
  });
});
