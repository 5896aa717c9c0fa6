/** What a reconcile found and did. */
export interface ReconcileReport {
  bucket: string;
  prefixes: string[];
  dryRun: boolean;
  /** Objects listed under the prefixes, and of those, taken by the suffix and size filters. */
  listed: number;
  taken: number;
  /** Catalogue items (tombstones included) of those keys. */
  items: number;
  inSync: number;
  /** In sync, but at another analysis version: `--reprocess-stale` handles those. */
  otherAnalysisVersion: number;
  /** In the bucket with no item (or a tombstone): repaired. */
  missing: number;
  /** The item describes other bytes than the object's: repaired. */
  outOfDate: number;
  /** Item without an object, confirmed by HeadObject: repaired (the worker tombstones it). */
  gone: number;
  /** Not in the listing, but HeadObject found it unchanged (written while listing): nothing to do. */
  stillThere: number;
  enqueued: number;
  refused: number;
  samples: Record<'missing' | 'outOfDate' | 'gone', string[]>;
  elapsedMs: number;
}

/** Counts per kind, with the first few keys of each as samples. */
export class Samples {
  private readonly counts = { missing: 0, outOfDate: 0, gone: 0 };
  private readonly keys: Record<'missing' | 'outOfDate' | 'gone', string[]> = { missing: [], outOfDate: [], gone: [] };

  add(kind: 'missing' | 'outOfDate' | 'gone', key: string): void {
    this.counts[kind]++;
    if (this.keys[kind].length < 10) this.keys[kind].push(key);
  }

  count(kind: 'missing' | 'outOfDate' | 'gone'): number {
    return this.counts[kind];
  }

  toJSON() {
    return this.keys;
  }
}

/** The report for a person (the JSON line follows it). */
export function formatReconcile(r: ReconcileReport): string {
  const verb = r.dryRun ? 'would repair' : 'repaired';
  const lines = [
    `reconcile of s3://${r.bucket}/${r.prefixes.length === 1 ? r.prefixes[0] : `{${r.prefixes.join(',')}}`}${r.dryRun ? ' (dry run)' : ''}`,
    `  listed ${r.listed} objects (${r.taken} taken), ${r.items} catalogue items; ${r.inSync} in sync`,
    `  ${verb}: ${r.missing} missing, ${r.outOfDate} out of date, ${r.gone} gone (confirmed by HeadObject)`,
    `  enqueued ${r.enqueued} repair messages${r.refused ? `, ${r.refused} refused by SQS` : ''}`,
  ];
  if (r.otherAnalysisVersion) {
    lines.push(`  ${r.otherAnalysisVersion} in sync but at another analysis version: see --reprocess-stale`);
  }
  for (const kind of ['missing', 'outOfDate', 'gone'] as const) {
    if (r.samples[kind].length) lines.push(`  ${kind}: ${r.samples[kind].join(', ')}`);
  }
  return lines.join('\n');
}
