import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { TransientError } from '../../../shared/errors.ts';
import { S3ImageSource } from '../../../worker/adapters/S3ImageSource.ts';
import { etagOf } from '../../helpers/fakes.ts';

/** S3ImageSource with the real S3 client against fauxqs (with S3's conditional reads). */
describe('S3ImageSource on the S3 stand-in', () => {
  let stack: LocalStack;
  let source: S3ImageSource;
  const put = async (key: string, body: Buffer, contentType?: string) => {
    await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body, ContentType: contentType }),
    );
    return etagOf(body);
  };
  beforeAll(async () => {
    stack = await startLocalStack({ bedrock: false, bridge: false });
    source = new S3ImageSource(stack.clients.s3);
  });
  afterAll(() => stack?.close());

  it('reads the bytes the event named, with their unquoted eTag, size and content type', async () => {
    const body = Buffer.from('the bytes of an image');
    const eTag = await put('a/one image+plus.jpg', body, 'image/jpeg');
    const got = await source.fetch({ bucket: stack.bucket, key: 'a/one image+plus.jpg', eTag }, { maxBytes: 1000 });
    expect(got).toMatchObject({ status: 'ok', eTag, size: body.length, contentType: 'image/jpeg' });
    expect(got.status === 'ok' && got.body.equals(body)).toBe(true);
  });

  it('reads without a condition when the message carries no eTag', async () => {
    const body = Buffer.from('no etag here');
    const eTag = await put('a/no-etag.jpg', body);
    expect(await source.fetch({ bucket: stack.bucket, key: 'a/no-etag.jpg' }, { maxBytes: 1000 })).toMatchObject({
      status: 'ok',
      eTag,
    });
  });

  it('pins the fetch to the eTag of the event: an object overwritten since is "changed", never the new bytes', async () => {
    const first = await put('a/overwritten.jpg', Buffer.from('version one'));
    await put('a/overwritten.jpg', Buffer.from('version two, other bytes'));
    const ref = { bucket: stack.bucket, key: 'a/overwritten.jpg' };
    expect(await source.fetch({ ...ref, eTag: first }, { maxBytes: 1000 })).toEqual({ status: 'changed' });
    // The quoted form (as in a HeadObject answer) means the same.
    expect(await source.fetch({ ...ref, eTag: `"${first}"` }, { maxBytes: 1000 })).toEqual({ status: 'changed' });
  });

  it('reports a vanished object as "missing"', async () => {
    expect(
      await source.fetch(
        { bucket: stack.bucket, key: 'a/never-there.jpg', eTag: etagOf(Buffer.from('x')) },
        { maxBytes: 10 },
      ),
    ).toEqual({ status: 'missing' });
  });

  it('does not read an object over the size cap', async () => {
    const body = Buffer.alloc(2048, 7);
    const eTag = await put('a/large.jpg', body);
    expect(await source.fetch({ bucket: stack.bucket, key: 'a/large.jpg', eTag }, { maxBytes: 2047 })).toEqual({
      status: 'too-large',
      size: 2048,
    });
    expect(await source.fetch({ bucket: stack.bucket, key: 'a/large.jpg', eTag }, { maxBytes: 2048 })).toMatchObject({
      status: 'ok',
      size: 2048,
    });
  });

  it('turns an unreachable S3 into a retryable TransientError', async () => {
    const offline = new S3Client({
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: stack.credentials,
      maxAttempts: 1,
    });
    const error = await new S3ImageSource(offline).fetch({ bucket: 'b', key: 'k' }, { maxBytes: 10 }).catch((e) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('S3 GetObject');
    offline.destroy();
  });

  it('tells the current version of a key (HeadObject), or that it has none', async () => {
    const body = Buffer.from('current bytes');
    const eTag = await put('a/head me.jpg', body);
    expect(await source.head({ bucket: stack.bucket, key: 'a/head me.jpg' })).toMatchObject({
      status: 'present',
      eTag,
      size: body.length,
    });
    expect(await source.head({ bucket: stack.bucket, key: 'a/never.jpg' })).toEqual({ status: 'missing' });
    const unreachable = new S3ImageSource(
      new S3Client({
        endpoint: 'http://127.0.0.1:9',
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        maxAttempts: 1,
      }),
    );
    await expect(unreachable.head({ bucket: stack.bucket, key: 'k' })).rejects.toBeInstanceOf(TransientError);
  });
});
