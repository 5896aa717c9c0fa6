import type { ListedObject } from '../filter.ts';
import type { StoredState } from './tableScan.ts';

/** Where the bucket and the catalogue disagree about one key. */
export type Difference =
  /** In the bucket, no item (or only a removal tombstone): its create event was lost. */
  | { kind: 'missing'; object: ListedObject }
  /** In both, but the item describes other bytes (eTag differs): a newer event was lost. */
  | { kind: 'outOfDate'; object: ListedObject; item: StoredState }
  /** An item (not a tombstone) whose key the listing does not show: its removal may have been lost. */
  | { kind: 'goneCandidate'; item: StoredState };

export interface DiffCounts {
  /** Objects and items that agree. */
  inSync: number;
  /** Of those, items at another analysis version (`--reprocess-stale` is for those; not a reconcile matter). */
  otherAnalysisVersion: number;
}

/**
 * Compares the listing (already filtered by suffix and size) with the items of the same keys. Items outside the
 * listed prefixes must have been filtered out by the caller.
 */
export function diffBucketAndTable(
  listed: ReadonlyMap<string, ListedObject>,
  items: readonly StoredState[],
  analysisVersion: string,
): { differences: Difference[]; counts: DiffCounts } {
  const differences: Difference[] = [];
  const counts: DiffCounts = { inSync: 0, otherAnalysisVersion: 0 };
  const seen = new Set<string>();
  for (const item of items) {
    const object = listed.get(item.key);
    seen.add(item.key);
    if (!object) {
      if (item.status !== 'removed') differences.push({ kind: 'goneCandidate', item });
      continue;
    }
    if (item.status === 'removed') differences.push({ kind: 'missing', object });
    else if (item.eTag !== object.eTag) differences.push({ kind: 'outOfDate', object, item });
    else {
      counts.inSync++;
      if (item.analysisVersion !== analysisVersion) counts.otherAnalysisVersion++;
    }
  }
  for (const [key, object] of listed) if (!seen.has(key)) differences.push({ kind: 'missing', object });
  return { differences, counts };
}
