import { type EventContext, nowIso, type Result } from './deps.ts';
import { followLiveObject } from './followLiveObject.ts';
import { dropThumbnail } from './thumbnails.ts';

/**
 * A sequenced removal: a tombstone carrying the sequencer, so that a late create cannot bring the object back; but
 * only when HeadObject says the key has no current version. A delete of a noncurrent version, the removal of an old
 * delete marker, or a forged or misdirected removal leaves the item alone (`ignored`); when the current version
 * itself was deleted by versionId and an older one is current again, the key follows the live object.
 */
export async function removeObject(ctx: EventContext, signal?: AbortSignal): Promise<Result> {
  const { event, deps } = ctx;
  const existing = await deps.store.get(ctx.id);
  const live = await deps.source.head(event, { signal });
  if (live.status === 'present') {
    if (!(existing && existing.status !== 'removed' && existing.eTag === live.eTag)) {
      return followLiveObject(ctx, signal);
    }
    // Not recorded as the key's newest event: it did not change the current version.
    return { outcome: 'ignored', reason: 'the key still has a current version', reasonCode: 'CURRENT_VERSION_EXISTS' };
  }
  const now = nowIso(deps);
  const written = await deps.store.putTombstone({
    id: ctx.id,
    bucket: event.bucket,
    key: event.key,
    status: 'removed',
    seq: ctx.seq,
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
