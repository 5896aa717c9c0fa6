import { z } from 'zod';
import type { ItemState } from './CatalogueLookup.ts';

/**
 * `--retry-rejected [--reason CODE]...`: after a fix (a model that now takes the images, a larger MAX_TOKENS_RETRY,
 * a newer prepare step), enqueue again the objects whose catalogue item is `rejected`, optionally only those rejected
 * for the given reason codes, with `reprocess: true` (the worker otherwise skips an item with the same eTag and
 * analysis version). Objects with no item, or any other status, are not enqueued.
 */
export const RetryRejectedOptions = z.object({
  /** Enqueue exactly the objects whose item is `rejected`. Default false. */
  retryRejected: z.boolean().default(false),
  /** Only items rejected for one of these reason codes (e.g. MODEL_REFUSED). Default: every reason. */
  retryReasons: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'a reason code such as MODEL_REFUSED')).optional(),
});

/** Whether a rejected item is retried: why not (a skip reason), or undefined to take it. */
export function decideRejected(
  item: ItemState | undefined,
  reasons: readonly string[] | undefined,
): 'notRejected' | 'otherReason' | undefined {
  if (item?.status !== 'rejected') return 'notRejected';
  if (reasons?.length && !reasons.includes(item?.reasonCode ?? '')) return 'otherReason';
  return undefined;
}

/** The command-line flags of this mode, merged into the backfill CLI's own. */
export const RETRY_REJECTED_FLAGS = {
  'retry-rejected': { type: 'boolean' },
  reason: { type: 'string', multiple: true },
} as const;

/** The lines of `npm run backfill -- --help` about this mode. */
export const RETRY_REJECTED_HELP = `  --retry-rejected          after a fix, enqueue only the keys whose catalogue item is rejected (reprocess: true)
  --reason CODE             with --retry-rejected: only items rejected for CODE (e.g. MODEL_REFUSED); repeatable`;

/** The options of this mode from the parsed flags. */
export function retryRejectedInput(values: { 'retry-rejected'?: boolean; reason?: string[] }) {
  return { retryRejected: values['retry-rejected'] ?? false, retryReasons: values.reason };
}
