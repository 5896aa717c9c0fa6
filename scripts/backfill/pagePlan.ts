import type { ItemState } from './CatalogueLookup.ts';
import { type Counts, emptyCounts } from './counts.ts';
import type { ListedObject, SkipReason } from './filter.ts';
import { SQS_BATCH_SIZE } from './QueueSender.ts';
import { decideRejected } from './retryRejected.ts';

/** A listed object and what the run does with it: enqueue it (no reason) or skip it (why). */
export interface Decision {
  obj: ListedObject;
  /** Passed the suffix and size filters. */
  matched: boolean;
  skip?: SkipReason;
}

export type Mode = 'all' | 'reprocess-stale' | 'reprocess-without-display' | 'retry-rejected';

/**
 * What to do with an object that passed the suffix and size filters, given its catalogue item (when looked up).
 * - `all` with `skipCatalogued`: skip it when the item (not a tombstone) has the same eTag and analysis version —
 *   exactly the worker's own skip rule, decided here without spending a message;
 * - `reprocess-stale`: take it only when an item exists (not a tombstone) with another analysis version;
 * - `reprocess-without-display`: take it only when a catalogued item has no display copy (catalogued before the
 *   worker made them), so the browser has something other than the original to show.
 */
export function decideCatalogued(
  obj: ListedObject,
  item: ItemState | undefined,
  mode: Mode,
  analysisVersion: string,
  reasons?: readonly string[],
): SkipReason | undefined {
  // `retry-rejected`: take it only when its item is `rejected` (for one of `reasons`, when given).
  if (mode === 'retry-rejected') return decideRejected(item, reasons);
  const live = item && item.status !== 'removed' ? item : undefined;
  if (mode === 'reprocess-without-display') {
    if (!live) return 'notCatalogued';
    return live.status === 'catalogued' && !live.displayKey ? undefined : 'hasDisplay';
  }
  if (mode === 'reprocess-stale') {
    if (!live) return 'notCatalogued';
    return live.analysisVersion === analysisVersion ? 'current' : undefined;
  }
  if (live && live.eTag === obj.eTag && live.analysisVersion === analysisVersion) return 'catalogued';
  return undefined;
}

/** A run of keys of one page whose fate commits together: up to 10 messages and the skipped keys before them. */
export interface Unit {
  /** The last listed key the unit covers: the range's cursor once this unit and all before it are committed. */
  lastKey: string;
  /** Objects to enqueue, in key order (at most 10). */
  take: ListedObject[];
  counts: Counts;
}

/**
 * Cuts a page's decisions into units in key order. At most `allowed` objects are taken (the rest of the run's
 * `--limit`); when that cuts the page short, the units end at the last allowed object and `truncated` is true.
 */
export function toUnits(decisions: readonly Decision[], allowed: number): { units: Unit[]; truncated: boolean } {
  const units: Unit[] = [];
  let current: Unit | undefined;
  let taken = 0;
  for (const d of decisions) {
    if (d.skip === undefined && taken >= allowed) {
      if (current) units.push(current);
      return { units, truncated: true };
    }
    current ??= { lastKey: d.obj.key, take: [], counts: emptyCounts() };
    const c = current.counts;
    current.lastKey = d.obj.key;
    c.listed++;
    c.listedBytes += d.obj.size;
    if (d.matched) {
      c.matched++;
      c.matchedBytes += d.obj.size;
    }
    if (d.skip !== undefined) {
      c.skipped[d.skip]++;
    } else {
      current.take.push(d.obj);
      c.enqueued++;
      c.enqueuedBytes += d.obj.size;
      taken++;
      if (current.take.length === SQS_BATCH_SIZE) {
        units.push(current);
        current = undefined;
      }
    }
  }
  if (current) units.push(current);
  return { units, truncated: false };
}
