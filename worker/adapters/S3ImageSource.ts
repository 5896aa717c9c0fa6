import { GetObjectCommand, type GetObjectCommandOutput, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { errorName, httpStatusOf, transient } from '../../shared/awsErrors.ts';
import { normaliseETag } from '../../shared/messages.ts';
import type { FetchResult, HeadResult, ImageSource, ObjectRef } from '../ports.ts';

/** Reads image bytes from S3, pinned to the event's content with `IfMatch`. */
export class S3ImageSource implements ImageSource {
  constructor(private readonly s3: S3Client) {}

  async head(ref: { bucket: string; key: string }, options: { signal?: AbortSignal } = {}): Promise<HeadResult> {
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }), {
        abortSignal: options.signal,
      });
      return {
        status: 'present',
        eTag: normaliseETag(out.ETag ?? ''),
        size: out.ContentLength ?? 0,
        lastModified: out.LastModified?.toISOString(),
        versionId: out.VersionId,
      };
    } catch (error) {
      // A key whose current version is a delete marker answers 404 too (with x-amz-delete-marker: true).
      const status = httpStatusOf(error);
      const name = errorName(error);
      if (status === 404 || name === 'NotFound' || name === 'NoSuchKey') return { status: 'missing' };
      throw transient('S3 HeadObject', error, { bucket: ref.bucket, key: ref.key });
    }
  }

  async fetch(ref: ObjectRef, options: { maxBytes: number; signal?: AbortSignal }): Promise<FetchResult> {
    let out: GetObjectCommandOutput;
    try {
      out = await this.s3.send(
        new GetObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          // A 412 means the object changed since the event: that event is stale, a newer one will handle the key.
          IfMatch: ref.eTag ? `"${normaliseETag(ref.eTag)}"` : undefined,
          VersionId: ref.versionId,
        }),
        { abortSignal: options.signal },
      );
    } catch (error) {
      const status = httpStatusOf(error);
      const name = errorName(error);
      if (status === 412 || name === 'PreconditionFailed') return { status: 'changed' };
      if (status === 404 || name === 'NoSuchKey' || name === 'NoSuchVersion' || name === 'NotFound') {
        return { status: 'missing' };
      }
      throw transient('S3 GetObject', error, { bucket: ref.bucket, key: ref.key });
    }
    const size = out.ContentLength ?? 0;
    if (size > options.maxBytes) {
      // Do not read a body we will not use; release the socket.
      (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
      return { status: 'too-large', size };
    }
    let body: Buffer;
    try {
      body = Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
    } catch (error) {
      throw transient('S3 GetObject body', error, { bucket: ref.bucket, key: ref.key });
    }
    return {
      status: 'ok',
      body,
      size: body.length,
      eTag: normaliseETag(out.ETag ?? ref.eTag ?? ''),
      contentType: out.ContentType,
      versionId: out.VersionId,
    };
  }
}
