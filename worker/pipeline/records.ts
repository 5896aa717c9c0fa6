import type { RejectionReason } from '../../shared/errors.ts';
import { type EventContext, nowIso, type Result } from './deps.ts';

const SUPERSEDED: Result = {
  outcome: 'stale',
  reason: 'a newer result was stored meanwhile',
  reasonCode: 'SUPERSEDED',
};

/** The write lost to a newer or equal result already stored: not an error, the event is stale. */
export function superseded(extra: Omit<Result, 'outcome' | 'reason' | 'reasonCode'> = {}): Result {
  return { ...SUPERSEDED, ...extra };
}

/** A removal: a tombstone carrying the sequencer, so that a late create cannot bring the object back. */
export async function removeObject(ctx: EventContext): Promise<Result> {
  const { event, deps } = ctx;
  const now = nowIso(deps);
  const existing = await deps.store.get(ctx.id);
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
  return written === 'written'
    ? { outcome: 'removed' }
    : { outcome: 'stale', reason: 'a newer event for this key is already recorded', reasonCode: 'SUPERSEDED' };
}

/** Stores the image as `rejected` with the reason, so it is not tried again (until its content changes). */
export async function writeRejection(
  ctx: EventContext,
  rejection: { reasonCode: RejectionReason; reason: string },
): Promise<Result> {
  const { event, deps, existing } = ctx;
  const now = nowIso(deps);
  const written = await deps.store.putContent({
    id: ctx.id,
    bucket: event.bucket,
    key: event.key,
    status: 'rejected',
    seq: existing && existing.seq > ctx.seq ? existing.seq : ctx.seq,
    sequencer: event.sequencer,
    eTag: event.eTag,
    versionId: event.versionId,
    size: ctx.size ?? event.size,
    analysisVersion: deps.prompt.analysisVersion,
    reason: rejection.reason,
    reasonCode: rejection.reasonCode,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  return written === 'written'
    ? { outcome: 'rejected', reason: rejection.reason, reasonCode: rejection.reasonCode }
    : superseded();
}
