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
  /** The catalogue table's client; required with `skipCatalogued` (the default) or a reprocess mode. */
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
  const needLookup = o.skipCatalogued || modeOf(o) !== 'all';
  if (needLookup && !deps.doc) throw new TypeError('deps.doc is required with skipCatalogued or a reprocess mode');
  const prefixes = normalisePrefixes(o.prefixes);
  const file = o.checkpointFile;
  const { state, resumed } = await openCheckpoint(o, prefixes, deps);
  const base = {
    bucket: o.bucket,
    prefixes,
    queueUrl: deps.queueUrl,
    analysisVersion: deps.analysisVersion,
    mode: modeOf(o),
    checkpointFile: file,
    resumed,
  };
  if (state.complete) {
    deps.logger?.info({ checkpoint: file }, 'this backfill is already complete (use --restart to run it again)');
    return alreadyComplete(base, state);
  }
  const committedAtStart = structuredClone(state.committed);
  const writer = file
    ? new CheckpointWriter(file, () => ({ ...state, updatedAt: new Date().toISOString() }))
    : undefined;
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
  const run = new BackfillRun(o, state, {
    s3: deps.s3,
    sender,
    lookup,
    analysisVersion: deps.analysisVersion,
    logger: deps.logger,
    writer,
  });
  await drive(run, { state, writer, deps, started, committedAtStart });
  const elapsedMs = performance.now() - started;
  const seconds = Math.max(elapsedMs / 1000, 0.001);
  const committedThisRun = state.committed.enqueued - committedAtStart.enqueued;
  return {
    ...base,
    outcome: state.complete ? 'complete' : run.stopReason === 'limit' ? 'limit' : 'aborted',
    runs: state.runs,
    run: run.sent,
    total: state.committed,
    uncommitted: Math.max(0, run.sent.enqueued - committedThisRun),
    refused: run.refused,
    ranges: state.shards.length,
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

/**
 * The checkpoint to continue (when resuming and one exists for the same selection) or a new one over freshly
 * planned key ranges. A checkpoint of other options is refused rather than silently mixed.
 */
async function openCheckpoint(
  o: BackfillOptions,
  prefixes: string[],
  deps: BackfillDeps,
): Promise<{ state: CheckpointState; resumed: boolean }> {
  const file = o.checkpointFile;
  const state = file && o.resume ? await readCheckpoint(file) : undefined;
  if (!state) {
    const shards = await planShards(deps.s3, { ...o, prefixes, signal: deps.signal });
    const fresh = newCheckpointState(o, { queueUrl: deps.queueUrl, analysisVersion: deps.analysisVersion }, shards);
    return { state: fresh, resumed: false };
  }
  if (state.selectionHash !== selectionHash(o)) {
    throw new CheckpointError(
      `checkpoint ${file} was written for other options (${JSON.stringify(state.selection)}); ` +
        'use --restart to start over, or another --checkpoint',
    );
  }
  if (state.complete) return { state, resumed: true };
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
  return { state, resumed: true };
}

/** The summary of a run that found its checkpoint already complete: nothing listed, nothing sent. */
function alreadyComplete(
  base: Pick<
    BackfillSummary,
    'bucket' | 'prefixes' | 'queueUrl' | 'analysisVersion' | 'mode' | 'checkpointFile' | 'resumed'
  >,
  state: CheckpointState,
): BackfillSummary {
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

/**
 * Runs to the end, a limit or the abort signal, reporting progress on a timer; whatever happens, marks the state
 * complete only when every range is done and saves the checkpoint before returning or throwing.
 */
async function drive(
  run: BackfillRun,
  ctx: {
    state: CheckpointState;
    writer?: CheckpointWriter;
    deps: BackfillDeps;
    started: number;
    committedAtStart: Counts;
  },
): Promise<void> {
  const { deps, state } = ctx;
  const onAbort = () => run.abort('aborted');
  if (deps.signal?.aborted) onAbort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const report = () =>
    deps.onProgress?.(run.snapshot(performance.now() - ctx.started, ctx.committedAtStart, deps.expectedListed));
  const timer = deps.onProgress ? setInterval(report, deps.progressEveryMs ?? 1000) : undefined;
  timer?.unref();
  try {
    await run.run();
  } finally {
    clearInterval(timer);
    deps.signal?.removeEventListener('abort', onAbort);
    state.complete = run.error === undefined && state.shards.every((s) => s.done);
    if (ctx.writer) await ctx.writer.flush();
  }
  report();
  if (run.error !== undefined) throw run.error;
}
