import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { receive, recordOf } from './helpers.ts';

/** The local stack's S3 keeps versions as S3 does, and says so in its events (never kinder than S3). */
describe('local stack S3: versioned buckets', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ bedrock: false });
  });
  afterAll(() => stack?.close());

  const s3 = () => stack.clients.s3;
  const Bucket = () => stack.bucket;
  const errorOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: { name?: string; $metadata?: { httpStatusCode?: number } }) => ({
        name: e.name,
        status: e.$metadata?.httpStatusCode,
      }),
    );

  it('is unversioned until enabled, then every write gets a version id its event carries', async () => {
    expect((await s3().send(new GetBucketVersioningCommand({ Bucket: Bucket() }))).Status).toBeUndefined();
    const plain = await s3().send(new PutObjectCommand({ Bucket: Bucket(), Key: 'plain.jpg', Body: 'a' }));
    expect(plain.VersionId).toBeUndefined();
    await s3().send(
      new PutBucketVersioningCommand({ Bucket: Bucket(), VersioningConfiguration: { Status: 'Enabled' } }),
    );
    expect((await s3().send(new GetBucketVersioningCommand({ Bucket: Bucket() }))).Status).toBe('Enabled');
    const v1 = await s3().send(new PutObjectCommand({ Bucket: Bucket(), Key: 'v.jpg', Body: 'one' }));
    const v2 = await s3().send(new PutObjectCommand({ Bucket: Bucket(), Key: 'v.jpg', Body: 'two' }));
    expect(v1.VersionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(v2.VersionId).not.toBe(v1.VersionId);
    const records = (await receive(stack.clients.sqs, stack.queueUrl, 3)).map((m) => recordOf(m.Body));
    expect(records.map((r) => [r.eventName, r.s3.object.versionId])).toEqual([
      ['ObjectCreated:Put', undefined],
      ['ObjectCreated:Put', v1.VersionId],
      ['ObjectCreated:Put', v2.VersionId],
    ]);
  });

  it('reads each version by id, with If-Match on that version; unknown ids are NoSuchVersion', async () => {
    const v1 = await s3().send(new PutObjectCommand({ Bucket: Bucket(), Key: 'r.jpg', Body: 'first' }));
    const v2 = await s3().send(new PutObjectCommand({ Bucket: Bucket(), Key: 'r.jpg', Body: 'second' }));
    const old = await s3().send(new GetObjectCommand({ Bucket: Bucket(), Key: 'r.jpg', VersionId: v1.VersionId }));
    expect(await old.Body?.transformToString()).toBe('first');
    expect(old.VersionId).toBe(v1.VersionId);
    const current = await s3().send(new GetObjectCommand({ Bucket: Bucket(), Key: 'r.jpg' }));
    expect(await current.Body?.transformToString()).toBe('second');
    expect(current.VersionId).toBe(v2.VersionId);
    const wrongTag = s3().send(
      new GetObjectCommand({ Bucket: Bucket(), Key: 'r.jpg', VersionId: v1.VersionId, IfMatch: v2.ETag }),
    );
    expect(await errorOf(wrongTag)).toMatchObject({ status: 412 });
    const unknown = s3().send(new GetObjectCommand({ Bucket: Bucket(), Key: 'r.jpg', VersionId: 'x'.repeat(32) }));
    expect(await errorOf(unknown)).toMatchObject({ name: 'NoSuchVersion', status: 404 });
    await receive(stack.clients.sqs, stack.queueUrl, 2);
  });

  it('a plain DELETE puts a delete marker on top (404, 405 by its id); removing versions restores the previous', async () => {
    const v1 = await s3().send(new PutObjectCommand({ Bucket: Bucket(), Key: 'd.jpg', Body: 'keep me' }));
    const marker = await s3().send(new DeleteObjectCommand({ Bucket: Bucket(), Key: 'd.jpg' }));
    expect(marker.DeleteMarker).toBe(true);
    expect(await errorOf(s3().send(new HeadObjectCommand({ Bucket: Bucket(), Key: 'd.jpg' })))).toMatchObject({
      status: 404,
    });
    const byMarkerId = s3().send(new GetObjectCommand({ Bucket: Bucket(), Key: 'd.jpg', VersionId: marker.VersionId }));
    expect(await errorOf(byMarkerId)).toMatchObject({ status: 405 });
    // Removing the marker makes v1 current again.
    await s3().send(new DeleteObjectCommand({ Bucket: Bucket(), Key: 'd.jpg', VersionId: marker.VersionId }));
    const head = await s3().send(new HeadObjectCommand({ Bucket: Bucket(), Key: 'd.jpg' }));
    expect(head.ETag).toBe(v1.ETag);
    // Removing the only version leaves the key with none.
    await s3().send(new DeleteObjectCommand({ Bucket: Bucket(), Key: 'd.jpg', VersionId: v1.VersionId }));
    expect(await errorOf(s3().send(new HeadObjectCommand({ Bucket: Bucket(), Key: 'd.jpg' })))).toMatchObject({
      status: 404,
    });
    const records = (await receive(stack.clients.sqs, stack.queueUrl, 4)).map((m) => recordOf(m.Body));
    expect(records.map((r) => [r.eventName, r.s3.object.versionId])).toEqual([
      ['ObjectCreated:Put', v1.VersionId],
      ['ObjectRemoved:DeleteMarkerCreated', marker.VersionId],
      ['ObjectRemoved:Delete', marker.VersionId],
      ['ObjectRemoved:Delete', v1.VersionId],
    ]);
  });
});
