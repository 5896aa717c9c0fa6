import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { errorName, httpStatusOf, transient } from './awsErrors.ts';
import { normaliseETag } from './messages.ts';

/** What S3 says of a key right now: its current version, or that it has none. */
export type LiveObject =
  | { exists: true; eTag: string; size: number; lastModified?: string; versionId?: string }
  | { exists: false };

/**
 * HeadObject on the key's current version. 404 (no such key, or a delete marker is current) is `exists: false`; any
 * other failure is a TransientError (a 403 included: the caller cannot tell "gone" from "not allowed").
 */
export async function headLiveObject(s3: S3Client, bucket: string, key: string): Promise<LiveObject> {
  try {
    const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return {
      exists: true,
      eTag: normaliseETag(out.ETag ?? ''),
      size: out.ContentLength ?? 0,
      lastModified: out.LastModified?.toISOString(),
      versionId: out.VersionId && out.VersionId !== 'null' ? out.VersionId : undefined,
    };
  } catch (error) {
    const name = errorName(error);
    if (httpStatusOf(error) === 404 || name === 'NotFound' || name === 'NoSuchKey') return { exists: false };
    throw transient('S3 HeadObject', error, { bucket, key });
  }
}
