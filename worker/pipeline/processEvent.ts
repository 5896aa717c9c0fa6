import type { CatalogueItem, ImageDescription } from '../../shared/catalogue.ts';
import { itemId, searchTextOf } from '../../shared/catalogue.ts';
import { ImageRejectedError, ModelRequestError, RetryBudgetExhaustedError } from '../../shared/errors.ts';
import type { ObjectEvent } from '../../shared/messages.ts';
import { normaliseSequencer } from '../../shared/sequencer.ts';
import type { CatalogueStore, Describer, ImageSource, PreparedImage, ThumbnailStore } from '../ports.ts';
import { type DerivedCopies, storeDerivedCopies } from './derivedCopies.ts';
import type { Outcome } from './outcome.ts';

/** What the image step gives the pipeline (see worker/image/prepare.ts). */
export interface PreparedForModel {
  image: PreparedImage;
  original: { format: string; width: number; height: number; bytes: number };
  thumbnail?: DerivedCopies['thumbnail'];
  display?: DerivedCopies['display'];
  contentHash: string;
}

export interface PipelineDeps {
  source: ImageSource;
  store: CatalogueStore;
  describer: Describer;
  prepare: (body: Buffer) => Promise<PreparedForModel>;
  toPixelBox: (
    box: ImageDescription['labels'][number]['box'],
    original: { width: number; height: number },
  ) => { left: number; top: number; width: number; height: number };
  /** The private derived-images bucket (thumbnails and display copies); unset: none are kept. */
  thumbnails?: ThumbnailStore;
  prompt: { text: string; analysisVersion: string };
  maxBytes: number;
  /** Reuse the analysis of identical bytes already catalogued under another key (SKIP_SAME_CONTENT). Default off. */
  reuseSameContent?: boolean;
  now?: () => Date;
}

/**
 * One object event through the pipeline: read the item → skip if this content is already catalogued → GetObject
 * with IfMatch → prepare → describe → conditional write. Expected results are returned as an {@link Outcome};
 * only an abort (shutdown) is thrown.
 */
export async function processEvent(event: ObjectEvent, deps: PipelineDeps, signal?: AbortSignal): Promise<Outcome> {
  const started = performance.now();
  const base = { bucket: event.bucket, key: event.key };
  const done = (o: Omit<Outcome, 'bucket' | 'key' | 'ms'>): Outcome => ({
    ...base,
    ...o,
    ms: Math.round(performance.now() - started),
  });
  try {
    return event.kind === 'removed'
      ? done(await removeObject(event, deps))
      : done(await catalogueObject(event, deps, signal));
  } catch (error) {
    if (signal?.aborted) throw error;
    if (error instanceof RetryBudgetExhaustedError) {
      return done({ outcome: 'failed', reason: error.message, reasonCode: error.code });
    }
    const code = (error as { code?: string }).code;
    return done({
      outcome: 'retry',
      reason: (error as Error).message,
      reasonCode: typeof code === 'string' ? code : 'UNEXPECTED',
    });
  }
}

type Result = Omit<Outcome, 'bucket' | 'key' | 'ms'>;

