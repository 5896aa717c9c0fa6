import { Readable } from 'node:stream';
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

/** The error shapes S3 answers with, as the SDK raises them; a client that only throws them. */
describe('S3ImageSource: what each S3 error means', () => {
  const failing = (error: unknown) =>
    new S3ImageSource({ send: async () => Promise.reject(error) } as unknown as S3Client);
  const awsError = (name: string, status?: number) =>
    Object.assign(new Error(name), { name, $metadata: status === undefined ? {} : { httpStatusCode: status } });
  const fetch = (error: unknown) => failing(error).fetch({ bucket: 'b', key: 'k', eTag: 'e' }, { maxBytes: 10 });

  it.each([
    ['PreconditionFailed', undefined],
    ['UnknownError', 412],
  ])('%s (HTTP %s) means the object changed', async (name, status) => {
    expect(await fetch(awsError(name, status))).toEqual({ status: 'changed' });
  });

  it.each([
    ['NoSuchKey', undefined],
    ['NoSuchVersion', undefined],
    ['NotFound', undefined],
    ['UnknownError', 404],
  ])('%s (HTTP %s) means the object is gone', async (name, status) => {
    expect(await fetch(awsError(name, status))).toEqual({ status: 'missing' });
  });

  it('anything else is a TransientError naming the object', async () => {
    const error = await fetch(awsError('SlowDown', 503)).catch((e) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.context).toMatchObject({ bucket: 'b', key: 'k', awsError: 'SlowDown', httpStatus: 503 });
  });

  it('a body that breaks while read is a TransientError', async () => {
    const body = Readable.from(
      (async function* () {
        yield new Uint8Array([1]);
        throw new Error('socket hang up');
      })(),
    );
    const source = new S3ImageSource({
      send: async () => ({ ContentLength: 5, Body: body, ETag: '"e"' }),
    } as unknown as S3Client);
    const error = await source.fetch({ bucket: 'b', key: 'k' }, { maxBytes: 10 }).catch((e) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('S3 GetObject body');
  });

  it('sends IfMatch quoted and the version asked for, and falls back to the asked eTag when S3 gives none', async () => {
    const inputs: Record<string, unknown>[] = [];
    const source = new S3ImageSource({
      send: async (command: { input: Record<string, unknown> }) => {
        inputs.push(command.input);
        return { ContentLength: 2, Body: Readable.from([new Uint8Array([1, 2])]) };
      },
    } as unknown as S3Client);
    const got = await source.fetch({ bucket: 'b', key: 'k', eTag: 'abc', versionId: 'v9' }, { maxBytes: 10 });
    expect(inputs).toEqual([{ Bucket: 'b', Key: 'k', IfMatch: '"abc"', VersionId: 'v9' }]);
    expect(got).toMatchObject({ status: 'ok', eTag: 'abc', size: 2 });
  });

  it.each([
    ['NotFound', undefined],
    ['NoSuchKey', undefined],
    ['UnknownError', 404],
  ])('HeadObject: %s (HTTP %s) means the key has no current version', async (name, status) => {
    expect(await failing(awsError(name, status)).head({ bucket: 'b', key: 'k' })).toEqual({ status: 'missing' });
  });

  it('HeadObject: anything else is a TransientError naming the object', async () => {
    const error = await failing(awsError('AccessDenied', 403))
      .head({ bucket: 'b', key: 'k' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('S3 HeadObject');
    expect(error.context).toMatchObject({ bucket: 'b', key: 'k', httpStatus: 403 });
  });

  it('HeadObject: what it answers, with the defaults S3 may leave out', async () => {
    const answering = (out: Record<string, unknown>) =>
      new S3ImageSource({ send: async () => out } as unknown as S3Client).head({ bucket: 'b', key: 'k' });
    expect(
      await answering({
        ETag: '"abc"',
        ContentLength: 7,
        LastModified: new Date(Date.UTC(2026, 0, 2)),
        VersionId: 'v1',
      }),
    ).toEqual({ status: 'present', eTag: 'abc', size: 7, lastModified: '2026-01-02T00:00:00.000Z', versionId: 'v1' });
    expect(await answering({})).toEqual({
      status: 'present',
      eTag: '',
      size: 0,
      lastModified: undefined,
      versionId: undefined,
    });
  });

  const answering = (out: Record<string, unknown>) =>
    new S3ImageSource({ send: async () => out } as unknown as S3Client).fetch(
      { bucket: 'b', key: 'k' },
      { maxBytes: 100 },
    );
  const chunks = (...parts: number[][]) => Readable.from(parts.map((p) => new Uint8Array(p)));

  it('a body in several chunks is read whole, in order', async () => {
    const got = await answering({ ContentLength: 5, Body: chunks([1, 2], [3], [4, 5]), ETag: '"e"' });
    expect(got).toMatchObject({ status: 'ok', size: 5, eTag: 'e' });
    expect([...((got as { body: Buffer }).body ?? [])]).toEqual([1, 2, 3, 4, 5]);
  });

  it('a body without a length, or longer than announced, is kept whole', async () => {
    const unannounced = (await answering({ Body: chunks([1, 2], [3]) })) as { body: Buffer };
    expect([...unannounced.body]).toEqual([1, 2, 3]);
    const longer = (await answering({ ContentLength: 3, Body: chunks([1, 2], [3, 4], [5]) })) as { body: Buffer };
    expect([...longer.body]).toEqual([1, 2, 3, 4, 5]);
  });

  it('a body shorter than announced is a cut connection (retried), not a small image', async () => {
    const error = await answering({ ContentLength: 5, Body: chunks([1, 2]) }).catch((e) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('the body ended after 2 of 5 bytes');
  });

  it('no body is an empty object', async () => {
    expect(await answering({ ContentLength: 0 })).toMatchObject({ status: 'ok', size: 0 });
  });

  it('a body over the cap is not read: its stream is destroyed', async () => {
    let destroyed = false;
    const body = Object.assign(chunks([1]), {
      destroy: () => {
        destroyed = true;
      },
    });
    expect(await answering({ ContentLength: 1000, Body: body })).toEqual({ status: 'too-large', size: 1000 });
    expect(destroyed).toBe(true);
  });
});
