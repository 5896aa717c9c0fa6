import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { errorName, httpStatusOf, transient } from '../../../shared/awsErrors.ts';
import { type CatalogueItem, type ImageDescription, itemId, searchTextOf } from '../../../shared/catalogue.ts';
import { normaliseETag } from '../../../shared/messages.ts';
import { normaliseSequencer } from '../../../shared/sequencer.ts';
import { type CatalogueStore, toPixelBox } from '../../../worker/index.ts';
import type { FallbackItem } from './Fallback.ts';
import { type JobEntry, RecordRef } from './manifest.ts';
import { answerOf, descriptionValidator } from './modelInput.ts';
import { refsToQueue } from './preparePhase.ts';
import type { StagingStore } from './StagingStore.ts';

export interface WriteDeps {
  s3: S3Client;
  staging: StagingStore;
  store: CatalogueStore;
  modelId: string;
  analysisVersion: string;
  categories?: readonly string[];
  now?: () => Date;
}

export type JobResult = NonNullable<JobEntry['result']> & { queue: FallbackItem[] };

/**
 * Reads a finished job's output files (any order: records are matched by recordId), validates every answer with the
 * worker's schema, and writes each item under the worker's conditional rules. Errors, invalid answers and records
 * the job never reached (stopped, expired, failed) come back in `queue` for the on-demand path.
 */
export async function writeJobResults(job: JobEntry, jobId: string, deps: WriteDeps): Promise<JobResult> {
  const refs = RecordRef.array().parse(JSON.parse((await deps.staging.getText(job.recordsKey)) ?? '[]'));
  const byId = new Map(refs.map((r) => [r.recordId, r]));
  const result: JobResult = {
    written: 0,
    skipped: 0,
    stale: 0,
    fallback: 0,
    inputTokens: 0,
    outputTokens: 0,
    queue: [],
  };
  const validator = descriptionValidator(deps.categories);
  const outputs = (await deps.staging.list(`${job.outputPrefix}${jobId}/`)).filter((k) => k.endsWith('.jsonl.out'));
  for (const key of outputs) {
    const text = (await deps.staging.getText(key)) ?? '';
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const record = JSON.parse(line) as { recordId?: string; modelOutput?: unknown; error?: unknown };
      const ref = record.recordId === undefined ? undefined : byId.get(record.recordId);
      if (!ref) continue;
      byId.delete(ref.recordId);
      const answer = record.modelOutput === undefined ? undefined : answerOf(record.modelOutput, validator);
      result.inputTokens += answer?.usage?.inputTokens ?? 0;
      result.outputTokens += answer?.usage?.outputTokens ?? 0;
      if (!answer?.ok) {
        result.queue.push(...refsToQueue([ref], answer ? 'invalid-answer' : 'record-error'));
        continue;
      }
      for (const outcome of await writeRecord(ref, answer.description, answer.usage, deps)) result[outcome]++;
    }
  }
  // Records with no line at all: the job stopped, expired or failed before reaching them.
  result.queue.push(...refsToQueue([...byId.values()], 'unfinished'));
  result.fallback = result.queue.length;
  return result;
}

type Outcome = 'written' | 'skipped' | 'stale';

async function writeRecord(
  ref: RecordRef,
  d: ImageDescription,
  usage: { inputTokens: number; outputTokens: number },
  deps: WriteDeps,
): Promise<Outcome[]> {
  const owner = itemId(ref.bucket, ref.key);
  const targets = [{ key: ref.key, eTag: ref.eTag, size: ref.size }, ...ref.twins];
  const outcomes: Outcome[] = [];
  for (const [i, t] of targets.entries()) {
    // A twin reuses the answer, as the worker reuses an analysis of identical bytes: no tokens of its own.
    const spent = i === 0 ? usage : { inputTokens: 0, outputTokens: 0 };
    outcomes.push(await writeOne(ref, t, d, spent, i === 0 ? undefined : owner, deps));
  }
  return outcomes;
}

async function writeOne(
  ref: RecordRef,
  target: { key: string; eTag: string; size: number },
  d: ImageDescription,
  usage: { inputTokens: number; outputTokens: number },
  reusedFrom: string | undefined,
  deps: WriteDeps,
): Promise<Outcome> {
  // The live object is the authority: hours have passed since the listing. Changed or gone: its own event (or the
  // next backfill) describes the new state; this answer is about bytes that are no longer there.
  const live = await currentETag(deps.s3, ref.bucket, target.key);
  if (live !== normaliseETag(target.eTag)) return 'stale';
  const id = itemId(ref.bucket, target.key);
  const existing = await deps.store.get(id);
  const seq = normaliseSequencer(ref.sequencer);
  const sameContent = existing && existing.status !== 'removed' && existing.eTag === target.eTag;
  if (sameContent && existing.analysisVersion === deps.analysisVersion) return 'skipped';
  if (existing && !sameContent && existing.seq > seq) return 'stale';
  const now = (deps.now?.() ?? new Date()).toISOString();
  const item: CatalogueItem = {
    id,
    bucket: ref.bucket,
    key: target.key,
    status: 'catalogued',
    seq: existing && existing.seq > seq ? existing.seq : seq,
    sequencer: ref.sequencer ?? existing?.sequencer,
    eTag: target.eTag,
    size: target.size,
    contentHash: ref.contentHash,
    analysisVersion: deps.analysisVersion,
    modelId: deps.modelId,
    summary: d.summary,
    category: d.category.toLowerCase(),
    labels: d.labels.map((l) => ({ ...l, boxPx: toPixelBox(l.box, ref.image) })),
    sensitive: d.sensitive,
    text: d.text,
    image: ref.image,
    thumbnailKey: ref.thumbnailKey,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    pricing: 'batch',
    reusedFrom,
    searchText: searchTextOf(d),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  return (await deps.store.putContent(item)) === 'written' ? 'written' : 'stale';
}

async function currentETag(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return normaliseETag(out.ETag ?? '');
  } catch (error) {
    if (httpStatusOf(error) === 404 || errorName(error) === 'NotFound') return undefined;
    throw transient('S3 HeadObject', error, { bucket, key });
  }
}
