import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { TransientError } from '../../../shared/errors.ts';
import { S3ThumbnailStore } from '../../../worker/adapters/S3ThumbnailStore.ts';

/** S3ThumbnailStore with the real S3 client against fauxqs. */
describe('S3ThumbnailStore on the S3 stand-in', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ bedrock: false, bridge: false });
  });
  afterAll(() => stack?.close());

  it('stores the thumbnail in its own bucket with its content type, cached privately for good', async () => {
    const store = new S3ThumbnailStore(stack.clients.s3, stack.thumbnailBucket);
    const body = Buffer.from('RIFF....WEBPVP8 thumbnail bytes');
    await store.put('thumbnails/abc.webp', body, 'image/webp');
    const out = await stack.clients.s3.send(
      new GetObjectCommand({ Bucket: stack.thumbnailBucket, Key: 'thumbnails/abc.webp' }),
    );
    expect(Buffer.from(await out.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(out.ContentType).toBe('image/webp');
    expect(out.CacheControl).toBe('private, max-age=31536000, immutable');
  });

  it('turns a failed upload into a retryable TransientError naming the key', async () => {
    const offline = new S3Client({
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: stack.credentials,
      maxAttempts: 1,
    });
    const error = await new S3ThumbnailStore(offline, 'thumbs')
      .put('thumbnails/x.webp', Buffer.from('x'), 'image/webp')
      .catch((e) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('thumbnail');
    expect(error.context).toMatchObject({ bucket: 'thumbs', key: 'thumbnails/x.webp' });
    offline.destroy();
  });
});
