import { createHash } from 'node:crypto';
import type { BedrockClient } from '@aws-sdk/client-bedrock';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../../../shared/logger.ts';
import type { CatalogueStore, ImageSource, PreparedResult, ThumbnailStore } from '../../../worker/index.ts';
import type { ListedObject } from '../filter.ts';
import { BackfillOptions, type BackfillOptionsInput, selectionOf } from '../options.ts';
import { Fallback } from './Fallback.ts';
import { listingFromJsonl, listingToJsonl, listObjects } from './listPhase.ts';
import { RunManifest, stagingLayout } from './manifest.ts';
import type { ModelInputSettings } from './modelInput.ts';
import { BatchModeOptions, type BatchModeOptionsInput } from './options.ts';
import { preparePhase } from './preparePhase.ts';
import { StagingStore } from './StagingStore.ts';
import { type BatchSummary, summarise } from './summary.ts';
import { waitPhase } from './waitPhase.ts';

export interface BatchDeps {
  s3: S3Client;
  sqs: SQSClient;
  doc: DynamoDBDocumentClient;
  bedrock: BedrockClient;
  queueUrl: string;
  tableName: string;
  model: { id: string; maxTokens: number; categories?: readonly string[] };
  prompt: { text: string; analysisVersion: string };
  source: ImageSource;
  store: CatalogueStore;
  prepare: (body: Buffer) => Promise<PreparedResult>;
  thumbnails?: ThumbnailStore;
  reuseSameContent: boolean;
  maxBytes: number;
  logger?: Logger;
  signal?: AbortSignal;
}

/** Names a run after what it catalogues: the same selection, model and analysis resume the same run. */
function runIdOf(o: BackfillOptions, modelId: string, analysisVersion: string): string {
  const h = createHash('sha256').update(JSON.stringify({ s: selectionOf(o), modelId, analysisVersion }));
  return h.digest('hex').slice(0, 12);
}

/**
 * `backfill --mode batch`: list → prepare and stage JSONL jobs → submit within the concurrent-jobs quota → wait →
 * write the answers → send the rest through the on-demand queue. Every step is recorded in the run manifest in the
 * staging bucket, so a killed command started again submits no job twice and re-reads no finished job.
 */
export async function runBatchBackfill(
  input: BackfillOptionsInput,
  batchInput: BatchModeOptionsInput,
  deps: BatchDeps,
): Promise<BatchSummary> {
  const started = performance.now();
  const o = BackfillOptions.parse(input);
  const b = BatchModeOptions.parse(batchInput);
  const staging = new StagingStore(deps.s3, b.stagingBucket);
  const baseId = runIdOf(o, deps.model.id, deps.prompt.analysisVersion);
  const { manifest, resumed, save } = await openManifest(staging, stagingLayout(baseId).manifest, b.restart, {
    runId: baseId,
    bucket: o.bucket,
    modelId: deps.model.id,
    analysisVersion: deps.prompt.analysisVersion,
  });
  const layout = stagingLayout(manifest.runId);
  const log = deps.logger?.child({ runId: manifest.runId });
  const fallback = new Fallback(deps.sqs, deps.queueUrl, o.bucket, log);
  const done = (outcome: BatchSummary['outcome'], notes: string[] = []) =>
    summarise(manifest, fallback, {
      outcome,
      notes,
      elapsedMs: performance.now() - started,
      stagingBucket: b.stagingBucket,
    });
  if (manifest.complete) {
    log?.info('this batch run is already complete: nothing to submit (--restart starts a new one)');
    return done('already-complete');
  }
  if (resumed) log?.info({ jobs: manifest.jobs.length }, 'resuming the batch run from its manifest');

  log?.info({ phase: 'listing' }, 'listing the bucket');
  const objects = await listOnce(manifest, staging, layout.listing, save, () =>
    listObjects(o, { ...deps, analysisVersion: deps.prompt.analysisVersion, logger: log }),
  );

  const notes: string[] = [];
  if (!manifest.prepared && manifest.jobs.length === 0 && objects.length < b.minRecordsPerJob) {
    const note = `${objects.length} images is fewer than the ${b.minRecordsPerJob} records a batch job needs at least: sending them through the on-demand queue instead`;
    log?.warn({ images: objects.length, minimum: b.minRecordsPerJob }, note);
    notes.push(note);
    await fallback.send(objects.map((obj) => ({ ...obj, reason: 'under-job-minimum' })));
    manifest.counts.fallbackAtPrepare += objects.length;
    manifest.preparedThrough = objects.length;
    manifest.prepared = true;
  }
  if (!manifest.prepared) {
    log?.info({ phase: 'preparing', images: objects.length - manifest.preparedThrough }, 'preparing and uploading');
    await preparePhase(manifest, objects, {
      ...deps,
      bucket: o.bucket,
      analysisVersion: deps.prompt.analysisVersion,
      modelInput: modelInputOf(deps),
      staging,
      fallback,
      limits: b,
      concurrency: b.prepareConcurrency,
      saveManifest: save,
      logger: log,
    });
    if (deps.signal?.aborted) return done('aborted', notes);
  }
  await waitPhase(manifest, { ...deps, staging, fallback, options: b, save, logger: log });
  if (deps.signal?.aborted) return done('aborted', notes);
  manifest.complete = manifest.jobs.every((j) => j.done);
  await save();
  return done(manifest.complete ? 'complete' : 'aborted', notes);
}

/**
 * The run's manifest from the staging bucket, or a new one; `save` rewrites it. A restart starts the next generation,
 * whose folders and job names differ from every earlier one's.
 */
async function openManifest(
  staging: StagingStore,
  key: string,
  restart: boolean,
  init: Pick<RunManifest, 'runId' | 'bucket' | 'modelId' | 'analysisVersion'>,
) {
  const text = await staging.getText(key);
  const saved = text === undefined ? undefined : RunManifest.parse(JSON.parse(text));
  const now = () => new Date().toISOString();
  const generation = restart && saved ? saved.generation + 1 : 0;
  const fresh = RunManifest.parse({
    version: 1,
    ...init,
    runId: generation === 0 ? init.runId : `${init.runId}-r${generation}`,
    generation,
    createdAt: now(),
    updatedAt: now(),
  });
  const manifest: RunManifest = saved && !restart ? saved : fresh;
  const save = async () => {
    manifest.updatedAt = now();
    await staging.putText(key, JSON.stringify(manifest));
  };
  return { manifest, resumed: saved !== undefined && !restart, save };
}

/** The run's listing: listed once and saved, so a resumed run works on the same objects. */
async function listOnce(
  manifest: RunManifest,
  staging: StagingStore,
  key: string,
  save: () => Promise<void>,
  list: () => Promise<{ objects: ListedObject[] }>,
): Promise<ListedObject[]> {
  if (manifest.listed !== undefined) return listingFromJsonl((await staging.getText(key)) ?? '');
  const { objects } = await list();
  await staging.putText(key, listingToJsonl(objects), 'application/jsonl');
  manifest.listed = objects.length;
  await save();
  return objects;
}

function modelInputOf(deps: BatchDeps): ModelInputSettings {
  return {
    modelId: deps.model.id,
    prompt: deps.prompt.text,
    maxTokens: deps.model.maxTokens,
    categories: deps.model.categories,
  };
}
