import type { BackfillOptions } from './options.ts';

/** Why a listed object is not enqueued. */
export type SkipReason =
  /** Its key does not end with one of the suffixes. */
  | 'suffix'
  /** Zero bytes. */
  | 'empty'
  /** Under `minSize` (but not empty). */
  | 'tooSmall'
  /** Over `maxSize`. */
  | 'tooLarge'
  /** The catalogue already has this eTag with the current analysis version. */
  | 'catalogued'
  /** `--reprocess-stale`: the catalogue item has the current analysis version. */
  | 'current'
  /** `--reprocess-stale` / `--reprocess-without-display`: no catalogue item (or only a removal tombstone). */
  | 'notCatalogued'
  /** `--reprocess-without-display`: the item already has a display copy, or is not catalogued (rejected). */
  | 'hasDisplay'
  /** `--retry-rejected`: the item is not a rejection (or there is none). */
  | 'notRejected'
  /** `--retry-rejected --reason`: rejected for another reason. */
  | 'otherReason';

export const SKIP_REASONS: readonly SkipReason[] = [
  'suffix',
  'empty',
  'tooSmall',
  'tooLarge',
  'catalogued',
  'current',
  'notCatalogued',
  'hasDisplay',
  'notRejected',
  'otherReason',
];

/** One object as ListObjectsV2 describes it. */
export interface ListedObject {
  key: string;
  size: number;
  eTag: string;
  lastModified?: string;
}

export type Classification = { take: true } | { take: false; reason: SkipReason };

/** Builds the suffix-and-size test of a run. */
export function objectFilter(o: Pick<BackfillOptions, 'suffixes' | 'minSize' | 'maxSize'>) {
  const suffixes = o.suffixes.map((s) => s.toLowerCase());
  const any = suffixes.includes('');
  return (obj: ListedObject): Classification => {
    if (!any) {
      const key = obj.key.toLowerCase();
      if (!suffixes.some((s) => key.endsWith(s))) return { take: false, reason: 'suffix' };
    }
    if (obj.size === 0 && o.minSize > 0) return { take: false, reason: 'empty' };
    if (obj.size < o.minSize) return { take: false, reason: 'tooSmall' };
    if (o.maxSize !== undefined && obj.size > o.maxSize) return { take: false, reason: 'tooLarge' };
    return { take: true };
  };
}
