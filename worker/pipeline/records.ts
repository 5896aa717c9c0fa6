import type { RejectionReason } from '../../shared/errors.ts';
import { redactAwsIdentifiers } from '../../shared/modelFaults.ts';
import { type EventContext, nowIso, type Result, writeContent } from './deps.ts';

const SUPERSEDED: Result = {
  outcome: 'stale',
  reason: 'a newer result was stored meanwhile',
  reasonCode: 'SUPERSEDED',
};

/** The write lost to a newer or equal result already stored: not an error, the event is stale. */
export function superseded(extra: Omit<Result, 'outcome' | 'reason' | 'reasonCode'> = {}): Result {
  return { ...SUPERSEDED, ...extra };
}

/** Stores the image as `rejected` with the reason, so it is not tried again (until its content changes). */
export async function writeRejection(
  ctx: EventContext,
  rejection: { reasonCode: RejectionReason; reason: string },
): Promise<Result> {
  const { event, deps, existing } = ctx;
  const now = nowIso(deps);
  // Our own short messages only; redacted once more so that no ARN or account id is ever stored or shown.
  const reason = redactAwsIdentifiers(rejection.reason);
  const written = await writeContent(ctx, {
    id: ctx.id,
    bucket: event.bucket,
    key: event.key,
    status: 'rejected',
    seq: existing && existing.seq > ctx.seq ? existing.seq : ctx.seq,
    sequencer: event.sequencer ?? existing?.sequencer,
    eTag: event.eTag,
    versionId: event.versionId,
    size: ctx.size ?? event.size,
    analysisVersion: deps.prompt.analysisVersion,
    reason,
    reasonCode: rejection.reasonCode,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  return written === 'written' ? { outcome: 'rejected', reason, reasonCode: rejection.reasonCode } : superseded();
}
