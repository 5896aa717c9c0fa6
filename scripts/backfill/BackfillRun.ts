import type { S3Client } from '@aws-sdk/client-s3';
import { sleep } from '../../shared/backoff.ts';
import { itemId } from '../../shared/catalogue.ts';
import type { Logger } from '../../shared/logger.ts';
import type { CatalogueLookup } from './CatalogueLookup.ts';
import type { CheckpointState, CheckpointWriter } from './Checkpoint.ts';
import { addCounts, type Counts, emptyCounts } from './counts.ts';
import { type Classification, type ListedObject, objectFilter } from './filter.ts';
import { listShard } from './listShard.ts';
import { backfillMessageBody } from './messageBody.ts';
import { type BackfillOptions, modeOf } from './options.ts';
import { type Decision, decideCatalogued, type Mode, toUnits, type Unit } from './pagePlan.ts';
import { type ProgressSnapshot, progressSnapshot } from './progress.ts';
import type { BatchEntry, RefusedEntry } from './QueueSender.ts';
import { Semaphore } from './Semaphore.ts';
import { ShardProgress } from './ShardProgress.ts';
import { compareKeys, type Shard } from './shards.ts';

/** Where messages go: the queue (QueueSender), or nowhere in a dry run. */
interface MessageSender {
  send(entries: readonly BatchEntry[]): Promise<{ refused: RefusedEntry[] }>;
}

export interface BackfillRunDeps {
  s3: S3Client;
  sender: MessageSender;
  /** Sees each object this run enqueues (or would, in a dry run), before its batch is sent. */
  onTake?: (obj: ListedObject) => void;
  lookup?: CatalogueLookup;
  analysisVersion: string;
  logger?: Logger;
  writer?: CheckpointWriter;
}

export type StopReason = 'aborted' | 'limit' | 'error';

/** An object SQS refused for good. */
export interface RefusedKey {
  key: string;
  code: string;
  message: string;
}

/**
 * One run over the ranges of a checkpoint state: `listConcurrency` ranges at a time, each listed page by page (the
 * next page is fetched while the current one is looked up and sent), its units sent with at most `concurrency`
 * batches in flight overall, and committed in key order. Stopping (abort, `limit`, an error) starts no new batch;
 * the batches in flight finish and are committed before `run()` returns, so the checkpoint is exact after a
 * graceful stop.
 */
export class BackfillRun {
  /** What this run did, committed or not (a batch finished after an unfinished one is sent but not committed). */
  readonly sent: Counts = emptyCounts();
  readonly refused: RefusedKey[] = [];
  outOfOrder = 0;
  stopReason: StopReason | undefined;
  error: unknown;
  private readonly stop = new AbortController();
  private readonly gate: Semaphore;
  private readonly mode: Mode;
  private readonly filter: (o: ListedObject) => Classification;
  private budget: number;
  /** When the next batch may start, under `maxRate` (performance.now() ms). */
  private nextStartAt = 0;

  constructor(
    private readonly o: BackfillOptions,
    private readonly state: CheckpointState,
    private readonly deps: BackfillRunDeps,
  ) {
    this.gate = new Semaphore(o.concurrency);
    this.mode = modeOf(o);
    this.filter = objectFilter(o);
    this.budget = o.limit ?? Number.POSITIVE_INFINITY;
  }

  /** Stops starting new work; see the class comment. */
  abort(reason: StopReason = 'aborted'): void {
    this.stopReason ??= reason;
    this.stop.abort(reason);
  }

  get rangesDone(): number {
    return this.state.shards.filter((s) => s.done).length;
  }

