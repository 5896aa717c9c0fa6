import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { makeBackfillMessage } from '../../shared/messages.ts';
import type { BenchObject } from './images.ts';

export interface FeederOptions {
  sqs: SQSClient;
  queueUrl: string;
  bucket: string;
  /** Objects to enqueue, in order; each at most once per scenario. */
  objects: readonly BenchObject[];
  /** Messages not yet finished (catalogued or dead-lettered) that the feeder keeps on hand. */
  outstanding: number;
  /** How many of the enqueued messages are finished, so far. */
  finished: () => number;
  /** How often to top up, ms. Default 100. */
  intervalMs?: number;
}

/**
 * Keeps a fixed number of unfinished messages on hand (a closed loop): the fleet is always saturated, and by
 * Little's law the time from enqueue to catalogued is about `outstanding` ÷ throughput plus what retries add, the
 * same yardstick for every strategy. Backfill messages, as `npm run backfill` sends them.
 */
export class Feeder {
  /** Enqueue time (ms, wall clock) of every key sent. */
  readonly enqueuedAt = new Map<string, number>();
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  private failure: unknown;
  /** Set when the objects ran out: the fleet may then have starved. */
  exhausted = false;

  constructor(private readonly options: FeederOptions) {}

  get enqueued(): number {
    return this.enqueuedAt.size;
  }

  /** Sends until `outstanding` messages are unfinished. */
  topUp(): Promise<void> {
    this.busy = this.busy.then(async () => {
      const want = this.options.outstanding - (this.enqueued - this.options.finished());
      if (want > 0) await this.send(want);
    });
    return this.busy;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.topUp().catch((error: unknown) => {
        this.failure ??= error;
      });
    }, this.options.intervalMs ?? 100);
  }

  /** Stops topping up and waits for a send in progress; throws if any send failed. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.busy.catch(() => {});
    if (this.failure !== undefined) throw this.failure;
  }

  private async send(count: number): Promise<void> {
    const { objects, sqs, queueUrl, bucket } = this.options;
    const batches: { Id: string; MessageBody: string }[][] = [];
    const picked: string[] = [];
    for (let i = 0; i < count; i++) {
      const object = objects[this.next];
      if (!object) {
        this.exhausted = true;
        break;
      }
      this.next += 1;
      if (i % 10 === 0) batches.push([]);
      batches.at(-1)?.push({ Id: String(i), MessageBody: makeBackfillMessage({ bucket, ...object }) });
      picked.push(object.key);
    }
    const at = Date.now();
    for (const key of picked) this.enqueuedAt.set(key, at);
    await Promise.all(
      batches.map(async (entries) => {
        const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        if (out.Failed?.length) throw new Error(`SendMessageBatch failed for ${out.Failed.length} messages`);
      }),
    );
  }
}
