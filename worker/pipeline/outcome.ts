/**
 * What became of one record. Every record ends in exactly one outcome, which is logged and counted:
 * - catalogued: described and written;
 * - skipped: already catalogued with the same content and analysis version (no tokens spent);
 * - stale: the object changed or vanished since the event, or a newer result is stored; a newer event handles it;
 * - removed: tombstone written;
 * - ignored: the event leaves the bytes as they were (tags, ACL, restore, storage class, tier, replication), or a
 *   removal concerned a version that is not the current one (the key still has a current version): acknowledged;
 * - rejected: not a usable image; stored as a `rejected` item with the reason;
 * - retry: throttled or a passing fault; the message is left for redelivery;
 * - failed: a retry budget ran out; SQS redelivers, then the DLQ keeps it.
 */
export type OutcomeKind = 'catalogued' | 'skipped' | 'stale' | 'removed' | 'ignored' | 'rejected' | 'retry' | 'failed';

export const OUTCOME_KINDS: readonly OutcomeKind[] = [
  'catalogued',
  'skipped',
  'stale',
  'removed',
  'ignored',
  'rejected',
  'retry',
  'failed',
];

export interface Outcome {
  outcome: OutcomeKind;
  bucket: string;
  key: string;
  /** Why (for stale, rejected, retry, failed). */
  reason?: string;
  reasonCode?: string;
  inputTokens?: number;
  outputTokens?: number;
  modelCalls?: number;
  /** The analysis was reused from identical bytes under another key. */
  reused?: boolean;
  ms: number;
}

/** True when the message holding this record must be left on the queue for redelivery. */
export function needsRedelivery(o: Outcome): boolean {
  return o.outcome === 'retry' || o.outcome === 'failed';
}
