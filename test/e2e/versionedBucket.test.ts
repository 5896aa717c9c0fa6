import { DeleteObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outcome } from '../../worker/pipeline/outcome.ts';
import { fixture, type System, startSystem, waitFor } from '../helpers/system.ts';

/**
 * A versioned bucket end to end, on the local stack (whose S3 keeps versions as S3 does, local/s3Versioning.ts) with
 * real S3 events (versionId in every record): removing a noncurrent version must not tombstone the image, removing
 * the current version brings the previous one back as current, and a delete marker removes the image.
 */
describe('end to end: versioned bucket', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
    await system.stack.clients.s3.send(
      new PutBucketVersioningCommand({
        Bucket: system.stack.bucket,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    await system.startWorker();
  });
  afterAll(() => system?.close());

  const s3 = () => system.stack.clients.s3;
  const put = async (key: string, body: Buffer) => {
    const out = await s3().send(new PutObjectCommand({ Bucket: system.stack.bucket, Key: key, Body: body }));
    expect(out.VersionId).toBeTruthy();
    return { versionId: out.VersionId!, eTag: out.ETag!.replace(/"/g, '') };
  };
  const item = async (key: string) => (await system.items()).find((i) => i.key === key);
  /** The next outcome for `key` after `seen` outcomes. */
  const outcomeFor = (key: string, seen: number): Promise<Outcome> =>
    waitFor(() => system.outcomes.slice(seen).find((o) => o.key === key), `an outcome for ${key}`);

  it('put v1, put v2, delete v1 by versionId → the item holds v2’s analysis', async () => {
    const key = 'versioned/photo.jpg';
    const v1 = await put(key, fixture('rocket.jpg'));
    await waitFor(async () => (await item(key))?.eTag === v1.eTag, 'v1 catalogued');
    const v2 = await put(key, fixture('camera.png'));
    const afterV2 = await waitFor(async () => {
      const i = await item(key);
      return i?.eTag === v2.eTag && i;
    }, 'v2 catalogued');
    expect(afterV2).toMatchObject({ status: 'catalogued', versionId: v2.versionId });

    const seen = system.outcomes.length;
    await s3().send(new DeleteObjectCommand({ Bucket: system.stack.bucket, Key: key, VersionId: v1.versionId }));
    expect(await outcomeFor(key, seen)).toMatchObject({ outcome: 'ignored', reasonCode: 'CURRENT_VERSION_EXISTS' });
    const after = await item(key);
    expect(after).toMatchObject({ status: 'catalogued', eTag: v2.eTag, versionId: v2.versionId });
    expect(after?.summary).toBe(afterV2.summary);
    expect(after?.updatedAt).toBe(afterV2.updatedAt);
  });

  it('deleting the current version by versionId brings the previous version back into the catalogue', async () => {
    const key = 'versioned/rollback.jpg';
    const v1 = await put(key, fixture('grace_hopper.jpg'));
    await waitFor(async () => (await item(key))?.eTag === v1.eTag, 'v1 catalogued');
    const v2 = await put(key, fixture('coffee.png'));
    await waitFor(async () => (await item(key))?.eTag === v2.eTag, 'v2 catalogued');

    await s3().send(new DeleteObjectCommand({ Bucket: system.stack.bucket, Key: key, VersionId: v2.versionId }));
    const back = await waitFor(async () => {
      const i = await item(key);
      return i?.eTag === v1.eTag && i;
    }, 'v1 current again');
    expect(back.status).toBe('catalogued');
  });

  it('a delete marker removes the image; removing the marker brings it back', async () => {
    const key = 'versioned/marker.jpg';
    const v1 = await put(key, fixture('chelsea.png'));
    await waitFor(async () => (await item(key))?.eTag === v1.eTag, 'v1 catalogued');
    const marker = await s3().send(new DeleteObjectCommand({ Bucket: system.stack.bucket, Key: key }));
    expect(marker.DeleteMarker).toBe(true);
    await waitFor(async () => (await item(key))?.status === 'removed', 'tombstone after the delete marker');

    await s3().send(new DeleteObjectCommand({ Bucket: system.stack.bucket, Key: key, VersionId: marker.VersionId }));
    await waitFor(async () => {
      const i = await item(key);
      return i?.status === 'catalogued' && i.eTag === v1.eTag;
    }, 'v1 back after the marker is removed');
  });
});
