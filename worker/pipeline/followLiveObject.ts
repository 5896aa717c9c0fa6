import type { CatalogueItem } from '../../shared/catalogue.ts';
import { itemId } from '../../shared/catalogue.ts';
import { ImageRejectedError } from '../../shared/errors.ts';
import type { ObjectEvent } from '../../shared/messages.ts';
import { normaliseSequencer } from '../../shared/sequencer.ts';
import type { ReadToken } from '../ports.ts';
import { analyseAndWrite, type StepResult, tooLarge, writeRejection } from './analyse.ts';
import type { PipelineDeps } from './pipelineDeps.ts';
import { dropThumbnail } from './thumbnails.ts';

/**
 * The live object is the authority. For an event that cannot be ordered against the stored item (no sequencer: an
 * S3-compatible store, a hand-made or re-driven event, a backfill or repair message), and for a removal that left
 * another version current, the key is brought to the object's current state (HeadObject) instead:
 * - every write is conditional on the stored item being the one read (seq + updatedAt), whatever the sequencers say,
 *   and the bytes are fetched with IfMatch on the live eTag, so a write only lands for content proved current after
 *   the item was read;
 * - after a write the object is looked at again: if it changed meanwhile, the key is followed once more.
 * Two workers racing on one key therefore end with the item equal to the object, whichever writes last.
 */

const MAX_ROUNDS = 4;

type Spent = Pick<StepResult, 'inputTokens' | 'outputTokens' | 'modelCalls'>;

export async function followLiveObject(
  event: ObjectEvent,
  deps: PipelineDeps,
  signal?: AbortSignal,
): Promise<StepResult> {
  const id = itemId(event.bucket, event.key);
  const spent: Required<Spent> = { inputTokens: 0, outputTokens: 0, modelCalls: 0 };
  // The outcome reports what every round spent, not only the last.
  const withSpent = (r: StepResult): StepResult =>
    spent.modelCalls > 0 || spent.inputTokens > 0 ? { ...r, ...spent } : r;
  let last: StepResult | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const existing = await deps.store.get(id);
    const token: ReadToken = existing ? { seq: existing.seq, updatedAt: existing.updatedAt } : 'absent';
    const live = await deps.source.head(event, { signal });
    if (live.status === 'missing') {
      if (last) return withSpent(last);
      if (event.kind === 'created') {
        return { outcome: 'stale', reason: 'the object no longer exists', reasonCode: 'OBJECT_MISSING' };
      }
      if (existing?.status === 'removed') {
        return { outcome: 'stale', reason: 'already recorded as removed', reasonCode: 'ALREADY_REMOVED' };
      }
      const written = await deps.store.replace(tombstone(event, existing, deps), token);
      if (written === 'superseded') continue;
      await dropThumbnail(existing, deps);
      return { outcome: 'removed' };
    }
    const reprocess = round === 0 && event.reprocess === true && event.eTag === live.eTag;
    // A removal only asks whether the item shows the current bytes; a create also wants this analysis version.
    const current =
      existing && existing.status !== 'removed' && existing.eTag === live.eTag && !reprocess
        ? event.kind === 'removed' || existing.analysisVersion === deps.prompt.analysisVersion
        : false;
    if (current) {
      if (last) return withSpent(last);
      return event.kind === 'removed'
        ? { outcome: 'ignored', reason: 'the key still has a current version', reasonCode: 'CURRENT_VERSION_EXISTS' }
        : { outcome: 'skipped', reason: 'already catalogued with this content and analysis version' };
    }
    if (round === 0 && event.kind === 'created' && event.eTag && event.eTag !== live.eTag) {
      // The event names older content; the newer content's own event brings it.
      return {
        outcome: 'stale',
        reason: 'the object changed since the event (eTag differs)',
        reasonCode: 'ETAG_CHANGED',
      };
    }
    const result = await catalogueLive(event, deps, existing, token, live, signal);
    if (result === 'changed') continue;
    spent.inputTokens += result.inputTokens ?? 0;
    spent.outputTokens += result.outputTokens ?? 0;
    spent.modelCalls += result.modelCalls ?? 0;
    if (result.outcome === 'stale' && result.reasonCode === 'SUPERSEDED') continue;
    if (result.outcome !== 'catalogued' && result.outcome !== 'rejected') return withSpent(result);
    last = result;
    // Did the object change between our read and our write? Then follow it again.
    const after = await deps.source.head(event, { signal });
    if (after.status === 'missing' || after.eTag === live.eTag) return withSpent(result);
  }
  return withSpent({
    outcome: 'retry',
    reason: 'the object kept changing while it was catalogued',
    reasonCode: 'OBJECT_CHANGING',
  });
}

/** Catalogues the current version `live`; 'changed' when it is no longer current by the time it is fetched. */
async function catalogueLive(
  event: ObjectEvent,
  deps: PipelineDeps,
  existing: CatalogueItem | undefined,
  token: ReadToken,
  live: { eTag: string; size: number },
  signal?: AbortSignal,
): Promise<StepResult | 'changed'> {
  const eventSeq = normaliseSequencer(event.sequencer);
  // Keep the newest sequence seen on the key, so older sequenced events stay stale.
  const order = {
    seq: existing && existing.seq > eventSeq ? existing.seq : eventSeq,
    sequencer: event.sequencer ?? existing?.sequencer,
  };
  const write = (item: CatalogueItem) => deps.store.replace(item, token);
  const common = { event, existing, order, write, eTag: live.eTag };
  if (live.size > deps.maxBytes) {
    return writeRejection(common, deps, new ImageRejectedError('OBJECT_TOO_LARGE', tooLarge(live.size, deps.maxBytes)));
  }
  const fetched = await deps.source.fetch(
    { bucket: event.bucket, key: event.key, eTag: live.eTag },
    { maxBytes: deps.maxBytes, signal },
  );
  if (fetched.status === 'changed' || fetched.status === 'missing') return 'changed';
  if (fetched.status === 'too-large') {
    const error = new ImageRejectedError('OBJECT_TOO_LARGE', tooLarge(fetched.size, deps.maxBytes));
    return writeRejection(common, deps, error, fetched.size);
  }
  return analyseAndWrite({ ...common, fetched }, deps, signal);
}

function tombstone(event: ObjectEvent, existing: CatalogueItem | undefined, deps: PipelineDeps): CatalogueItem {
  const now = (deps.now?.() ?? new Date()).toISOString();
  const eventSeq = normaliseSequencer(event.sequencer);
  return {
    id: itemId(event.bucket, event.key),
    bucket: event.bucket,
    key: event.key,
    status: 'removed',
    seq: existing && existing.seq > eventSeq ? existing.seq : eventSeq,
    sequencer: event.sequencer ?? existing?.sequencer,
    versionId: event.versionId,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
}
