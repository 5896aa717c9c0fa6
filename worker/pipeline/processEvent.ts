import { itemId } from '../../shared/catalogue.ts';
import { ImageRejectedError, RetryBudgetExhaustedError } from '../../shared/errors.ts';
import type { ObjectEvent } from '../../shared/messages.ts';
import { normaliseSequencer } from '../../shared/sequencer.ts';
import { analyseAndWrite, type StepResult, tooLarge, writeRejection } from './analyse.ts';
import { followLiveObject } from './followLiveObject.ts';
import type { Outcome } from './outcome.ts';
import type { PipelineDeps } from './pipelineDeps.ts';
import { dropThumbnail } from './thumbnails.ts';

export type { PipelineDeps, PreparedForModel } from './pipelineDeps.ts';

/**
 * One object event through the pipeline. Events that leave the bytes as they were are `ignored`. Events with an S3
 * sequencer are ordered by it (conditional writes per key); events without one, and removals that left another
 * version current, follow the live object (followLiveObject.ts). A removal tombstones the item only when HeadObject
 * says the key has no current version: a delete of a noncurrent version, an old delete marker's removal, or a forged
 * or misdirected removal leaves the item alone. Expected results are returned as an {@link Outcome}; only an abort
 * (shutdown) is thrown.
 */
export async function processEvent(event: ObjectEvent, deps: PipelineDeps, signal?: AbortSignal): Promise<Outcome> {
  const started = performance.now();
  const done = (o: StepResult): Outcome => ({
    bucket: event.bucket,
    key: event.key,
    ...o,
    ms: Math.round(performance.now() - started),
  });
  try {
    if (event.kind === 'unchanged') {
      return done({
        outcome: 'ignored',
        reason: `${event.eventName} leaves the bytes as they were`,
        reasonCode: 'BYTES_UNCHANGED',
      });
    }
    if (!event.sequencer) return done(await followLiveObject(event, deps, signal));
    return event.kind === 'removed'
      ? done(await removeObject(event, deps, signal))
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

/** A sequenced removal: tombstone only when the key has no current version. */
async function removeObject(event: ObjectEvent, deps: PipelineDeps, signal?: AbortSignal): Promise<StepResult> {
  const id = itemId(event.bucket, event.key);
  const seq = normaliseSequencer(event.sequencer);
  const existing = await deps.store.get(id);
  const live = await deps.source.head(event, { signal });
  if (live.status === 'present') {
    if (!(existing && existing.status !== 'removed' && existing.eTag === live.eTag)) {
      // Another version is current now (the current one was deleted by versionId, or the item is out of date).
      return followLiveObject(event, deps, signal);
    }
    if (existing.seq < seq) await deps.store.advanceSeq(id, live.eTag, seq);
    return { outcome: 'ignored', reason: 'the key still has a current version', reasonCode: 'CURRENT_VERSION_EXISTS' };
  }
  const now = (deps.now?.() ?? new Date()).toISOString();
  const written = await deps.store.putTombstone({
    id,
    bucket: event.bucket,
    key: event.key,
    status: 'removed',
    seq,
    sequencer: event.sequencer,
    versionId: event.versionId,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  if (written !== 'written') {
    return { outcome: 'stale', reason: 'a newer event for this key is already recorded', reasonCode: 'SUPERSEDED' };
  }
  await dropThumbnail(existing, deps);
  return { outcome: 'removed' };
}

/** A sequenced create: ordered against the stored item by sequencer. */
async function catalogueObject(event: ObjectEvent, deps: PipelineDeps, signal?: AbortSignal): Promise<StepResult> {
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
  // Same content under another analysis version is re-analysed whatever the event's age; other content from an older
  // event than the stored one is stale.
  if (existing && !sameContent && existing.seq > seq) {
    return { outcome: 'stale', reason: 'a newer event for this key is already recorded', reasonCode: 'SUPERSEDED' };
  }
  // A re-analysis of the same content keeps the newest sequencer seen.
  const order = {
    seq: existing && existing.seq > seq ? existing.seq : seq,
    sequencer: event.sequencer ?? existing?.sequencer,
  };
  const write = (item: Parameters<typeof deps.store.putContent>[0]) => deps.store.putContent(item);
  const common = { event, existing, order, write };
  if (event.size !== undefined && event.size > deps.maxBytes) {
    return writeRejection(
      common,
      deps,
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
    const error = new ImageRejectedError('OBJECT_TOO_LARGE', tooLarge(fetched.size, deps.maxBytes));
    return writeRejection(common, deps, error, fetched.size);
  }
  return analyseAndWrite({ ...common, eTag, fetched }, deps, signal);
}
