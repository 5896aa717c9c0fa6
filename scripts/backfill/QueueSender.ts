import { SendMessageBatchCommand, type SendMessageBatchCommandOutput, type SQSClient } from '@aws-sdk/client-sqs';
import { errorName, httpStatusOf } from '../../shared/awsErrors.ts';
import { fullJitterDelay, sleep } from '../../shared/backoff.ts';
import type { Logger } from '../../shared/logger.ts';
import { EnqueueFailedError } from './errors.ts';
import { Semaphore } from './Semaphore.ts';

/** SQS takes at most 10 entries per SendMessageBatch. */
export const SQS_BATCH_SIZE = 10;

export interface QueueSenderOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** SendMessageBatch calls in flight. */
  concurrency: number;
  /** Attempts per entry while it keeps failing for a passing reason. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  logger?: Logger;
  random?: () => number;
}

export interface BatchEntry {
  /** Unique within the batch. */
  id: string;
  body: string;
}

/** The entries SQS refused for good (the caller's fault, e.g. an invalid body): retrying cannot help. */
export interface RefusedEntry {
  id: string;
  code: string;
  message: string;
}

export interface QueueSenderStats {
  calls: number;
  retriedEntries: number;
  throttles: number;
}

/**
 * SendMessageBatch with bounded concurrency, and retries with exponential backoff and full jitter of exactly the
 * entries that failed: the `Failed` entries of a partial failure, or the whole batch when the call itself failed for
 * a passing reason (throttling, 5xx, a reset connection). A call that failed in flight may have been stored, so such
 * a retry can duplicate messages: SQS standard queues deliver at least once anyway, and the worker skips content it
 * has already catalogued.
 */
export class QueueSender {
  readonly stats: QueueSenderStats = { calls: 0, retriedEntries: 0, throttles: 0 };
  private readonly slots: Semaphore;

  constructor(private readonly options: QueueSenderOptions) {
    this.slots = new Semaphore(options.concurrency);
  }

  /**
   * Sends up to 10 entries and resolves once each is stored or refused for good.
   * @throws EnqueueFailedError when entries still fail after `maxAttempts`, or the queue refuses the call itself
   *   (missing queue, no permission).
   */
  async send(entries: readonly BatchEntry[]): Promise<{ refused: RefusedEntry[] }> {
    if (entries.length === 0) return { refused: [] };
    if (entries.length > SQS_BATCH_SIZE) throw new RangeError(`at most ${SQS_BATCH_SIZE} entries per batch`);
    const { maxAttempts, retryBaseMs, retryMaxMs, random } = this.options;
    let pending = [...entries];
    const refused: RefusedEntry[] = [];
    for (let attempt = 0; ; attempt++) {
      const failed = await this.slots.run(() => this.call(pending, refused));
      if (failed.entries.length === 0) return { refused };
      if (attempt + 1 >= maxAttempts) {
        throw new EnqueueFailedError(
          `SendMessageBatch still failing for ${failed.entries.length} entries after ${maxAttempts} attempts: ${failed.why}`,
          { context: { ids: failed.entries.map((e) => e.id), why: failed.why } },
        );
      }
      this.stats.retriedEntries += failed.entries.length;
      this.options.logger?.debug(
        { entries: failed.entries.length, attempt, why: failed.why },
        'retrying SendMessageBatch entries',
      );
      // Not cut short by an abort: a batch once started ends acknowledged or failed, so the checkpoint is exact.
      await sleep(fullJitterDelay(attempt, retryBaseMs, retryMaxMs, random));
      pending = failed.entries;
    }
  }

  /** One call; returns the entries to retry. */
  private async call(
    entries: readonly BatchEntry[],
    refused: RefusedEntry[],
  ): Promise<{ entries: BatchEntry[]; why: string }> {
    this.stats.calls++;
    let out: SendMessageBatchCommandOutput;
    try {
      out = await this.options.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: entries.map((e) => ({ Id: e.id, MessageBody: e.body })),
        }),
      );
    } catch (error) {
      if (!isPassing(error)) {
        throw new EnqueueFailedError(`SendMessageBatch refused: ${errorName(error)}: ${(error as Error).message}`, {
          cause: error,
          context: { awsError: errorName(error), httpStatus: httpStatusOf(error) },
        });
      }
      if (isThrottle(error)) this.stats.throttles++;
      return { entries: [...entries], why: `${errorName(error)}: ${(error as Error).message}` };
    }
    const byId = new Map(entries.map((e) => [e.id, e]));
    const retry: BatchEntry[] = [];
    const codes = new Set<string>();
    for (const f of out.Failed ?? []) {
      const entry = f.Id === undefined ? undefined : byId.get(f.Id);
      if (!entry) continue;
      const code = f.Code ?? 'Unknown';
      if (f.SenderFault) {
        refused.push({ id: entry.id, code, message: f.Message ?? '' });
      } else {
        if (/throttl/i.test(code)) this.stats.throttles++;
        codes.add(code);
        retry.push(entry);
      }
    }
    return { entries: retry, why: `Failed entries: ${[...codes].join(', ')}` };
  }
}

/** Worth another attempt: throttling, 5xx, network faults (no HTTP status at all). */
function isPassing(error: unknown): boolean {
  const status = httpStatusOf(error);
  if ((error as { $retryable?: unknown })?.$retryable) return true;
  if (status === undefined) return true;
  return status === 429 || status >= 500 || isThrottle(error);
}

function isThrottle(error: unknown): boolean {
  return /throttl|RequestThrottled|SlowDown/i.test(errorName(error));
}
