import type { FetchResult } from '../ports.ts';
import type { EventContext, PreparedForModel } from './deps.ts';

/** What the pipeline keeps of a fetch once the image is prepared: everything but the body. */
export type FetchedMeta = Omit<Extract<FetchResult, { status: 'ok' }>, 'body'>;

export type FetchedAndPrepared =
  | { status: 'ok'; fetched: FetchedMeta; prepared: PreparedForModel }
  | Exclude<FetchResult, { status: 'ok' }>;

/**
 * GetObject (pinned to the event's eTag) and prepare, inside the worker's byte budget: the body is admitted only when
 * the budget has room for it (its announced size, or IMAGE_MAX_BYTES when the event does not say), and its bytes are
 * released as soon as the image is prepared or refused. The body never leaves this function, so nothing keeps it
 * alive through the model call.
 * @throws ImageRejectedError from prepare (the caller writes the rejection); TransientError from the fetch.
 */
export async function fetchAndPrepare(ctx: EventContext, signal?: AbortSignal): Promise<FetchedAndPrepared> {
  const { event, deps } = ctx;
  const lease = await deps.bodyBudget?.acquire(Math.min(event.size ?? deps.maxBytes, deps.maxBytes), signal);
  try {
    const result = await deps.source.fetch(
      { bucket: event.bucket, key: event.key, eTag: event.eTag, versionId: event.versionId },
      { maxBytes: deps.maxBytes, signal },
    );
    if (result.status !== 'ok') return result;
    lease?.shrinkTo(result.body.length);
    const { body, ...fetched } = result;
    ctx.size = fetched.size;
    const prepared = await deps.prepare(body);
    return { status: 'ok', fetched, prepared };
  } finally {
    lease?.release();
  }
}
