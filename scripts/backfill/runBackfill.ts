import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../../shared/logger.ts';
import { BackfillRun, type RefusedKey } from './BackfillRun.ts';
import { CatalogueLookup } from './CatalogueLookup.ts';
import { type CheckpointState, CheckpointWriter, newCheckpointState, readCheckpoint } from './Checkpoint.ts';
import { type Counts, emptyCounts } from './counts.ts';
import { CheckpointError } from './errors.ts';
import { BackfillOptions, type BackfillOptionsInput, modeOf, normalisePrefixes, selectionHash } from './options.ts';
import type { Mode } from './pagePlan.ts';
import type { ProgressSnapshot } from './progress.ts';
import { QueueSender, type QueueSenderStats } from './QueueSender.ts';
import { planShards } from './shards.ts';

export interface BackfillDeps {
  s3: S3Client;
  sqs: SQSClient;
  /** The catalogue table's client; required with `skipCatalogued` (the default) or `reprocessStale`. */
  doc?: DynamoDBDocumentClient;
  queueUrl: string;
  tableName: string;
  /** The worker's current analysis version (worker/model/prompt.ts `loadPrompt(config).analysisVersion`). */
  analysisVersion: string;
  logger?: Logger;
  /** Aborting stops the run gracefully: no new batch starts, the ones in flight finish and are checkpointed. */
  signal?: AbortSignal;
  /** Called about every `progressEveryMs` (default 1000) and once at the end. */
  onProgress?: (snapshot: ProgressSnapshot) => void;
  progressEveryMs?: number;
  /** Objects under the prefixes, when known (a dry run's count): gives the progress a true fraction and ETA. */
  expectedListed?: number;
  random?: () => number;
}

export interface BackfillSummary {
  /** complete: every range is done; limit: `limit` messages sent; aborted: stopped by the signal. */
  outcome: 'complete' | 'limit' | 'aborted' | 'already-complete';
  bucket: string;
  prefixes: string[];
  queueUrl: string;
  analysisVersion: string;
  mode: Mode;
  checkpointFile?: string;
  resumed: boolean;
  /** Runs on this checkpoint, this one included. */
  runs: number;
  /** This run: every batch it finished, committed or not. */
  run: Counts;
  /** Committed over every run of the checkpoint: what a resumed run will not repeat. */
  total: Counts;
  /** Messages this run sent past its ranges' cursors (after a batch that did not finish): a resume sends them again. */
  uncommitted: number;
  refused: RefusedKey[];
  ranges: number;
  rangesDone: number;
  elapsedMs: number;
  listedPerSecond: number;
  enqueuedPerSecond: number;
  sqs: QueueSenderStats;
  batchGetCalls: number;
  checkpointWrites: number;
  /** Keys that came back out of S3's order (should be 0; more means the listing service is not S3-compatible). */
  outOfOrderKeys: number;
}

/**
 * Enqueues a backfill message for every matching object of the bucket (see {@link BackfillOptions}), resumably.
 * The CLI (scripts/backfill.ts) is a thin wrapper around this.
 * @throws EnqueueFailedError, a listing or lookup failure (after retries), or CheckpointError; the checkpoint is
 *   saved first, so the run can be resumed.
 */
