import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../../shared/logger.ts';
import { costOf, type ModelPrice, priceOf, resolveModel, traitsOf } from '../../shared/models.ts';

const pick = ({ toolUseSystemTokens, textTokenFactor }: ReturnType<typeof traitsOf>) => ({
  toolUseSystemTokens,
  textTokenFactor,
});

import { BackfillRun } from './BackfillRun.ts';
import { CatalogueLookup } from './CatalogueLookup.ts';
import { newCheckpointState } from './Checkpoint.ts';
import { calibrateFromCatalogue } from './calibrate.ts';
import { type Counts, emptyCounts } from './counts.ts';
import { defaultRequestModel, imageTokens, meanAndSd, type RequestModel, relativeMargin95 } from './estimate.ts';
import type { ListedObject } from './filter.ts';
import { readImageSize } from './imageHeader.ts';
import { BackfillOptions, type BackfillOptionsInput, modeOf, normalisePrefixes } from './options.ts';
import type { Mode } from './pagePlan.ts';
import type { ProgressSnapshot } from './progress.ts';
import { Semaphore } from './Semaphore.ts';
import { planShards } from './shards.ts';

export interface DryRunSettings {
  /** Images whose header is read (a uniform random sample of those that would be enqueued). Default 200. */
  sample?: number;
  /** Header reads in flight. Default 16. */
  headerConcurrency?: number;
  /** Output tokens per image; default: measured on the catalogue, else DEFAULT_OUTPUT_TOKENS. */
  outputTokens?: number;
  /** Use the catalogue's measured usage for overhead and output. Default true. */
  calibrate?: boolean;
  /** USD per million tokens; default: the model table (shared/modelTable.ts). */
  priceInput?: number;
  priceOutput?: number;
}

export interface DryRunDeps {
  s3: S3Client;
  doc?: DynamoDBDocumentClient;
  tableName: string;
  analysisVersion: string;
  /** The worker's configuration that decides the cost: model, prompt, image size, quota. */
  model: { id: string; maxTokens: number; categories?: readonly string[] };
  prompt: string;
  image: { maxEdge: number; maxBytes: number };
  quota: { rpm: number; tpm: number; target: number; outputBurndown: number };
  logger?: Logger;
  signal?: AbortSignal;
  onProgress?: (snapshot: ProgressSnapshot) => void;
  random?: () => number;
}

export interface DryRunReport {
  bucket: string;
  prefixes: string[];
  mode: Mode;
  /** What a run with these options would do now ("enqueued": would enqueue). */
  counts: Counts;
  complete: boolean;
  sample: { size: number; read: number; unreadable: number; wholeObjectReads: number; bytesRead: number };
  perImage: { imageTokens: number; overheadTokens: number; inputTokens: number; outputTokens: number };
  requestModel: RequestModel & { source: 'catalogue' | 'defaults' | 'flags'; items: number };
  tokens: { input: number; output: number; total: number; margin95: number };
  cost: {
    model: string;
    price?: Pick<ModelPrice, 'inputPerMillion' | 'outputPerMillion' | 'batchFactor'>;
    onDemandUsd?: number;
    batchUsd?: number;
  };
  time: {
    requests: number;
    rpm: number;
    tpm: number;
    target: number;
    minutesByRequests: number;
    minutesByTokens: number;
    binding: 'requests' | 'tokens';
    minutes: number;
  };
  elapsedMs: number;
}

/**
 * Counts what a backfill with these options would enqueue (the same listing, filters and catalogue lookups as a
 * real run, without sending), reads the pixel size of a random sample of those images from their headers, and
 * estimates tokens, cost and time at the configured quota. Enqueues nothing and writes no checkpoint.
 */
export async function runDryRun(input: BackfillOptionsInput & DryRunSettings, deps: DryRunDeps): Promise<DryRunReport> {
  const started = performance.now();
  const o = BackfillOptions.parse({ ...input, checkpointFile: undefined, limit: undefined });
  const prefixes = normalisePrefixes(o.prefixes);
  const listing = await countAndSample(o, prefixes, input.sample ?? 200, deps, started);
  const reads = await readSample(listing.sample, o.bucket, input.headerConcurrency ?? 16, deps);
  const requestModel = await chooseRequestModel(input, deps);
  const answered = reads.filter((r) => r.ok).length;
  return {
    bucket: o.bucket,
    prefixes,
    mode: modeOf(o),
    counts: listing.counts,
    complete: listing.complete,
    sample: {
      size: listing.sample.length,
      read: answered,
      unreadable: reads.length - answered,
      wholeObjectReads: reads.filter((r) => r.whole).length,
      bytesRead: reads.reduce((a, r) => a + r.bytesRead, 0),
    },
    requestModel,
    ...estimate(reads, listing.counts.enqueued, requestModel, input, deps),
    elapsedMs: Math.round(performance.now() - started),
  };
}

/**
 * The same listing, filters and catalogue lookups as a real run, sending nothing: what would be enqueued, and a
 * uniform random sample of it (reservoir sampling: one pass, whatever its size).
 */