  async run(): Promise<void> {
    const queue = this.state.shards.filter((s) => !s.done);
    const worker = async () => {
      for (let shard = queue.shift(); shard && !this.stop.signal.aborted; shard = queue.shift()) {
        try {
          await this.runShard(shard);
        } catch (error) {
          this.error ??= error;
          this.abort('error');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.listConcurrency, queue.length) }, worker));
  }

  /** How far the run is; `base` is what earlier runs of the checkpoint committed. */
  snapshot(elapsedMs: number, base: Counts, expectedListed?: number): ProgressSnapshot {
    const ranges = { done: this.rangesDone, all: this.state.shards.length };
    return progressSnapshot({ elapsedMs, base, sent: this.sent, ranges, expectedListed });
  }

  private async runShard(shard: Shard): Promise<void> {
    const { s3, logger } = this.deps;
    const progress = new ShardProgress(shard, this.state.committed);
    const inFlight = new Set<Promise<void>>();
    let previous = shard.cursor ?? shard.after;
    let exhausted = false;
    try {
      const pages = prefetch(listShard(s3, this.o.bucket, shard, this.o.pageSize, this.stop.signal));
      for await (const page of pages) {
        if (this.stop.signal.aborted) break;
        for (const obj of page.objects) {
          if (previous !== undefined && compareKeys(obj.key, previous) <= 0 && this.outOfOrder++ === 0) {
            logger?.warn(
              { key: obj.key, previous },
              'the listing is not in S3 key order: ranges may overlap or miss keys',
            );
          }
          previous = obj.key;
        }
        const decisions = await this.decide(page.objects);
        if (this.stop.signal.aborted) break;
        const wanted = decisions.filter((d) => d.skip === undefined).length;
        const allowed = Math.min(wanted, this.budget);
        this.budget -= allowed;
        const { units, truncated } = toUnits(decisions, allowed);
        if (!(await this.startUnits(units, progress, inFlight))) break;
        if (truncated) {
          this.stopReason ??= 'limit';
          break;
        }
        if (page.last) exhausted = true;
      }
    } finally {
      await Promise.all(inFlight);
    }
    if (exhausted && progress.pending === 0) shard.done = true;
    this.deps.writer?.request();
  }

  /** What to do with each object of a page (the catalogue lookup is one BatchGetItem per 100 matches). */
  private async decide(objects: readonly ListedObject[]): Promise<Decision[]> {
    const classified = new Map(objects.map((obj) => [obj, this.filter(obj)] as const));
    const { lookup, analysisVersion } = this.deps;
    const matched = objects.filter((obj) => classified.get(obj)?.take);
    const items =
      lookup && matched.length > 0 ? await lookup.get(matched.map((obj) => itemId(this.o.bucket, obj.key))) : undefined;
    return objects.map((obj) => {
      const c = classified.get(obj)!;
      if (!c.take) return { obj, matched: false, skip: c.reason };
      if (!items) return { obj, matched: true };
      const item = items.get(itemId(this.o.bucket, obj.key));
      const skip = decideCatalogued(obj, item, this.mode, analysisVersion, this.o.retryReasons);
      return { obj, matched: true, skip };
    });
  }

  /** Starts the page's units in order, each holding a slot of the gate; false when stopped before the last one. */
  private async startUnits(units: Unit[], progress: ShardProgress, inFlight: Set<Promise<void>>): Promise<boolean> {
    for (const unit of units) {
      if (unit.take.length === 0) {
        this.finish(progress, progress.add(unit), unit);
        continue;
      }
      if (!(await this.pace(unit.take.length))) return false;
      // A slot is held until the unit is committed and that commit is on disk, not merely until it is sent: batches
      // sent but not yet in the checkpoint count against the concurrency, which bounds what a kill -9 can repeat.
      if (!(await this.gate.acquire(this.stop.signal))) return false;
      if (this.stop.signal.aborted) {
        this.gate.release();
        return false;
      }
      const handle = progress.add(unit, () => this.releaseWhenDurable());
      const p = this.send(unit)
        .then(
          () => this.finish(progress, handle, unit),
          (error: unknown) => {
            this.error ??= error;
            this.abort('error');
          },
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    return true;
  }

  private releaseWhenDurable(): void {
    const { writer } = this.deps;
    if (!writer) {
      this.gate.release();
      return;
    }
    writer.durable().then(
      () => this.gate.release(),
      (error: unknown) => {
        this.error ??= error;
        this.abort('error');
        this.gate.release();
      },
    );
  }

  /** Waits for the batch's turn under `maxRate`; false when stopped meanwhile. */
  private async pace(messages: number): Promise<boolean> {
    const rate = this.o.maxRate;
    if (rate === undefined) return true;
    const now = performance.now();
    const at = Math.max(now, this.nextStartAt);
    this.nextStartAt = at + (messages * 1000) / rate;
    if (at > now) await sleep(at - now, this.stop.signal).catch(() => undefined);
    return !this.stop.signal.aborted;
  }

  private finish(progress: ShardProgress, handle: object, unit: Unit): void {
    addCounts(this.sent, unit.counts);
    if (progress.finish(handle)) this.deps.writer?.request();
  }

  private async send(unit: Unit): Promise<void> {
    const entries: BatchEntry[] = [];
    const byId = new Map<string, ListedObject>();
    const reprocess = this.mode === 'all' ? undefined : true;
    unit.take.forEach((obj, i) => {
      this.deps.onTake?.(obj);
      const id = String(i);
      byId.set(id, obj);
      try {
        const body = backfillMessageBody({
          bucket: this.o.bucket,
          key: obj.key,
          eTag: obj.eTag,
          size: obj.size,
          lastModified: obj.lastModified,
          reprocess,
        });
        entries.push({ id, body });
      } catch (error) {
        this.refuse(unit, obj, 'InvalidMessage', (error as Error).message);
      }
    });
    const { refused } = await this.deps.sender.send(entries);
    for (const r of refused) {
      const obj = byId.get(r.id);
      if (obj) this.refuse(unit, obj, r.code, r.message);
    }
  }

  private refuse(unit: Unit, obj: ListedObject, code: string, message: string): void {
    unit.counts.enqueued--;
    unit.counts.enqueuedBytes -= obj.size;
    unit.counts.refused++;
    this.refused.push({ key: obj.key, code, message });
    this.deps.logger?.error({ key: obj.key, code, message }, 'SQS refused the message for this key');
  }
}

/** Fetches the next item of `source` while the caller works on the current one. */
async function* prefetch<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = source.next();
  next.catch(() => undefined);
  try {
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = source.next();
      next.catch(() => undefined);
      yield r.value;
    }
  } finally {
    await next.catch(() => undefined);
    await source.return(undefined);
  }
}