async function removeObject(event: ObjectEvent, deps: PipelineDeps): Promise<Result> {
  const now = (deps.now?.() ?? new Date()).toISOString();
  const id = itemId(event.bucket, event.key);
  const existing = await deps.store.get(id);
  const written = await deps.store.putTombstone({
    id,
    bucket: event.bucket,
    key: event.key,
    status: 'removed',
    seq: normaliseSequencer(event.sequencer),
    sequencer: event.sequencer,
    versionId: event.versionId,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  return written === 'written'
    ? { outcome: 'removed' }
    : { outcome: 'stale', reason: 'a newer event for this key is already recorded', reasonCode: 'SUPERSEDED' };
}

async function catalogueObject(event: ObjectEvent, deps: PipelineDeps, signal?: AbortSignal): Promise<Result> {
  const id = itemId(event.bucket, event.key);
  const seq = normaliseSequencer(event.sequencer);
  const eTag = event.eTag ?? '';
  const existing = await deps.store.get(id);
  const sameContent = existing && existing.status !== 'removed' && existing.eTag === eTag;
  if (sameContent && existing.analysisVersion === deps.prompt.analysisVersion && !event.reprocess) {
    // Same bytes, same analysis: no tokens. Still record that this (newer) event was seen, so that an older removal
    // delivered late cannot tombstone an object that exists.
    if (existing.seq < seq) await deps.store.advanceSeq(id, eTag, seq);
    return { outcome: 'skipped', reason: 'already catalogued with this content and analysis version' };
  }
  // Same content under another analysis version is re-analysed whatever the event's age (a backfill carries no
  // sequencer); other content from an older event than the stored one is stale.
  if (existing && !sameContent && existing.seq > seq) {
    return { outcome: 'stale', reason: 'a newer event for this key is already recorded', reasonCode: 'SUPERSEDED' };
  }
  if (event.size !== undefined && event.size > deps.maxBytes) {
    return reject(
      event,
      deps,
      seq,
      existing,
      new ImageRejectedError('OBJECT_TOO_LARGE', tooLarge(event.size, deps.maxBytes)),
    );
  }
  const fetched = await deps.source.fetch(
    { bucket: event.bucket, key: event.key, eTag: event.eTag, versionId: event.versionId },
    { maxBytes: deps.maxBytes, signal },
  );
  if (fetched.status === 'changed') {
    return {
      outcome: 'stale',
      reason: 'the object changed since the event (eTag differs)',
      reasonCode: 'ETAG_CHANGED',
    };
  }
  if (fetched.status === 'missing') {
    return { outcome: 'stale', reason: 'the object no longer exists', reasonCode: 'OBJECT_MISSING' };
  }
  if (fetched.status === 'too-large') {
    return reject(
      event,
      deps,
      seq,
      existing,
      new ImageRejectedError('OBJECT_TOO_LARGE', tooLarge(fetched.size, deps.maxBytes)),
    );
  }
  let prepared: PreparedForModel;
  try {
    prepared = await deps.prepare(fetched.body);
  } catch (error) {
    if (error instanceof ImageRejectedError) return reject(event, deps, seq, existing, error, fetched.size);
    throw error;
  }
  // Identical bytes under another key: reuse that analysis, no tokens spent.
  const twin = deps.reuseSameContent
    ? await deps.store.findByContent(prepared.contentHash, deps.prompt.analysisVersion)
    : undefined;
  let described: Awaited<ReturnType<Describer['describe']>>;
  if (twin?.summary && twin.category && twin.labels && twin.sensitive) {
    described = {
      description: {
        summary: twin.summary,
        category: twin.category,
        labels: twin.labels.map(({ name, box }) => ({ name, box })),
        sensitive: twin.sensitive,
        text: twin.text ?? '',
      },
      usage: { inputTokens: 0, outputTokens: 0 },
      modelId: twin.modelId ?? 'unknown',
      attempts: 0,
    };
  } else {
    try {
      described = await deps.describer.describe({ image: prepared.image, prompt: deps.prompt.text, signal });
    } catch (error) {
      if (error instanceof ModelRequestError) {
        const rejection = new ImageRejectedError(
          'MODEL_REFUSED',
          `the model service refused the image: ${error.message}`,
        );
        return reject(event, deps, seq, existing, rejection, fetched.size);
      }
      throw error;
    }
  }
  const derived = await storeDerivedCopies(prepared.contentHash, prepared, deps.thumbnails, twin);
  const d = described.description;
  const now = (deps.now?.() ?? new Date()).toISOString();
  const item: CatalogueItem = {
    id,
    bucket: event.bucket,
    key: event.key,
    status: 'catalogued',
    // A re-analysis of the same content keeps the newest sequencer seen.
    seq: existing && existing.seq > seq ? existing.seq : seq,
    sequencer: event.sequencer ?? existing?.sequencer,
    eTag,
    versionId: fetched.versionId ?? event.versionId,
    size: fetched.size,
    contentHash: prepared.contentHash,
    analysisVersion: deps.prompt.analysisVersion,
    modelId: described.modelId,
    summary: d.summary,
    category: d.category.toLowerCase(),
    labels: d.labels.map((l) => ({ ...l, boxPx: deps.toPixelBox(l.box, prepared.original) })),
    sensitive: d.sensitive,
    text: d.text,
    image: imageFacts(prepared),
    ...derived,
    inputTokens: described.usage.inputTokens,
    outputTokens: described.usage.outputTokens,
    reusedFrom: twin?.id,
    searchText: searchTextOf(d),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  const written = await deps.store.putContent(item);
  const spent = {
    inputTokens: described.usage.inputTokens,
    outputTokens: described.usage.outputTokens,
    modelCalls: described.attempts,
    ...(twin ? { reused: true } : {}),
  };
  return written === 'written'
    ? { outcome: 'catalogued', ...spent }
    : { outcome: 'stale', reason: 'a newer result was stored meanwhile', reasonCode: 'SUPERSEDED', ...spent };
}

function tooLarge(size: number, max: number): string {
  return `object is ${size} bytes, over the ${max}-byte limit (IMAGE_MAX_BYTES)`;
}

function imageFacts(p: PreparedForModel): CatalogueItem['image'] {
  return {
    format: p.original.format,
    width: p.original.width,
    height: p.original.height,
    bytes: p.original.bytes,
    preparedWidth: p.image.width,
    preparedHeight: p.image.height,
    preparedFormat: p.image.format,
    preparedBytes: p.image.body.length,
  };
}

async function reject(
  event: ObjectEvent,
  deps: PipelineDeps,
  seq: string,
  existing: CatalogueItem | undefined,
  error: ImageRejectedError,
  size?: number,
): Promise<Result> {
  const now = (deps.now?.() ?? new Date()).toISOString();
  const written = await deps.store.putContent({
    id: itemId(event.bucket, event.key),
    bucket: event.bucket,
    key: event.key,
    status: 'rejected',
    seq: existing && existing.seq > seq ? existing.seq : seq,
    sequencer: event.sequencer,
    eTag: event.eTag,
    versionId: event.versionId,
    size: size ?? event.size,
    analysisVersion: deps.prompt.analysisVersion,
    reason: error.message,
    reasonCode: error.reason,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  return written === 'written'
    ? { outcome: 'rejected', reason: error.message, reasonCode: error.reason }
    : { outcome: 'stale', reason: 'a newer result was stored meanwhile', reasonCode: 'SUPERSEDED' };
}