async function countAndSample(
  o: BackfillOptions,
  prefixes: string[],
  sampleSize: number,
  deps: DryRunDeps,
  started: number,
): Promise<{ counts: Counts; complete: boolean; sample: ListedObject[] }> {
  const random = deps.random ?? Math.random;
  const needLookup = o.skipCatalogued || modeOf(o) !== 'all';
  if (needLookup && !deps.doc) throw new TypeError('deps.doc is required with skipCatalogued or a reprocess mode');
  const shards = await planShards(deps.s3, { ...o, prefixes, signal: deps.signal });
  const state = newCheckpointState(o, { queueUrl: '(dry run)', analysisVersion: deps.analysisVersion }, shards);
  const sample: ListedObject[] = [];
  let seen = 0;
  const run = new BackfillRun(o, state, {
    s3: deps.s3,
    sender: { send: async () => ({ refused: [] }) },
    lookup: needLookup && deps.doc ? new CatalogueLookup({ doc: deps.doc, tableName: deps.tableName }) : undefined,
    analysisVersion: deps.analysisVersion,
    logger: deps.logger,
    onTake: (obj) => {
      seen++;
      if (sample.length < sampleSize) sample.push(obj);
      else {
        const j = Math.floor(random() * seen);
        if (j < sampleSize) sample[j] = obj;
      }
    },
  });
  const onAbort = () => run.abort('aborted');
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = deps.onProgress
    ? setInterval(() => deps.onProgress?.(run.snapshot(performance.now() - started, emptyCounts())), 1000)
    : undefined;
  timer?.unref();
  try {
    await run.run();
  } finally {
    clearInterval(timer);
    deps.signal?.removeEventListener('abort', onAbort);
  }
  if (run.error !== undefined) throw run.error;
  return { counts: run.sent, complete: state.shards.every((s) => s.done), sample };
}

interface SampleRead {
  tokens: number;
  ok: boolean;
  bytesRead: number;
  whole: boolean;
}

/** Reads the pixel size of each sampled image from its header, and the image tokens the worker's copy would cost. */
function readSample(
  sample: readonly ListedObject[],
  bucket: string,
  concurrency: number,
  deps: DryRunDeps,
): Promise<SampleRead[]> {
  const gate = new Semaphore(concurrency);
  return Promise.all(
    sample.map((obj) =>
      gate.run(async () => {
        if (obj.size > deps.image.maxBytes) return { tokens: 0, ok: false, bytesRead: 0, whole: false };
        const r = await readImageSize(deps.s3, bucket, obj.key, obj.size, deps.image.maxBytes, deps.signal);
        const tokens = r.ok ? imageTokens(r.width, r.height, deps.image.maxEdge) : 0;
        return { tokens, ok: r.ok, bytesRead: r.bytesRead, whole: r.ok && r.fullRead };
      }),
    ),
  );
}

/** Tokens, cost and time of enqueuing `n` images like the sample, at the configured price and quota. */
function estimate(
  reads: readonly SampleRead[],
  n: number,
  requestModel: RequestModel,
  input: DryRunSettings,
  deps: DryRunDeps,
): Pick<DryRunReport, 'perImage' | 'tokens' | 'cost' | 'time'> {
  // An unreadable image or one over IMAGE_MAX_BYTES is rejected by the worker before any model call: no tokens.
  const perSampleInput = reads.map((r) => (r.ok ? r.tokens + requestModel.overheadTokens : 0));
  const answeredShare = reads.length === 0 ? 1 : reads.filter((r) => r.ok).length / reads.length;
  const meanImage = meanAndSd(reads.filter((r) => r.ok).map((r) => r.tokens)).mean;
  const inputTotal = Math.round(meanAndSd(perSampleInput).mean * n);
  const requests = Math.round(n * answeredShare);
  const outputTotal = requests * requestModel.outputTokens;
  const price =
    input.priceInput !== undefined && input.priceOutput !== undefined
      ? { inputPerMillion: input.priceInput, outputPerMillion: input.priceOutput, batchFactor: 0.5 }
      : priceOf(deps.model.id);
  const onDemandUsd = price ? costOf({ input: inputTotal, output: outputTotal }, price) : undefined;
  const q = deps.quota;
  const minutesByRequests = requests / (q.rpm * q.target);
  const minutesByTokens = (inputTotal + outputTotal * q.outputBurndown) / (q.tpm * q.target);
  return {
    perImage: {
      imageTokens: Math.round(meanImage),
      overheadTokens: requestModel.overheadTokens,
      inputTokens: Math.round(meanImage + requestModel.overheadTokens),
      outputTokens: requestModel.outputTokens,
    },
    tokens: {
      input: inputTotal,
      output: outputTotal,
      total: inputTotal + outputTotal,
      margin95: relativeMargin95(perSampleInput, n),
    },
    cost: {
      model: deps.model.id,
      price: price && {
        inputPerMillion: price.inputPerMillion,
        outputPerMillion: price.outputPerMillion,
        batchFactor: price.batchFactor,
      },
      onDemandUsd,
      batchUsd: onDemandUsd === undefined || !price ? undefined : onDemandUsd * price.batchFactor,
    },
    time: {
      requests,
      rpm: q.rpm,
      tpm: q.tpm,
      target: q.target,
      minutesByRequests,
      minutesByTokens,
      binding: minutesByTokens > minutesByRequests ? 'tokens' : 'requests',
      minutes: Math.max(minutesByRequests, minutesByTokens),
    },
  };
}

async function chooseRequestModel(
  input: DryRunSettings,
  deps: DryRunDeps,
): Promise<RequestModel & { source: 'catalogue' | 'defaults' | 'flags'; items: number }> {
  const defaults = defaultRequestModel({
    prompt: deps.prompt,
    categories: deps.model.categories,
    // The model table's hidden tool-use prompt and tokenizer factor (cautious guesses for an unknown model).
    ...pick(traitsOf(resolveModel(deps.model.id))),
    outputTokens: input.outputTokens,
  });
  if ((input.calibrate ?? true) && deps.doc) {
    const measured = await calibrateFromCatalogue(deps.doc, deps.tableName, deps.analysisVersion);
    if (measured) {
      return {
        source: 'catalogue',
        items: measured.items,
        overheadTokens: measured.overheadTokens,
        outputTokens: input.outputTokens ?? measured.outputTokens,
      };
    }
  }
  return { source: input.outputTokens === undefined ? 'defaults' : 'flags', items: 0, ...defaults };
}
