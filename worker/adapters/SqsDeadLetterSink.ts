import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { transient } from '../../shared/awsErrors.ts';
import { DEAD_LETTER_ATTRIBUTES } from '../../shared/deadLetters.ts';
import { ConfigError } from '../../shared/errors.ts';

/** Where poison messages go at once, with the reason attached, instead of waiting for maxReceiveCount. */
export interface DeadLetterSink {
  send(body: string, details: DeadLetterDetails): Promise<void>;
}

/** Why a message was dead-lettered; carried as message attributes, which the dead-letter tool groups by. */
export interface DeadLetterDetails {
  reason: string;
  code: string;
  messageId?: string;
  /** Failed attempts the worker made before giving up (absent for poison, which is never attempted). */
  attempts?: number;
}

export class SqsDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly sqs: SQSClient,
    private readonly dlqUrl: string,
  ) {}

  async send(body: string, details: DeadLetterDetails): Promise<void> {
    const attr = (value: string) => ({ DataType: 'String', StringValue: value.slice(0, 1000) || '-' });
    const A = DEAD_LETTER_ATTRIBUTES;
    const attributes: Record<string, { DataType: string; StringValue: string }> = {
      [A.reason]: attr(details.reason),
      [A.code]: attr(details.code),
      [A.sourceMessageId]: attr(details.messageId ?? 'unknown'),
    };
    if (details.attempts !== undefined) {
      attributes[A.attempts] = { DataType: 'Number', StringValue: String(details.attempts) };
    }
    // A message of the largest size SQS allows plus our attributes would not fit in the DLQ: keep the reason, cut
    // the copy of the body (and say so), or the message could never be dead-lettered with its reason.
    const fitted = fitBody(
      body === '' ? '(empty body)' : body,
      SQS_MAX_MESSAGE_BYTES - attributeBytes(attributes) - 200,
    );
    if (fitted.truncatedFrom !== undefined) {
      attributes['catalogue-body-truncated'] = attr(`${fitted.truncatedFrom} bytes, cut to ${fitted.bytes}`);
    }
    try {
      await this.sqs.send(
        new SendMessageCommand({ QueueUrl: this.dlqUrl, MessageBody: fitted.body, MessageAttributes: attributes }),
      );
    } catch (error) {
      throw transient('SQS SendMessage to the DLQ', error);
    }
  }
}

/** SQS's limit on one message, body and attributes together: 256 KiB. */
export const SQS_MAX_MESSAGE_BYTES = 262_144;

/** SQS counts each attribute's name, data type and value towards the message size. */
function attributeBytes(attributes: Record<string, { DataType: string; StringValue: string }>): number {
  let total = 0;
  for (const [name, a] of Object.entries(attributes)) {
    total += Buffer.byteLength(name) + Buffer.byteLength(a.DataType) + Buffer.byteLength(a.StringValue);
  }
  return total;
}

/** The body cut to at most `room` UTF-8 bytes, on a character boundary. */
function fitBody(body: string, room: number): { body: string; bytes: number; truncatedFrom?: number } {
  const bytes = Buffer.byteLength(body);
  if (bytes <= room) return { body, bytes };
  let cut = Buffer.from(body).subarray(0, room).toString('utf8');
  // A character split by the cut decodes as U+FFFD (3 bytes): drop characters until it fits again.
  while (Buffer.byteLength(cut) > room || cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return { body: cut, bytes: Buffer.byteLength(cut), truncatedFrom: bytes };
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
