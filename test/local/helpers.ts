import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { S3EventMessage, S3EventRecord } from '../../local/s3Events.ts';

/**
 * Receives (and deletes) exactly `count` messages, long-polling until they are all in or the deadline passes.
 * @throws when fewer arrived in time.
 */
export async function receive(
  sqs: SQSClient,
  queueUrl: string,
  count: number,
  deadlineMs = 10_000,
): Promise<Message[]> {
  const got: Message[] = [];
  const deadline = Date.now() + deadlineMs;
  while (got.length < count) {
    if (Date.now() > deadline) throw new Error(`received ${got.length} of ${count} messages`);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, count - got.length),
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    if (Messages.length === 0) continue;
    got.push(...Messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
  return got;
}

/** The single record of an S3 event notification body (the bridge sends one record per message). */
export function recordOf(body: string | undefined): S3EventRecord {
  const message = JSON.parse(body ?? '') as S3EventMessage;
  if (message.Records.length !== 1) throw new Error(`expected one record, got ${message.Records.length}`);
  return message.Records[0]!;
}
