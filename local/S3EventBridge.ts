import { EventEmitter } from 'node:events';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import {
  createSequencer,
  DEFAULT_CONFIGURATION_ID,
  makeS3EventMessage,
  makeS3EventRecord,
  makeS3TestEvent,
  type S3EventName,
  type S3EventRecord,
} from './s3Events.ts';
import type { S3Write, S3WriteKind } from './s3WriteTap.ts';

/**
 * Turns the writes and deletes of one bucket into S3 event notifications on a queue, as S3's bucket notification
 * configuration does in AWS (fauxqs sends none): one message per change, one record per message, exact AWS shape,
 * URL-encoded key, a sequencer that grows with every change. Tests can hold delivery back (`pause`), take the held
 * messages (`drain`) and deliver them themselves — twice, out of order — or let them go (`resume`).
 */

export interface S3EventBridgeOptions {
  /** The bucket whose changes are notified; changes in other buckets are ignored. */
  bucket: string;
  queueUrl: string;
  sqs: SQSClient;
  /** Default 'us-east-1'. */
  region?: string;
  /** Only keys ending with one of these, compared case-sensitively as S3's filter rules are. Default: every key. */
  suffixes?: readonly string[];
  /** Default true. When false, changes are ignored (not held, not counted). */
  enabled?: boolean;
  /** Default 'image-catalogue-local'. */
  configurationId?: string;
  /** Source of sequencers. Default: {@link createSequencer}. */
  sequencer?: () => string;
  logger?: Logger;
  /** Delivery attempts per message before it is given up (and `delivery-error` emitted). Default 5. */
  maxAttempts?: number;
}

export interface S3EventBridgeEvents {
  /** A change became a notification (before delivery); `body` is the message body. */
  event: [record: S3EventRecord, body: string];
  /** These bodies are now on the queue. */
  sent: [bodies: string[]];
  /** These bodies could not be delivered. */
  'delivery-error': [error: Error, bodies: string[]];
}

const EVENT_NAMES: Record<S3WriteKind, S3EventName> = {
  Put: 'ObjectCreated:Put',
  Post: 'ObjectCreated:Post',
  Copy: 'ObjectCreated:Copy',
  CompleteMultipartUpload: 'ObjectCreated:CompleteMultipartUpload',
  Delete: 'ObjectRemoved:Delete',
  DeleteMarkerCreated: 'ObjectRemoved:DeleteMarkerCreated',
};

const BATCH = 10;

export class S3EventBridge extends EventEmitter<S3EventBridgeEvents> {
  /** When false, changes are ignored. */
  enabled: boolean;
  private readonly options: S3EventBridgeOptions;
  private readonly nextSequencer: () => string;
  private readonly maxAttempts: number;
  private held: string[] = [];
  private outbox: { body: string; attempts: number }[] = [];
  private pumping: Promise<void> | undefined;
  private isPaused = false;
  private closed = false;
  private sentCount = 0;
  private producedCount = 0;

  constructor(options: S3EventBridgeOptions) {
    super();
    this.options = options;
    this.enabled = options.enabled ?? true;
    this.nextSequencer = options.sequencer ?? createSequencer();
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  /** Messages put on the queue so far. */
  get sent(): number {
    return this.sentCount;
  }

  /** Notifications made so far (delivered, held or on their way). */
  get produced(): number {
    return this.producedCount;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  /** Holds new notifications back instead of delivering them, until {@link resume}. */
  pause(): void {
    this.isPaused = true;
  }

  /** Delivers what was held, and everything after. */
  resume(): void {
    this.isPaused = false;
    const held = this.held.splice(0);
    if (held.length > 0) this.enqueue(held);
  }

  /** Takes the held message bodies (oldest first) out of the bridge: they will not be delivered by it. */
  drain(): string[] {
    return this.held.splice(0);
  }

  /** Called for every change in any bucket, in the order the changes happened. */
  handleWrite(write: S3Write): void {
    if (!this.enabled || this.closed || write.bucket !== this.options.bucket) return;
    const suffixes = this.options.suffixes;
    if (suffixes && suffixes.length > 0 && !suffixes.some((s) => write.key.endsWith(s))) return;
    const record = makeS3EventRecord({
      eventName: EVENT_NAMES[write.kind],
      bucket: write.bucket,
      key: write.key,
      size: write.size,
      eTag: write.eTag,
      versionId: write.versionId,
      sequencer: this.nextSequencer(),
      eventTime: write.time,
      region: this.options.region,
      configurationId: this.options.configurationId ?? DEFAULT_CONFIGURATION_ID,
    });
    const body = makeS3EventMessage([record]);
    this.producedCount++;
    this.emit('event', record, body);
    if (this.isPaused) this.held.push(body);
    else this.enqueue([body]);
  }

  /** Puts these bodies on the queue (e.g. drained ones, again or in another order) and resolves once they are there. */
  async send(bodies: readonly string[]): Promise<void> {
    this.enqueue(bodies);
    await this.idle();
  }

  /** Sends the `s3:TestEvent` S3 sends when a notification configuration is saved. */
  async sendTestEvent(): Promise<void> {
    await this.send([makeS3TestEvent(this.options.bucket)]);
  }

  /** Resolves when nothing is waiting for delivery (held notifications do not count). */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /** Stops making notifications and waits for the ones on their way. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  private enqueue(bodies: readonly string[]): void {
    for (const body of bodies) this.outbox.push({ body, attempts: 0 });
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  private async pump(): Promise<void> {
    // Start on the next microtask, so the changes of one tick (a multi-object delete) share a batch.
    await Promise.resolve();
    while (this.outbox.length > 0) {
      const batch = this.outbox.splice(0, BATCH);
      const retry = await this.deliver(batch);
      if (retry.length > 0) {
        const attempt = Math.max(...retry.map((r) => r.attempts));
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt)));
        this.outbox.unshift(...retry);
      }
    }
  }

  /** Sends one batch; returns the entries worth another attempt. */
  private async deliver(batch: { body: string; attempts: number }[]): Promise<{ body: string; attempts: number }[]> {
    for (const entry of batch) entry.attempts++;
    let failed: { entry: { body: string; attempts: number }; error: Error; retryable: boolean }[];
    try {
      const out = await this.options.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: batch.map((entry, i) => ({ Id: String(i), MessageBody: entry.body })),
        }),
      );
      failed = (out.Failed ?? []).flatMap((f) => {
        const entry = batch[Number(f.Id)];
        return entry ? [{ entry, error: new Error(`${f.Code}: ${f.Message}`), retryable: !f.SenderFault }] : [];
      });
    } catch (error) {
      failed = batch.map((entry) => ({ entry, error: error as Error, retryable: true }));
    }
    const failedSet = new Set(failed.map((f) => f.entry));
    const delivered = batch.filter((entry) => !failedSet.has(entry)).map((entry) => entry.body);
    if (delivered.length > 0) {
      this.sentCount += delivered.length;
      this.emit('sent', delivered);
    }
    const retry: { body: string; attempts: number }[] = [];
    for (const f of failed) {
      if (f.retryable && f.entry.attempts < this.maxAttempts) {
        retry.push(f.entry);
        continue;
      }
      this.options.logger?.error({ err: f.error, attempts: f.entry.attempts }, 'S3 event notification not delivered');
      this.emit('delivery-error', f.error, [f.entry.body]);
    }
    return retry;
  }
}
