import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { transient } from '../../shared/awsErrors.ts';
import { ATTEMPTS_ATTRIBUTE } from '../../shared/deadLetters.ts';
import type { Logger } from '../../shared/logger.ts';
import type { DeadLetterSink } from '../adapters/SqsDeadLetterSink.ts';

/** SQS's longest per-message DelaySeconds. */
const MAX_DELAY_SECONDS = 900;

export interface RedeliveryOptions {
  sqs: SQSClient;
  queueUrl: string;
  deadLetters: DeadLetterSink;
  /** Failed attempts after which a message goes to the DLQ with its reason (MESSAGE_MAX_ATTEMPTS). */
  maxAttempts: number;
  logger: Logger;
}

/** Real processing failures recorded on the message so far (0 when the attribute is absent or unreadable). */
export function attemptsOf(message: Message): number {
  const n = Number(message.MessageAttributes?.[ATTEMPTS_ATTRIBUTE]?.StringValue ?? '0');
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/**
 * How a message goes back to the queue. Two ways, chosen by whether the receive should count:
 * - {@link retryLater}: a real attempt failed. A copy goes back with the attempt count + 1 and a delay, and the
 *   original is acknowledged; past `maxAttempts` it goes to the DLQ with the reason instead.
 * - {@link handBack}: the message was received but not (or not fully) attempted through no fault of its own (the
 *   worker is stopping). A fresh copy with the same attempt count goes back at once, so this receive is not counted
 *   toward maxReceiveCount. Falls back to ChangeMessageVisibility 0 if the copy cannot be sent.
 * A copy sent before the original is deleted may, if the delete then fails, be processed twice: harmless, every
 * write is conditional and a second pass over the same content is skipped without a model call.
 */
export class Redelivery {
  constructor(private readonly options: RedeliveryOptions) {}

  /**
   * After a failed attempt. Resolves 'dead-lettered' or 'retrying'; in both cases the caller acknowledges
   * (deletes) the original.
   * @throws TransientError when neither the copy nor the dead letter could be sent: leave the original on the queue.
   */
  async retryLater(
    message: Message,
    why: { reason: string; code: string; delaySeconds: number },
  ): Promise<'dead-lettered' | 'retrying'> {
    const attempts = attemptsOf(message) + 1;
    if (attempts >= this.options.maxAttempts) {
      await this.options.deadLetters.send(message.Body ?? '', {
        reason: `gave up after ${attempts} failed attempts: ${why.reason}`,
        code: why.code,
        messageId: message.MessageId,
        attempts,
      });
      return 'dead-lettered';
    }
    await this.sendCopy(message, attempts, Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(why.delaySeconds))));
    return 'retrying';
  }

  /** Puts the message back at once without counting this receive. Never throws. */
  async handBack(message: Message): Promise<void> {
    try {
      await this.sendCopy(message, attemptsOf(message), 0);
      await this.deleteOriginal(message);
    } catch (error) {
      this.options.logger.debug({ err: error, messageId: message.MessageId }, 'copy failed; releasing the original');
      await this.releaseOriginal(message);
    }
  }

  private async sendCopy(message: Message, attempts: number, delaySeconds: number): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {
      ...message.MessageAttributes,
      [ATTEMPTS_ATTRIBUTE]: { DataType: 'Number', StringValue: String(attempts) },
    };
    try {
      await this.options.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.options.queueUrl,
          MessageBody: message.Body ?? '',
          MessageAttributes: attributes,
          DelaySeconds: delaySeconds,
        }),
      );
    } catch (error) {
      throw transient('SQS SendMessage (redelivery copy)', error, { messageId: message.MessageId });
    }
  }

  private async deleteOriginal(message: Message): Promise<void> {
    await this.options.sqs.send(
      new DeleteMessageCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  }

  /** Best effort: on failure SQS's visibility timeout brings the message back anyway. */
  private async releaseOriginal(message: Message): Promise<void> {
    try {
      await this.options.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.options.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    } catch (error) {
      this.options.logger.info(
        { err: error, messageId: message.MessageId },
        'could not release the message; it reappears after its visibility timeout',
      );
    }
  }
}
