import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { transient } from '../../shared/awsErrors.ts';
import { ConfigError } from '../../shared/errors.ts';

/** Where poison messages go at once, with the reason attached, instead of waiting for maxReceiveCount. */
export interface DeadLetterSink {
  send(body: string, details: { reason: string; code: string; messageId?: string }): Promise<void>;
}

/**
 * The largest SQS message by default: 262,144 bytes (256 KiB), body and attributes together. A queue's
 * MaximumMessageSize may be set up to 1 MiB (1,048,576); pass that as `maxMessageBytes` if the DLQ allows it.
 */
export const SQS_DEFAULT_MAX_MESSAGE_BYTES = 262_144;

/** Longest reason kept, bytes: a reason lists what was wrong with each record, and must leave room for the body. */
const MAX_REASON_BYTES = 16_384;

type Attribute = { DataType: 'String' | 'Number'; StringValue: string };

/** Cuts a string to at most `bytes` bytes of UTF-8, never inside a character. */
export function truncateUtf8(text: string, bytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= bytes) return text;
  let end = Math.max(0, bytes);
  // Step back over continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/** SQS counts each attribute's name, data type and value against the message size. */
function attributesBytes(attributes: Record<string, Attribute>): number {
  let total = 0;
  for (const [name, a] of Object.entries(attributes)) {
    total += Buffer.byteLength(name) + Buffer.byteLength(a.DataType) + Buffer.byteLength(a.StringValue);
  }
  return total;
}

/**
 * The DLQ message for a poison body: the full reason (up to 16 KiB) in attributes, and the body itself, truncated
 * when body and attributes would not fit in one SQS message (then `catalogue-body-bytes` says how long it was).
 */
export function deadLetterMessage(
  body: string,
  details: { reason: string; code: string; messageId?: string },
  maxMessageBytes = SQS_DEFAULT_MAX_MESSAGE_BYTES,
): { body: string; attributes: Record<string, Attribute> } {
  const attr = (value: string): Attribute => ({ DataType: 'String', StringValue: value || '-' });
  const attributes: Record<string, Attribute> = {
    'catalogue-reason': attr(truncateUtf8(details.reason, MAX_REASON_BYTES)),
    'catalogue-error-code': attr(details.code.slice(0, 200)),
    'catalogue-source-message-id': attr(details.messageId ?? 'unknown'),
  };
  const text = body === '' ? '(empty body)' : body;
  const size = Buffer.byteLength(text);
  if (size + attributesBytes(attributes) <= maxMessageBytes) return { body: text, attributes };
  attributes['catalogue-body-bytes'] = { DataType: 'Number', StringValue: String(size) };
  // A little slack for the SDK's request framing is not needed: SQS counts only body and attributes.
  const room = maxMessageBytes - attributesBytes(attributes);
  return { body: truncateUtf8(text, room), attributes };
}

export class SqsDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly sqs: SQSClient,
    private readonly dlqUrl: string,
    private readonly maxMessageBytes = SQS_DEFAULT_MAX_MESSAGE_BYTES,
  ) {}

  async send(body: string, details: { reason: string; code: string; messageId?: string }): Promise<void> {
    const message = deadLetterMessage(body, details, this.maxMessageBytes);
    try {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.dlqUrl,
          MessageBody: message.body,
          MessageAttributes: message.attributes,
        }),
      );
    } catch (error) {
      throw transient('SQS SendMessage to the DLQ', error);
    }
  }
}

/** Finds the DLQ from the queue's RedrivePolicy when DLQ_URL is not given. */
export async function discoverDeadLetterQueue(sqs: SQSClient, queueUrl: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }));
  const policy = out.Attributes?.RedrivePolicy;
  const arn = policy ? (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn : undefined;
  const name = arn?.split(':').pop();
  if (!name) {
    throw new ConfigError([
      { variable: 'DLQ_URL', message: `not set, and the queue ${queueUrl} has no RedrivePolicy to find its DLQ from` },
    ]);
  }
  const account = arn?.split(':')[4];
  const url = await sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
  if (!url.QueueUrl) throw new ConfigError([{ variable: 'DLQ_URL', message: `cannot resolve the DLQ ${arn}` }]);
  return url.QueueUrl;
}
