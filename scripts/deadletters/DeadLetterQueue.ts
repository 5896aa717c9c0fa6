import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { errorName } from '../../shared/awsErrors.ts';
import { DEAD_LETTER_ATTRIBUTES } from '../../shared/deadLetters.ts';

/** One dead letter as the tool sees it. */
export interface DeadLetter {
  message: Message;
  body: string;
  /** `catalogue-error-code`, or SQS_MAX_RECEIVES when SQS moved it (no attributes of ours). */
  code: string;
  reason: string;
  receiveCount: number;
}

/** A dead letter without our attributes was moved by SQS's redrive policy: received maxReceiveCount times. */
const MOVED_BY_SQS = 'SQS_MAX_RECEIVES';

function toDeadLetter(m: Message): DeadLetter {
  const attr = (name: string) => m.MessageAttributes?.[name]?.StringValue;
  const code = attr(DEAD_LETTER_ATTRIBUTES.code);
  return {
    message: m,
    body: m.Body ?? '',
    code: code ?? MOVED_BY_SQS,
    reason:
      attr(DEAD_LETTER_ATTRIBUTES.reason) ??
      'moved by SQS after maxReceiveCount receives (workers died or timed out while holding it)',
    receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '0'),
  };
}

/**
 * The SQS side of the dead-letter tool: reading the DLQ page by page without losing anything (every message read is
 * either deleted by the caller or released again), sending back to the work queue, purging, and the server-side move.
 */
export class DeadLetterQueue {
  private readonly held: Message[] = [];

  constructor(
    private readonly sqs: SQSClient,
    readonly dlqUrl: string,
    readonly queueUrl: string,
  ) {}

  /** Messages in the DLQ (approximate: visible + in flight). */
  async count(): Promise<number> {
    const { Attributes: a = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.dlqUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  /**
   * Reads every visible message once, hiding each for `holdSeconds` so a pass does not see it twice; calls `each`
   * in order. Ends after two empty long polls in a row, or at `limit` messages.
   */
  async forEach(each: (d: DeadLetter) => Promise<void>, options: { holdSeconds: number; limit?: number }) {
    let seen = 0;
    for (let empty = 0; empty < 2 && (options.limit === undefined || seen < options.limit); ) {
      const out = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.dlqUrl,
          MaxNumberOfMessages: Math.min(10, (options.limit ?? 10) - seen) || 1,
          WaitTimeSeconds: 1,
          VisibilityTimeout: options.holdSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      const messages = out.Messages ?? [];
      empty = messages.length === 0 ? empty + 1 : 0;
      for (const m of messages) {
        seen++;
        this.held.push(m);
        await each(toDeadLetter(m));
      }
    }
  }

  /** Sends the body back to the work queue, without our attributes (a redriven message starts a fresh count). */
  async sendToWorkQueue(d: DeadLetter): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: d.body }));
  }

  async delete(d: DeadLetter): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.dlqUrl, ReceiptHandle: d.message.ReceiptHandle }));
    const i = this.held.indexOf(d.message);
    if (i >= 0) this.held.splice(i, 1);
  }

  /** Makes every message read and not deleted visible again at once. */
  async releaseAll(): Promise<void> {
    const all = this.held.splice(0);
    for (let i = 0; i < all.length; i += 10) {
      const batch = all.slice(i, i + 10);
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.dlqUrl,
          Entries: batch.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    }
  }

  async purge(): Promise<void> {
    await this.sqs.send(new PurgeQueueCommand({ QueueUrl: this.dlqUrl }));
  }

  /**
   * SQS's own redrive (StartMessageMoveTask: the DLQ back to its source queue, server side). Returns the task
   * handle, or undefined when the endpoint does not offer it (fauxqs answers InvalidAction).
   */
  async startMoveTask(maxPerSecond?: number): Promise<string | undefined> {
    try {
      const [source, destination] = await Promise.all([this.arnOf(this.dlqUrl), this.arnOf(this.queueUrl)]);
      const out = await this.sqs.send(
        new StartMessageMoveTaskCommand({
          SourceArn: source,
          // Explicit: the worker's own dead letters were sent, not moved by the redrive policy, so SQS has no
          // "original source queue" recorded for them.
          DestinationArn: destination,
          MaxNumberOfMessagesPerSecond: maxPerSecond,
        }),
      );
      return out.TaskHandle;
    } catch (error) {
      const name = errorName(error);
      if (/InvalidAction|UnsupportedOperation|UnknownOperation|NotImplemented/i.test(name)) return undefined;
      throw error;
    }
  }

  private async arnOf(queueUrl: string): Promise<string | undefined> {
    const { Attributes } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    return Attributes?.QueueArn;
  }
}
