import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';

/**
 * Splitting a listing into key ranges that can be listed at once. S3 lists keys in UTF-8 binary order, one page
 * after another, so one listing is sequential however fast the caller is. A prefix's top-level common prefixes
 * (one Delimiter '/' listing) are natural cut points: the ranges (start, b1], (b1, b2], ..., (bn, end) cover every
 * key under the prefix exactly once, whatever lies between the folders, and each is listed from `StartAfter`.
 * Ranges, not one listing per common prefix: a bucket with a million one-object folders would otherwise cost a
 * million requests.
 */

/** One key range of one prefix, and how far it is done. */
export const Shard = z.object({
  id: z.number().int().min(0),
  prefix: z.string(),
  /** Keys after this one (exclusive); unset: from the start of the prefix. */
  after: z.string().optional(),
  /** Keys up to this one (inclusive); unset: to the end of the prefix. */
  until: z.string().optional(),
  /** Last key of the range whose fate is committed (enqueued or skipped); listing resumes after it. */
  cursor: z.string().optional(),
  done: z.boolean(),
});
export type Shard = z.infer<typeof Shard>;

/** S3's key order: UTF-8 bytes, which is not JavaScript's UTF-16 order for characters past U+FFFF. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface PlanOptions {
  bucket: string;
  prefixes: readonly string[];
  maxShardsPerPrefix: number;
  /** Pages of the Delimiter listing read per prefix; 0: no discovery, one range per prefix. */
  discoveryPages: number;
  signal?: AbortSignal;
}

/** The top-level common prefixes of `prefix`, from at most `pages` pages of a Delimiter '/' listing. */
async function topLevelPrefixes(
  s3: S3Client,
  bucket: string,
  prefix: string,
  pages: number,
  signal?: AbortSignal,
): Promise<{ prefixes: string[]; complete: boolean }> {
  const found: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < pages; page++) {
    const out = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
      { abortSignal: signal },
    );
    for (const cp of out.CommonPrefixes ?? []) if (cp.Prefix) found.push(cp.Prefix);
    if (!out.IsTruncated || !out.NextContinuationToken) return { prefixes: sortKeys(found), complete: true };
    token = out.NextContinuationToken;
  }
  return { prefixes: sortKeys(found), complete: pages === 0 };
}

function sortKeys(keys: string[]): string[] {
  return [...new Set(keys)].sort(compareKeys);
}

/** Picks at most `max` - 1 cut points, evenly spread over the common prefixes. */
export function pickBoundaries(prefixes: readonly string[], max: number): string[] {
  const cuts = Math.max(0, max - 1);
  if (prefixes.length <= cuts) return [...prefixes];
  const out: string[] = [];
  for (let i = 1; i <= cuts; i++) {
    const p = prefixes[Math.floor((i * prefixes.length) / (cuts + 1))];
    if (p !== undefined && out.at(-1) !== p) out.push(p);
  }
  return out;
}

/** Ranges covering each prefix exactly once, split at its top-level common prefixes. */
export async function planShards(s3: S3Client, options: PlanOptions): Promise<Shard[]> {
  const perPrefix = await Promise.all(
    options.prefixes.map(async (prefix) => {
      if (options.discoveryPages === 0 || options.maxShardsPerPrefix <= 1) return { prefix, cuts: [] as string[] };
      const { prefixes } = await topLevelPrefixes(s3, options.bucket, prefix, options.discoveryPages, options.signal);
      return { prefix, cuts: pickBoundaries(prefixes, options.maxShardsPerPrefix) };
    }),
  );
  const shards: Shard[] = [];
  for (const { prefix, cuts } of perPrefix) {
    const edges: (string | undefined)[] = [undefined, ...cuts, undefined];
    for (let i = 0; i + 1 < edges.length; i++) {
      shards.push({ id: shards.length, prefix, after: edges[i], until: edges[i + 1], done: false });
    }
  }
  return shards;
}
