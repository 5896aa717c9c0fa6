import { ImageRejectedError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import {
  type CatalogueStore,
  type ImageSource,
  imageFacts,
  type PreparedResult,
  type ThumbnailStore,
} from '../../../worker/index.ts';
import type { ListedObject } from '../filter.ts';
import { Semaphore } from '../Semaphore.ts';
import type { Fallback, FallbackItem } from './Fallback.ts';
import { type JobLimits, JobWriter, type WrittenJob } from './JobWriter.ts';
import { type JobEntry, type RecordRef, type RunManifest, stagingLayout } from './manifest.ts';
import { buildModelInput, type ModelInputSettings } from './modelInput.ts';
import type { StagingStore } from './StagingStore.ts';

export interface PrepareDeps {
  bucket: string;
  source: ImageSource;
  prepare: (body: Buffer) => Promise<PreparedResult>;
  thumbnails?: ThumbnailStore;
  store: CatalogueStore;
  /** SKIP_SAME_CONTENT: bytes already catalogued under another key go to the worker, which reuses the analysis. */
  reuseSameContent: boolean;
  analysisVersion: string;
  maxBytes: number;
  modelInput: ModelInputSettings;
  staging: StagingStore;
  fallback: Fallback;
  limits: JobLimits & { minRecordsPerJob: number };
  concurrency: number;
  saveManifest: () => Promise<void>;
  logger?: Logger;
  signal?: AbortSignal;
}

type Prepared =
  | { kind: 'record'; obj: ListedObject; prepared: PreparedResult; thumbnailKey?: string }
  | { kind: 'queue'; item: FallbackItem }
  | { kind: 'stale' };

/**
 * Prepares every listed object with the worker's own preparation, in chunks of one job's worth, and writes each
 * chunk's JSONL parts and record map to the staging bucket. What needs no model call in batch goes to the worker's
 * queue instead, where it meets the same rules: images the worker rejects, bytes it reuses, objects whose fetch
 * failed. A job that ends under the minimum record count sends its images to the queue too. The manifest moves on
 * after each chunk, so a restart re-prepares at most one chunk.
 */
export async function preparePhase(manifest: RunManifest, listing: readonly ListedObject[], deps: PrepareDeps) {
  const remaining = listing.length - manifest.preparedThrough;
  const jobsLeft = Math.max(1, Math.ceil(remaining / deps.limits.maxRecordsPerJob));
  const chunkSize = Math.max(1, Math.ceil(remaining / jobsLeft));
  while (manifest.preparedThrough < listing.length) {
    if (deps.signal?.aborted) return;
    const start = manifest.preparedThrough;
    const chunk = listing.slice(start, start + chunkSize);
    const nextIndex = manifest.jobs.reduce((n, j) => Math.max(n, j.index + 1), 0);
    const writer = await JobWriter.create(nextIndex, deps.limits);
    try {
      const queue = await prepareChunk(chunk, writer, manifest, deps);
      for (const job of await writer.finish()) {
        if (job.refs.length < deps.limits.minRecordsPerJob) {
          queue.push(...refsToQueue(job.refs, 'under-job-minimum'));
          continue;
        }
        manifest.jobs.push(await uploadJob(job, manifest.runId, deps));
      }
      await deps.fallback.send(queue);
      manifest.counts.fallbackAtPrepare += queue.length;
    } finally {
      await writer.dispose();
    }
    manifest.preparedThrough = start + chunk.length;
    await deps.saveManifest();
    deps.logger?.info(
      { phase: 'uploading', prepared: manifest.preparedThrough, of: listing.length, jobsStaged: manifest.jobs.length },
      'prepared and staged',
    );
  }
  manifest.prepared = true;
  await deps.saveManifest();
}

async function prepareChunk(
  chunk: readonly ListedObject[],
  writer: JobWriter,
  manifest: RunManifest,
  deps: PrepareDeps,
): Promise<FallbackItem[]> {
  const gate = new Semaphore(deps.concurrency);
  const queue: FallbackItem[] = [];
  const byHash = new Map<string, Omit<RecordRef, 'recordId'>>();
  // Appends are serialised: the writer's files and counters are not safe to share between awaits.
  let writing = Promise.resolve();
  await Promise.all(
    chunk.map((obj) =>
      gate.run(async () => {
        const p = await prepareOne(obj, deps);
        if (p.kind === 'queue') return void queue.push(p.item);
        if (p.kind === 'stale') return;
        const twin = byHash.get(p.prepared.contentHash);
        if (twin) {
          twin.twins.push({ key: obj.key, eTag: obj.eTag, size: obj.size });
          manifest.counts.duplicates++;
          return;
        }
        const ref = refOf(deps.bucket, obj, p.prepared, p.thumbnailKey);
        byHash.set(p.prepared.contentHash, ref);
        const input = buildModelInput(p.prepared.image, deps.modelInput);
        writing = writing.then(() => writer.add(input, ref));
        await writing;
      }),
    ),
  );
  await writing;
  return queue;
}

async function prepareOne(obj: ListedObject, deps: PrepareDeps): Promise<Prepared> {
  const toQueue = (reason: string): Prepared => ({ kind: 'queue', item: { ...obj, reason } });
  if (obj.size > deps.maxBytes) return toQueue('rejected-by-worker');
  let fetched: Awaited<ReturnType<ImageSource['fetch']>>;
  try {
    fetched = await deps.source.fetch(
      { bucket: deps.bucket, key: obj.key, eTag: obj.eTag },
      { maxBytes: deps.maxBytes, signal: deps.signal },
    );
  } catch {
    return toQueue('fetch-failed');
  }
  // Changed or gone since the listing: its own event (or a later backfill) handles the new state.
  if (fetched.status === 'changed' || fetched.status === 'missing') return { kind: 'stale' };
  if (fetched.status === 'too-large') return toQueue('rejected-by-worker');
  let prepared: PreparedResult;
  try {
    prepared = await deps.prepare(fetched.body);
  } catch (error) {
    // The worker stores the same rejection, with the same reason, without a model call.
    return toQueue(error instanceof ImageRejectedError ? 'rejected-by-worker' : 'prepare-failed');
  }
  if (deps.reuseSameContent && (await deps.store.findByContent(prepared.contentHash, deps.analysisVersion))) {
    return toQueue('same-content-catalogued');
  }
  let thumbnailKey: string | undefined;
  if (deps.thumbnails && prepared.thumbnail) {
    // Content-addressed, as the worker names them: writing one early is harmless.
    thumbnailKey = `thumbnails/${prepared.contentHash}.webp`;
    await deps.thumbnails.put(thumbnailKey, prepared.thumbnail.body, 'image/webp');
  }
  return { kind: 'record', obj, prepared, thumbnailKey };
}

function refOf(
  bucket: string,
  obj: ListedObject,
  p: PreparedResult,
  thumbnailKey?: string,
): Omit<RecordRef, 'recordId'> {
  return {
    bucket,
    key: obj.key,
    eTag: obj.eTag,
    size: obj.size,
    lastModified: obj.lastModified,
    contentHash: p.contentHash,
    image: imageFacts(p),
    thumbnailKey,
    twins: [],
  };
}

/** Every object a set of records stands for (twins included), for the queue. */
export function refsToQueue(refs: readonly RecordRef[], reason: string): FallbackItem[] {
  return refs.flatMap((r) => [
    { key: r.key, eTag: r.eTag, size: r.size, lastModified: r.lastModified, reason },
    ...r.twins.map((t) => ({ ...t, reason })),
  ]);
}

async function uploadJob(job: WrittenJob, runId: string, deps: PrepareDeps): Promise<JobEntry> {
  const layout = stagingLayout(runId);
  const name = `catalogue-${runId}-${String(job.index).padStart(4, '0')}`;
  const inputPrefix = layout.input(name);
  for (const [i, path] of job.files.entries()) {
    await deps.staging.putFile(`${inputPrefix}part-${String(i + 1).padStart(4, '0')}.jsonl`, path);
  }
  const recordsKey = layout.records(name);
  await deps.staging.putText(recordsKey, JSON.stringify(job.refs));
  return {
    index: job.index,
    name,
    inputPrefix,
    recordsKey,
    outputPrefix: layout.output(name),
    records: job.refs.length,
    bytes: job.bytes,
    files: job.files.length,
    done: false,
  };
}
