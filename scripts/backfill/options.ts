import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { IMAGE_SUFFIXES } from '../../shared/imageFormats.ts';
import { RetryRejectedOptions } from './retryRejected.ts';

/** The suffixes a backfill takes by default, compared case-insensitively: every format the worker can prepare. */
export { IMAGE_SUFFIXES };

const positiveInt = z.number().int().min(1);

/**
 * What to backfill and how. Every field but `bucket` has a default; see each one.
 */
export const BackfillOptions = z
  .object({
    bucket: z.string().min(3).max(63),
    /** Key prefixes to list; overlapping ones are merged. Default `['']`: the whole bucket. */
    prefixes: z.array(z.string()).default(['']),
    /** Key suffixes to take, case-insensitive; `''` takes every key. Default {@link IMAGE_SUFFIXES}. */
    suffixes: z
      .array(z.string())
      .min(1)
      .default([...IMAGE_SUFFIXES]),
    /** Smallest object taken, bytes. Default 1: zero-byte objects are skipped (and counted). */
    minSize: z.number().int().min(0).default(1),
    /** Largest object taken, bytes. Default: no limit (the worker rejects what is over IMAGE_MAX_BYTES). */
    maxSize: z.number().int().min(0).optional(),
    /** Enqueue at most this many messages in this run (a resumed run continues where it stopped). Default: all. */
    limit: positiveInt.optional(),
    /**
     * At most this many messages per second (paced per batch), e.g. the worker fleet's rate, so the queue does not
     * hold a million messages at once and the oldest-message-age alarm stays quiet. Default: no limit.
     */
    maxRate: z.number().positive().optional(),
    /** SendMessageBatch calls in flight (and sent but not yet checkpointed). Default 32. */
    concurrency: positiveInt.max(512).default(32),
    /** Key ranges listed at once. Default 8. */
    listConcurrency: positiveInt.max(256).default(8),
    /** At most this many key ranges per prefix, from its top-level common prefixes. Default 64. */
    maxShardsPerPrefix: positiveInt.max(10_000).default(64),
    /** Pages of the Delimiter '/' listing read to find the top-level common prefixes. Default 3. */
    discoveryPages: z.number().int().min(0).max(1000).default(3),
    /** MaxKeys of each ListObjectsV2 page (1-1000). Default 1000. */
    pageSize: positiveInt.max(1000).default(1000),
    /** Skip keys whose catalogue item has this eTag and analysis version (BatchGetItem). Default true. */
    skipCatalogued: z.boolean().default(true),
    /**
     * Enqueue, with `reprocess: true`, exactly the objects whose catalogue item (not a removal tombstone) has an
     * analysis version other than the current one. Objects with no item are not enqueued. Default false.
     */
    reprocessStale: z.boolean().default(false),
    /**
     * Enqueue, with `reprocess: true`, exactly the objects whose catalogued item has no display copy (catalogued
     * before the worker made them). Objects with no item are not enqueued. Default false.
     */
    reprocessWithoutDisplay: z.boolean().default(false),
    /** Checkpoint file; unset: no checkpoint (the CLI always sets one). */
    checkpointFile: z.string().min(1).optional(),
    /** Continue from the checkpoint when it exists. false: start over and overwrite it. Default true. */
    resume: z.boolean().default(true),
    /** Attempts of one SendMessageBatch for entries that keep failing. Default 8. */
    sendMaxAttempts: positiveInt.max(100).default(8),
    /** Base and cap of the backoff between attempts, ms. Default 100 and 5000. */
    retryBaseMs: positiveInt.default(100),
    retryMaxMs: positiveInt.default(5000),
  })
  .refine((o) => o.maxSize === undefined || o.maxSize >= o.minSize, { message: 'maxSize must be at least minSize' })
  .extend(RetryRejectedOptions.shape)
  .refine((o) => [o.reprocessStale, o.reprocessWithoutDisplay, o.retryRejected].filter(Boolean).length <= 1, {
    message: 'reprocessStale, reprocessWithoutDisplay and retryRejected select different items: choose one',
  })
  .refine((o) => o.retryRejected || !o.retryReasons?.length, { message: 'retryReasons needs retryRejected' });
export type BackfillOptions = z.output<typeof BackfillOptions>;
export type BackfillOptionsInput = z.input<typeof BackfillOptions>;

/** Prefixes without duplicates or prefixes covered by another one, sorted: their key sets are disjoint. */
export function normalisePrefixes(prefixes: readonly string[]): string[] {
  const sorted = [...new Set(prefixes)].sort();
  return sorted.filter((p, i) => !sorted.some((q, j) => j !== i && p.startsWith(q) && p !== q));
}

/**
 * The options that decide which keys a run enqueues. A checkpoint only resumes a run with the same ones; speed
 * settings and `limit` may change between runs.
 */
export function selectionOf(o: BackfillOptions) {
  return {
    bucket: o.bucket,
    prefixes: normalisePrefixes(o.prefixes),
    suffixes: [...new Set(o.suffixes.map((s) => s.toLowerCase()))].sort(),
    minSize: o.minSize,
    maxSize: o.maxSize ?? null,
    skipCatalogued: o.skipCatalogued,
    mode: modeOf(o),
    ...(o.retryReasons?.length ? { reasons: [...new Set(o.retryReasons)].sort() } : {}),
  };
}

/** Which objects a run takes (see pagePlan.ts decideCatalogued). */
export function modeOf(
  o: Pick<BackfillOptions, 'reprocessStale' | 'reprocessWithoutDisplay' | 'retryRejected'>,
): 'all' | 'reprocess-stale' | 'reprocess-without-display' | 'retry-rejected' {
  if (o.retryRejected) return 'retry-rejected';
  if (o.reprocessStale) return 'reprocess-stale';
  return o.reprocessWithoutDisplay ? 'reprocess-without-display' : 'all';
}

/** A short hash of {@link selectionOf}, naming the default checkpoint file. */
export function selectionHash(o: BackfillOptions): string {
  return createHash('sha256')
    .update(JSON.stringify(selectionOf(o)))
    .digest('hex')
    .slice(0, 12);
}

/** `.local/backfill/<bucket>-<hash of the selection>.json` under `cwd`. */
export function defaultCheckpointFile(o: BackfillOptions, cwd = process.cwd()): string {
  return join(cwd, '.local', 'backfill', `${o.bucket}-${selectionHash(o)}.json`);
}

/** Parses a byte size: `123`, `64k`, `10MB`, `1.5GiB` (k/M/G are powers of 1024). */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) throw new RangeError(`not a byte size: ${JSON.stringify(text)} (e.g. 0, 512, 64k, 10MB)`);
  const power = ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}
