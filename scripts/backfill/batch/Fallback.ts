import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../../../shared/logger.ts';
import { EnqueueFailedError } from '../errors.ts';
import { backfillMessageBody } from '../messageBody.ts';
import { QueueSender, SQS_BATCH_SIZE } from '../QueueSender.ts';

/** One object for the on-demand queue, and why it goes there (for the summary). */
export interface FallbackItem {
  key: string;
  eTag: string;
  size: number;
  lastModified?: string;
  reason: string;
}

/**
 * The on-demand path for what batch did not answer: failed, invalid or unfinished records, images the worker rejects
 * or reuses anyway, jobs under the minimum. Each becomes an ordinary backfill message on the worker's queue; the
 * worker skips content that is already catalogued, so a message sent twice (a kill between sending and the manifest)
 * costs no second model call.
 */
export class Fallback {
  readonly byReason: Record<string, number> = {};
  sent = 0;
  private readonly sender: QueueSender;

  constructor(
    sqs: SQSClient,
    queueUrl: string,
    private readonly bucket: string,
    private readonly logger?: Logger,
  ) {
    this.sender = new QueueSender({
      sqs,
      queueUrl,
      concurrency: 8,
      maxAttempts: 8,
      retryBaseMs: 100,
      retryMaxMs: 5000,
      logger,
    });
  }

  async send(items: readonly FallbackItem[]): Promise<void> {
    const batches: FallbackItem[][] = [];
    for (let i = 0; i < items.length; i += SQS_BATCH_SIZE) batches.push(items.slice(i, i + SQS_BATCH_SIZE));
    await Promise.all(
      batches.map(async (batch) => {
        const entries = batch.map((item, i) => ({
          id: String(i),
          body: backfillMessageBody({
            bucket: this.bucket,
            key: item.key,
            eTag: item.eTag,
            size: item.size,
            lastModified: item.lastModified,
          }),
        }));
        const { refused } = await this.sender.send(entries);
        if (refused.length > 0) {
          throw new EnqueueFailedError(`SQS refused ${refused.length} fallback messages: ${refused[0]?.message}`);
        }
      }),
    );
    for (const item of items) this.byReason[item.reason] = (this.byReason[item.reason] ?? 0) + 1;
    this.sent += items.length;
    if (items.length) this.logger?.info({ count: items.length }, 'sent to the on-demand queue');
  }
}
