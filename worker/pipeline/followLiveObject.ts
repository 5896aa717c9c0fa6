import type { CatalogueItem } from '../../shared/catalogue.ts';
import { ImageRejectedError } from '../../shared/errors.ts';
import type { ReadToken } from '../ports.ts';
import { fetchAndCatalogue, tooLarge } from './catalogueObject.ts';
import { type EventContext, nowIso, type Result } from './deps.ts';
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

export async function followLiveObject(ctx: EventContext, signal?: AbortSignal): Promise<Result> {
  const { deps } = ctx;
  const event = ctx.event;
  const spent = { inputTokens: 0, outputTokens: 0, modelCalls: 0 };
  // The outcome reports what every round spent, not only the last.
  const withSpent = (r: Result): Result => (spent.modelCalls > 0 || spent.inputTokens > 0 ? { ...r, ...spent } : r);
  let last: Result | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const existing = await deps.store.get(ctx.id);
    const token: ReadToken = existing ? { seq: existing.seq, updatedAt: existing.updatedAt } : 'absent';
    if (round === 0 && event.kind === 'created' && !event.reprocess && shows(existing, event.eTag, deps)) {
      // The item already shows the bytes the message names (a backfill of a catalogued object): no S3 call at all.
      return { outcome: 'skipped', reason: 'already catalogued with this content and analysis version' };
    }
    const live = await deps.source.head(event, { signal });
    if (live.status === 'missing') {
      if (last) return withSpent(last);
      const removed = await removeIfShown(ctx, existing, token);
      if (removed) return removed;
      // Someone wrote the key since we read it: look again.
      continue;
    }
    if (round === 0 && event.kind === 'created' && event.eTag && event.eTag !== live.eTag) {
      // The event names older content; the newer content's own event brings it.
      return {
        outcome: 'stale',
        reason: 'the object changed since the event (eTag differs)',
        reasonCode: 'ETAG_CHANGED',
      };
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
    // From here on the context is the live version's: a rejection thrown below is written by the caller through it.
    Object.assign(ctx, {
      event: { ...event, kind: 'created', eTag: live.eTag, size: live.size, versionId: undefined },
      existing,
      size: undefined,
      write: (item: CatalogueItem) => deps.store.replace(item, token),
    } satisfies Partial<EventContext>);
    if (live.size > deps.maxBytes) throw new ImageRejectedError('OBJECT_TOO_LARGE', tooLarge(live.size, deps.maxBytes));
    const result = await fetchAndCatalogue(ctx, signal);
    if (result.reasonCode === 'ETAG_CHANGED' || result.reasonCode === 'OBJECT_MISSING') continue;
    spent.inputTokens += result.inputTokens ?? 0;
    spent.outputTokens += result.outputTokens ?? 0;
    spent.modelCalls += result.modelCalls ?? 0;
    if (result.reasonCode === 'SUPERSEDED') continue;
    if (result.outcome !== 'catalogued') return withSpent(result);
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

function shows(item: CatalogueItem | undefined, eTag: string | undefined, deps: EventContext['deps']): boolean {
  return (
    item !== undefined &&
    item.status !== 'removed' &&
    item.eTag === eTag &&
    item.analysisVersion === deps.prompt.analysisVersion
  );
}

/**
 * The key has no current version: tombstone the item unless it already is one (for a create: the event is stale).
 * Undefined when the item changed since it was read.
 */
async function removeIfShown(
  ctx: EventContext,
  existing: CatalogueItem | undefined,
  token: ReadToken,
): Promise<Result | undefined> {
  const { event, deps } = ctx;
  if (event.kind === 'created') {
    return { outcome: 'stale', reason: 'the object no longer exists', reasonCode: 'OBJECT_MISSING' };
  }
  if (existing?.status === 'removed') {
    return { outcome: 'stale', reason: 'already recorded as removed', reasonCode: 'ALREADY_REMOVED' };
  }
  const now = nowIso(deps);
  const written = await deps.store.replace(
    {
      id: ctx.id,
      bucket: event.bucket,
      key: event.key,
      status: 'removed',
      // Keep the newest sequence seen, so older sequenced events stay stale.
      seq: existing && existing.seq > ctx.seq ? existing.seq : ctx.seq,
      sequencer: event.sequencer ?? existing?.sequencer,
      versionId: event.versionId,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    },
    token,
  );
  if (written === 'superseded') return undefined;
  await dropThumbnail(existing, deps);
  return { outcome: 'removed' };
}
