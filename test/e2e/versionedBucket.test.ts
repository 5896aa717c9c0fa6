import { DeleteObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outcome } from '../../worker/pipeline/outcome.ts';
import { fixture, type System, startSystem } from '../helpers/system.ts';

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
  /** Runs `act`, then waits for the outcome of `key` it causes (the first one satisfying `predicate`). */
  async function causing<T>(key: string, act: () => Promise<T>, predicate: (o: Outcome) => boolean = () => true) {
    const since = system.spy.mark();
    const value = await act();
    return { value, outcome: await system.spy.waitForOutcome(key, predicate, { since }) };
  }
  const catalogued = (o: Outcome) => o.outcome === 'catalogued';

  it('put v1, put v2, delete v1 by versionId → the item holds v2’s analysis', async () => {
    const key = 'versioned/photo.jpg';
    const v1 = await put(key, fixture('rocket.jpg'));
    await system.spy.waitForOutcome(key, catalogued);
    const { value: v2 } = await causing(key, () => put(key, fixture('camera.png')), catalogued);
    const afterV2 = await item(key);
    expect(afterV2).toMatchObject({ status: 'catalogued', eTag: v2.eTag, versionId: v2.versionId });

    const { outcome: removal } = await causing(key, () =>
      s3().send(new DeleteObjectCommand({ Bucket: system.stack.bucket, Key: key, VersionId: v1.versionId })),
    );
    expect(removal).toMatchObject({ outcome: 'ignored', reasonCode: 'CURRENT_VERSION_EXISTS' });
    const afterDelete = await item(key);
    expect(afterDelete).toMatchObject({ status: 'catalogued', eTag: v2.eTag, versionId: v2.versionId });
    expect(afterDelete?.summary).toBe(afterV2?.summary);
    expect(afterDelete?.updatedAt).toBe(afterV2?.updatedAt);
  });

  it('deleting the current version by versionId brings the previous version back into the catalogue', async () => {
    const key = 'versioned/rollback.jpg';
    const { value: v1 } = await causing(key, () => put(key, fixture('grace_hopper.jpg')), catalogued);
    const { value: v2 } = await causing(key, () => put(key, fixture('coffee.png')), catalogued);

    const { outcome: rollback } = await causing(key, () =>
      s3().send(new DeleteObjectCommand({ Bucket: system.stack.bucket, Key: key, VersionId: v2.versionId })),
    );
    expect(rollback.outcome).toBe('catalogued');
    expect(await item(key)).toMatchObject({ status: 'catalogued', eTag: v1.eTag });
  });

  it('a delete marker removes the image; removing the marker brings it back', async () => {
    const key = 'versioned/marker.jpg';
    const { value: v1 } = await causing(key, () => put(key, fixture('chelsea.png')), catalogued);
    const { value: marker, outcome: removal } = await causing(key, () =>
      s3().send(new DeleteObjectCommand({ Bucket: system.stack.bucket, Key: key })),
    );
    expect(marker.DeleteMarker).toBe(true);
    expect(removal.outcome).toBe('removed');
    expect((await item(key))?.status).toBe('removed');

    const { outcome: back } = await causing(key, () =>
      s3().send(new DeleteObjectCommand({ Bucket: system.stack.bucket, Key: key, VersionId: marker.VersionId })),
    );
    expect(back.outcome).toBe('catalogued');
    expect(await item(key)).toMatchObject({ status: 'catalogued', eTag: v1.eTag });
  });
});
