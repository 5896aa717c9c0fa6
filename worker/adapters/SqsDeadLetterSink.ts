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
    try {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.dlqUrl,
          MessageBody: body === '' ? '(empty body)' : body,
          MessageAttributes: {
            [A.reason]: attr(details.reason),
            [A.code]: attr(details.code),
            [A.sourceMessageId]: attr(details.messageId ?? 'unknown'),
            ...(details.attempts === undefined
              ? {}
              : { [A.attempts]: { DataType: 'Number', StringValue: String(details.attempts) } }),
          },
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