export async function runBackfill(input: BackfillOptionsInput, deps: BackfillDeps): Promise<BackfillSummary> {
  const o = BackfillOptions.parse(input);
  const started = performance.now();
  const now = () => new Date().toISOString();
  const needLookup = o.skipCatalogued || o.reprocessStale || o.retryRejected;
  if (needLookup && !deps.doc) throw new TypeError('deps.doc is required with skipCatalogued or reprocessStale');
  const prefixes = normalisePrefixes(o.prefixes);
  const hash = selectionHash(o);
  const file = o.checkpointFile;

  let state = file && o.resume ? await readCheckpoint(file) : undefined;
  const resumed = state !== undefined;
  if (state && state.selectionHash !== hash) {
    throw new CheckpointError(
      `checkpoint ${file} was written for other options (${JSON.stringify(state.selection)}); ` +
        'use --restart to start over, or another --checkpoint',
    );
  }
  const base = {
    bucket: o.bucket,
    prefixes,
    queueUrl: deps.queueUrl,
    analysisVersion: deps.analysisVersion,
    mode: modeOf(o),
    checkpointFile: file,
    resumed,
  };
  if (state?.complete) {
    deps.logger?.info({ checkpoint: file }, 'this backfill is already complete (use --restart to run it again)');
    return {
      ...base,
      outcome: 'already-complete',
      runs: state.runs,
      run: emptyCounts(),
      total: state.committed,
      uncommitted: 0,
      refused: [],
      ranges: state.shards.length,
      rangesDone: state.shards.length,
      elapsedMs: 0,
      listedPerSecond: 0,
      enqueuedPerSecond: 0,
      sqs: { calls: 0, retriedEntries: 0, throttles: 0 },
      batchGetCalls: 0,
      checkpointWrites: 0,
      outOfOrderKeys: 0,
    };
  }
  if (state) {
    state.runs++;
    if (state.analysisVersion !== deps.analysisVersion) {
      deps.logger?.warn(
        { was: state.analysisVersion, now: deps.analysisVersion },
        'the analysis version changed since the checkpoint',
      );
      state.analysisVersion = deps.analysisVersion;
    }
    if (state.queueUrl !== deps.queueUrl)
      deps.logger?.warn({ was: state.queueUrl, now: deps.queueUrl }, 'the queue changed since the checkpoint');
  } else {
    const shards = await planShards(deps.s3, { ...o, prefixes, signal: deps.signal });
    state = newCheckpointState(o, { queueUrl: deps.queueUrl, analysisVersion: deps.analysisVersion }, shards);
  }
  const committedAtStart = structuredClone(state.committed);
  const current: CheckpointState = state;
  const writer = file ? new CheckpointWriter(file, () => ({ ...current, updatedAt: now() })) : undefined;
  writer?.request();

  const sender = new QueueSender({
    sqs: deps.sqs,
    queueUrl: deps.queueUrl,
    concurrency: o.concurrency,
    maxAttempts: o.sendMaxAttempts,
    retryBaseMs: o.retryBaseMs,
    retryMaxMs: o.retryMaxMs,
    logger: deps.logger,
    random: deps.random,
  });
  const lookup =
    needLookup && deps.doc
      ? new CatalogueLookup({ doc: deps.doc, tableName: deps.tableName, random: deps.random })
      : undefined;
  const run = new BackfillRun(o, current, {
    s3: deps.s3,
    sender,
    lookup,
    analysisVersion: deps.analysisVersion,
    logger: deps.logger,
    writer,
  });
  const onAbort = () => run.abort('aborted');
  if (deps.signal?.aborted) onAbort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const report = () =>
    deps.onProgress?.(run.snapshot(performance.now() - started, committedAtStart, deps.expectedListed));
  const timer = deps.onProgress ? setInterval(report, deps.progressEveryMs ?? 1000) : undefined;
  timer?.unref();
  try {
    await run.run();
  } finally {
    clearInterval(timer);
    deps.signal?.removeEventListener('abort', onAbort);
    current.complete = run.error === undefined && current.shards.every((s) => s.done);
    if (writer) await writer.flush();
  }
  report();
  if (run.error !== undefined) throw run.error;
  const elapsedMs = performance.now() - started;
  const seconds = Math.max(elapsedMs / 1000, 0.001);
  const committedThisRun = current.committed.enqueued - committedAtStart.enqueued;
  return {
    ...base,
    outcome: current.complete ? 'complete' : run.stopReason === 'limit' ? 'limit' : 'aborted',
    runs: current.runs,
    run: run.sent,
    total: current.committed,
    uncommitted: Math.max(0, run.sent.enqueued - committedThisRun),
    refused: run.refused,
    ranges: current.shards.length,
    rangesDone: run.rangesDone,
    elapsedMs: Math.round(elapsedMs),
    listedPerSecond: Math.round(run.sent.listed / seconds),
    enqueuedPerSecond: Math.round(run.sent.enqueued / seconds),
    sqs: sender.stats,
    batchGetCalls: lookup?.calls ?? 0,
    checkpointWrites: writer?.writes ?? 0,
    outOfOrderKeys: run.outOfOrder,
  };
}
