import type { CatalogueItem } from '../../shared/catalogue.ts';
import { searchTextOf } from '../../shared/catalogue.ts';
import { ImageRejectedError } from '../../shared/errors.ts';
import type { FetchResult } from '../ports.ts';
import { type Analysis, analyse } from './analysis.ts';
import { type EventContext, nowIso, type PreparedForModel, type Result, writeContent } from './deps.ts';
import { storeDerivedCopies } from './derivedCopies.ts';
import { type FetchedMeta, fetchAndPrepare } from './fetchPrepared.ts';
import { superseded } from './records.ts';

/**
 * A create (or backfill) event: skip or drop it if the catalogue already knows better, else fetch the bytes the
 * event named, prepare them, describe them and write the item conditionally. A rejection is thrown as an
 * ImageRejectedError (the model's refusal of the image included) and written by the caller, like every other error.
 */
export async function catalogueObject(ctx: EventContext, signal?: AbortSignal): Promise<Result> {
  const { event, deps } = ctx;
  ctx.existing = await deps.store.get(ctx.id);
  const early = await decideFromStored(ctx);
  if (early) return early;
  if (event.size !== undefined && event.size > deps.maxBytes) {
    throw new ImageRejectedError('OBJECT_TOO_LARGE', tooLarge(event.size, deps.maxBytes));
  }
  return fetchAndCatalogue(ctx, signal);
}

/**
 * Fetches the bytes the event names (IfMatch its eTag), prepares and describes them, and writes the item the way the
 * event's ordering allows (`ctx.write`). The lease taken before the model call is held until the item is written.
 */
export async function fetchAndCatalogue(ctx: EventContext, signal?: AbortSignal): Promise<Result> {
  const got = await fetchAndPrepare(ctx, signal);
  if (got.status !== 'ok') return notFetched(ctx, got);
  const { fetched, prepared } = got;
  const analysis = await analyse(ctx, prepared, signal);
  if ('outcome' in analysis) return analysis;
  try {
    const derived = await storeDerivedCopies(prepared.contentHash, prepared, ctx.deps.thumbnails, analysis.twin);
    const item = catalogued(ctx, fetched, prepared, analysis, derived);
    const written = await writeContent(ctx, item);
    const spent = {
      inputTokens: analysis.described.usage.inputTokens,
      outputTokens: analysis.described.usage.outputTokens,
      modelCalls: analysis.described.attempts,
      ...(analysis.twin ? { reused: true } : {}),
    };
    return written === 'written' ? { outcome: 'catalogued', ...spent } : superseded(spent);
  } finally {
    await analysis.release?.();
  }
}

/** Skip (same content, same analysis) or stale (an older event than the stored one): no fetch, no tokens. */
async function decideFromStored(ctx: EventContext): Promise<Result | undefined> {
  const { event, deps, existing, seq } = ctx;
  const eTag = event.eTag ?? '';
  const sameContent = existing && existing.status !== 'removed' && existing.eTag === eTag;
  if (sameContent && existing.analysisVersion === deps.prompt.analysisVersion && !event.reprocess) {
    // Same bytes, same analysis: no tokens. Still record that this (newer) event was seen, so that an older removal
    // delivered late cannot tombstone an object that exists.
    if (existing.seq < seq) await deps.store.advanceSeq(ctx.id, eTag, seq);
    return { outcome: 'skipped', reason: 'already catalogued with this content and analysis version' };
  }
  // Same content under another analysis version is re-analysed whatever the event's age (a backfill carries no
  // sequencer); other content from an older event than the stored one is stale.
  if (existing && !sameContent && existing.seq > seq) {
    return { outcome: 'stale', reason: 'a newer event for this key is already recorded', reasonCode: 'SUPERSEDED' };
  }
  return undefined;
}

/** The fetch did not return the bytes: changed since the event or gone (stale), or over the size cap (rejected). */
function notFetched(ctx: EventContext, fetched: Exclude<FetchResult, { status: 'ok' }>): Result {
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
  ctx.size = fetched.size;
  throw new ImageRejectedError('OBJECT_TOO_LARGE', tooLarge(fetched.size, ctx.deps.maxBytes));
}

function catalogued(
  ctx: EventContext,
  fetched: FetchedMeta,
  prepared: PreparedForModel,
  { described, twin }: Analysis,
  derived: Pick<CatalogueItem, 'thumbnailKey' | 'displayKey'>,
): CatalogueItem {
  const { event, deps, existing, seq } = ctx;
  const d = described.description;
  const now = nowIso(deps);
  return {
    id: ctx.id,
    bucket: event.bucket,
    key: event.key,
    status: 'catalogued',
    // A re-analysis of the same content keeps the newest sequencer seen.
    seq: existing && existing.seq > seq ? existing.seq : seq,
    sequencer: event.sequencer ?? existing?.sequencer,
    eTag: event.eTag ?? '',
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
}

export function tooLarge(size: number, max: number): string {
  return `object is ${size} bytes, over the ${max}-byte limit (IMAGE_MAX_BYTES)`;
}

/** The image facts stored on an item: the original's and the prepared copy's (batch mode records the same). */
export function imageFacts(p: Pick<PreparedForModel, 'image' | 'original'>): NonNullable<CatalogueItem['image']> {
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
