import { itemId } from '../../shared/catalogue.ts';
import type { ObjectEvent } from '../../shared/messages.ts';
import { normaliseSequencer } from '../../shared/sequencer.ts';
import { catalogueObject } from './catalogueObject.ts';
import type { EventContext, PipelineDeps, Result } from './deps.ts';
import { outcomeOfError } from './errorOutcome.ts';
import { followLiveObject } from './followLiveObject.ts';
import type { Outcome } from './outcome.ts';
import { writeRejection } from './records.ts';
import { removeObject } from './removeObject.ts';

export type { PipelineDeps, PreparedForModel } from './deps.ts';

/**
 * One object event through the pipeline: read the item → skip if this content is already catalogued → GetObject
 * with IfMatch → prepare → describe → conditional write (see {@link dispatch} for which ordering applies). Expected results are returned as an {@link Outcome};
 * only an abort (shutdown) is thrown.
 */
export async function processEvent(event: ObjectEvent, deps: PipelineDeps, signal?: AbortSignal): Promise<Outcome> {
  const started = performance.now();
  const ctx: EventContext = {
    event,
    deps,
    id: itemId(event.bucket, event.key),
    seq: normaliseSequencer(event.sequencer),
  };
  let result: Result;
  try {
    result = await dispatch(ctx, signal);
  } catch (error) {
    result = await settle(ctx, error, signal);
  }
  return { bucket: event.bucket, key: event.key, ...result, ms: Math.round(performance.now() - started) };
}

/**
 * Events that leave the bytes as they were are acknowledged as `ignored`. Events with an S3 sequencer are ordered by
 * it; events without one follow the live object (followLiveObject.ts).
 */
function dispatch(ctx: EventContext, signal?: AbortSignal): Promise<Result> {
  const { event } = ctx;
  if (event.kind === 'unchanged') {
    return Promise.resolve({
      outcome: 'ignored',
      reason: `${event.eventName} leaves the bytes as they were`,
      reasonCode: 'BYTES_UNCHANGED',
    });
  }
  if (!event.sequencer) return followLiveObject(ctx, signal);
  return event.kind === 'removed' ? removeObject(ctx, signal) : catalogueObject(ctx, signal);
}

/** Whatever interrupted the event, as an outcome (see errorOutcome.ts); a rejection is written here. */
async function settle(ctx: EventContext, error: unknown, signal?: AbortSignal): Promise<Result> {
  const o = outcomeOfError(error, signal);
  switch (o.outcome) {
    case 'abort':
      throw error;
    case 'rejected':
      try {
        return await writeRejection(ctx, o);
      } catch (writeError) {
        // The store failed while recording the rejection: that failure decides (a passing fault: retry later).
        return settle(ctx, writeError, signal);
      }
    case 'poison':
      // An event has already been parsed out of its message; an error that blames the message is final here.
      return { outcome: 'failed', reason: o.reason, reasonCode: o.reasonCode };
    default:
      return { outcome: o.outcome, reason: o.reason, reasonCode: o.reasonCode };
  }
}
