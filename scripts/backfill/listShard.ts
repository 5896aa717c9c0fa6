import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { normaliseETag } from '../../shared/messages.ts';
import type { ListedObject } from './filter.ts';
import { compareKeys, type Shard } from './shards.ts';

/** One page of a range: its objects in key order, all inside the range. */
export interface ListedPage {
  objects: ListedObject[];
  /** The range has no more keys after this page. */
  last: boolean;
}

/**
 * Lists one key range page by page, from its cursor (a resumed run) or its start. The first request uses
 * `StartAfter`, the next ones the continuation token; keys past the range's end are cut off and end the range.
 */
export async function* listShard(
  s3: S3Client,
  bucket: string,
  shard: Pick<Shard, 'prefix' | 'after' | 'until' | 'cursor'>,
  pageSize: number,
  signal?: AbortSignal,
): AsyncGenerator<ListedPage> {
  const startAfter = shard.cursor ?? shard.after;
  let token: string | undefined;
  for (;;) {
    const out = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: shard.prefix || undefined,
        MaxKeys: pageSize,
        ...(token ? { ContinuationToken: token } : startAfter !== undefined ? { StartAfter: startAfter } : {}),
      }),
      { abortSignal: signal },
    );
    const objects: ListedObject[] = [];
    let past = false;
    for (const o of out.Contents ?? []) {
      if (o.Key === undefined) continue;
      if (shard.until !== undefined && compareKeys(o.Key, shard.until) > 0) {
        past = true;
        break;
      }
      objects.push({
        key: o.Key,
        size: o.Size ?? 0,
        eTag: normaliseETag(o.ETag ?? ''),
        lastModified: o.LastModified?.toISOString(),
      });
    }
    const last = past || !out.IsTruncated || !out.NextContinuationToken;
    yield { objects, last };
    if (last) return;
    token = out.NextContinuationToken;
  }
}
