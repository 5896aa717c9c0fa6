import { CreateQueueCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { ConfigError, TransientError } from '../../../shared/errors.ts';
import {
  discoverDeadLetterQueue,
  SQS_MAX_MESSAGE_BYTES,
  SqsDeadLetterSink,
} from '../../../worker/adapters/SqsDeadLetterSink.ts';

/** SqsDeadLetterSink with the real SQS client against fauxqs. */
describe('SqsDeadLetterSink on the SQS stand-in', () => {
  let stack: LocalStack;
  let sink: SqsDeadLetterSink;
  beforeAll(async () => {
    stack = await startLocalStack({ bedrock: false, bridge: false });
    sink = new SqsDeadLetterSink(stack.clients.sqs, stack.dlqUrl);
  });
  afterAll(() => stack?.close());

  async function receiveOne(): Promise<Message> {
    const out = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 5,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(out.Messages).toHaveLength(1);
    return out.Messages![0]!;
  }
  const attr = (m: Message, name: string) => m.MessageAttributes?.[name]?.StringValue;

  it('keeps the original body and says why, which code and which message', async () => {
    await sink.send('{"not": "an event"}', {
      reason: 'unknown message shape',
      code: 'POISON_MESSAGE',
      messageId: 'm-1',
    });
    const m = await receiveOne();
    expect(m.Body).toBe('{"not": "an event"}');
    expect(attr(m, 'catalogue-reason')).toBe('unknown message shape');
    expect(attr(m, 'catalogue-error-code')).toBe('POISON_MESSAGE');
    expect(attr(m, 'catalogue-source-message-id')).toBe('m-1');
  });

  it('sends an empty body and an empty reason as something SQS accepts, and caps a long reason', async () => {
    await sink.send('', { reason: 'x'.repeat(5000), code: '' });
    const m = await receiveOne();
    expect(m.Body).toBe('(empty body)');
    expect(attr(m, 'catalogue-reason')).toBe('x'.repeat(1000));
    expect(attr(m, 'catalogue-error-code')).toBe('-');
    expect(attr(m, 'catalogue-source-message-id')).toBe('unknown');
  });

  it('dead-letters a message of the largest size SQS allows: the reason kept whole, the body copy cut', async () => {
    // 256 KiB of multi-byte characters: the cut must land on a character boundary.
    const body = 'é'.repeat(SQS_MAX_MESSAGE_BYTES / 2);
    const reason = `message body is not JSON: ${'r'.repeat(900)}`;
    await sink.send(body, { reason, code: 'POISON_MESSAGE', messageId: 'm-big' });
    const m = await receiveOne();
    expect(attr(m, 'catalogue-reason')).toBe(reason);
    expect(body.startsWith(m.Body ?? '-')).toBe(true);
    expect(Buffer.byteLength(m.Body ?? '')).toBeGreaterThan(250_000);
    expect(attr(m, 'catalogue-body-truncated')).toMatch(/^262144 bytes, cut to \d+$/);
  });

  it('cuts a body of 3-byte characters on a character boundary, and says exactly how much it kept', async () => {
    const body = '€'.repeat(90_000);
    await sink.send(body, { reason: 'too big', code: 'POISON_MESSAGE' });
    const m = await receiveOne();
    const kept = m.Body ?? '';
    expect(kept).not.toContain('\uFFFD');
    expect(body.startsWith(kept)).toBe(true);
    expect(attr(m, 'catalogue-body-truncated')).toBe(`270000 bytes, cut to ${Buffer.byteLength(kept)}`);
    // Body and attributes together within what SQS takes.
    const attributes = Object.entries(m.MessageAttributes ?? {}).reduce(
      (n, [name, a]) => n + name.length + (a.DataType?.length ?? 0) + Buffer.byteLength(a.StringValue ?? ''),
      0,
    );
    expect(Buffer.byteLength(kept) + attributes).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
    expect(Buffer.byteLength(kept)).toBeGreaterThan(SQS_MAX_MESSAGE_BYTES - 2000);
  });

  it('records the failed attempts as a number when given, and not otherwise', async () => {
    await sink.send('{"a":1}', { reason: 'gave up', code: 'THROTTLED', attempts: 3 });
    const m = await receiveOne();
    expect(m.MessageAttributes?.['catalogue-failed-attempts']).toMatchObject({ DataType: 'Number', StringValue: '3' });
    await sink.send('{"a":2}', { reason: 'poison', code: 'POISON_MESSAGE' });
    expect((await receiveOne()).MessageAttributes?.['catalogue-failed-attempts']).toBeUndefined();
  });

  it('keeps a body that fits whole, without the truncation attribute', async () => {
    const body = 'a'.repeat(200_000);
    await sink.send(body, { reason: 'r', code: 'c' });
    const m = await receiveOne();
    expect(m.Body).toBe(body);
    expect(m.MessageAttributes?.['catalogue-body-truncated']).toBeUndefined();
  });

  it('turns a failed send into a retryable TransientError (the message is then not acknowledged)', async () => {
    const broken = new SqsDeadLetterSink(stack.clients.sqs, `${stack.endpoints.sqs}/000000000000/no-such-queue`);
    const error = await broken.send('body', { reason: 'r', code: 'c' }).catch((e) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('DLQ');
  });

  it('finds the DLQ from the queue redrive policy', async () => {
    expect(await discoverDeadLetterQueue(stack.clients.sqs, stack.queueUrl)).toBe(stack.dlqUrl);
  });

  it('names DLQ_URL when the queue has no redrive policy', async () => {
    const { QueueUrl } = await stack.clients.sqs.send(new CreateQueueCommand({ QueueName: 'no-redrive' }));
    const error = await discoverDeadLetterQueue(stack.clients.sqs, QueueUrl!).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]?.variable).toBe('DLQ_URL');
  });
});
