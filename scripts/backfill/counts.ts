import { z } from 'zod';
import { SKIP_REASONS, type SkipReason } from './filter.ts';

/** What a run (or part of one) did with the objects it listed. */
export const Counts = z.object({
  listed: z.number().int().min(0),
  listedBytes: z.number().int().min(0),
  /** Passed the suffix and size filters. */
  matched: z.number().int().min(0),
  matchedBytes: z.number().int().min(0),
  enqueued: z.number().int().min(0),
  enqueuedBytes: z.number().int().min(0),
  /** Refused by SQS for good (e.g. an invalid message); named in the summary. */
  refused: z.number().int().min(0),
  skipped: z.record(z.enum(SKIP_REASONS as [SkipReason, ...SkipReason[]]), z.number().int().min(0)),
});
export type Counts = z.infer<typeof Counts>;

export function emptyCounts(): Counts {
  return {
    listed: 0,
    listedBytes: 0,
    matched: 0,
    matchedBytes: 0,
    enqueued: 0,
    enqueuedBytes: 0,
    refused: 0,
    skipped: Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>,
  };
}

/** Adds `b` into `a` and returns `a`. */
export function addCounts(a: Counts, b: Counts): Counts {
  a.listed += b.listed;
  a.listedBytes += b.listedBytes;
  a.matched += b.matched;
  a.matchedBytes += b.matchedBytes;
  a.enqueued += b.enqueued;
  a.enqueuedBytes += b.enqueuedBytes;
  a.refused += b.refused;
  for (const r of SKIP_REASONS) a.skipped[r] = (a.skipped[r] ?? 0) + (b.skipped[r] ?? 0);
  return a;
}

export function totalSkipped(c: Counts): number {
  return SKIP_REASONS.reduce((sum, r) => sum + (c.skipped[r] ?? 0), 0);
}
