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
      body = await readBody(out.Body as AsyncIterable<Uint8Array> | undefined, out.ContentLength);
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

/**
 * Reads a response body into one Buffer of the announced length, chunk by chunk: the SDK's `transformToByteArray`
 * gathers the chunks and then concatenates them, and a `Buffer.from` of its result copies again, so a 50 MB object
 * briefly cost 150 MB. Without a length (or if the body runs past it), the chunks are gathered and joined once.
 */
async function readBody(stream: AsyncIterable<Uint8Array> | undefined, length: number | undefined): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  if (length === undefined) return gather(stream, [], 0);
  const body = Buffer.allocUnsafe(length);
  let at = 0;
  const iterator = stream[Symbol.asyncIterator]();
  for (;;) {
    const { value, done } = await iterator.next();
    if (done) break;
    if (at + value.length > length) {
      // More bytes than announced: keep what was read and gather the rest.
      return gather({ [Symbol.asyncIterator]: () => iterator }, [body.subarray(0, at), value], at + value.length);
    }
    body.set(value, at);
    at += value.length;
  }
  // A short body is a cut connection, not a small image: retried, never prepared (it would be rejected as corrupt).
  if (at < length) throw new Error(`the body ended after ${at} of ${length} bytes`);
  return body;
}

async function gather(stream: AsyncIterable<Uint8Array>, chunks: Uint8Array[], size: number): Promise<Buffer> {
  let total = size;
  for await (const chunk of stream) {
    chunks.push(chunk);
    total += chunk.length;
  }
  return Buffer.concat(chunks, total);
}
