import { describe, expect, it } from 'vitest';
import type { ObjectEvent } from '../../../shared/messages.ts';
import { normaliseSequencer } from '../../../shared/sequencer.ts';
import { processEvent } from '../../../worker/pipeline/processEvent.ts';
import type { FetchResult, ObjectRef } from '../../../worker/ports.ts';
import { createdEvent, etagOf, fakePipeline, fakePrepare, InMemoryBucket, removedEvent } from '../../helpers/fakes.ts';

// The exact outcome of each path through the live-object rules (followLiveObject.ts) and the sequenced removal
// (removeObject.ts): what the convergence tests in liveObject.test.ts only check through the final state.

const created = createdEvent;
const removed = removedEvent;
const backfill = (key: string, body: Buffer, extra: Partial<ObjectEvent> = {}): ObjectEvent =>
  created(key, body, { eventName: 'Backfill', source: 'backfill', ...extra });

/** A bucket whose object is overwritten by someone else right after each read, `times` times. */
class ChangingBucket extends InMemoryBucket {
  private version = 0;
  constructor(private times: number) {
    super();
  }
  override async fetch(ref: ObjectRef, options: { maxBytes: number }): Promise<FetchResult> {
    const got = await super.fetch(ref, options);
    if (got.status === 'ok' && this.times > 0) {
      this.times--;
      this.put(ref.key, Buffer.from(`img:10x10 overwritten ${++this.version}`));
    }
    return got;
  }
}

describe('the live object decides: each outcome', () => {
  it('a backfill of an item that already shows these bytes is skipped without asking S3', async () => {
    const { deps, bucket, describer } = fakePipeline();
    const v = Buffer.from('img:10x10 v');
    bucket.put('k.jpg', v);
    expect((await processEvent(created('k.jpg', v, { sequencer: '01' }), deps)).outcome).toBe('catalogued');
    const heads = bucket.heads;
    expect(await processEvent(backfill('k.jpg', v), deps)).toEqual({
      outcome: 'skipped',
      reason: 'already catalogued with this content and analysis version',
      bucket: 'b',
      key: 'k.jpg',
      ms: expect.any(Number),
    });
    expect(bucket.heads).toBe(heads);
    expect(describer.calls).toBe(1);
  });

  it('a message whose eTag is no longer the object is stale, fetching nothing', async () => {
    const { deps, bucket, describer } = fakePipeline();
    const old = Buffer.from('img:10x10 old');
    bucket.put('k.jpg', Buffer.from('img:10x10 new'));
    const fetches = bucket.fetches;
    expect(await processEvent(backfill('k.jpg', old), deps)).toMatchObject({
      outcome: 'stale',
      reason: 'the object changed since the event (eTag differs)',
      reasonCode: 'ETAG_CHANGED',
    });
    expect(bucket.fetches).toBe(fetches);
    expect(describer.calls).toBe(0);
  });

  it('a create for an object that is gone is stale', async () => {
    const { deps } = fakePipeline();
    expect(await processEvent(backfill('gone.jpg', Buffer.from('img:1x1')), deps)).toMatchObject({
      outcome: 'stale',
      reasonCode: 'OBJECT_MISSING',
    });
  });

  it('a reprocess message describes current bytes again, once; a plain backfill of them is skipped', async () => {
    const { deps, bucket, describer, store } = fakePipeline();
    const v = Buffer.from('img:10x10 again');
    bucket.put('k.jpg', v);
    await processEvent(backfill('k.jpg', v), deps);
    expect(describer.calls).toBe(1);
    const o = await processEvent(backfill('k.jpg', v, { reprocess: true }), deps);
    expect(o).toMatchObject({ outcome: 'catalogued', modelCalls: 1 });
    expect(describer.calls).toBe(2);
    expect(store.items.get('b/k.jpg')?.eTag).toBe(etagOf(v));
    // Reprocessing bytes the message does not name (the object changed since): no second description.
    bucket.put('k.jpg', Buffer.from('img:10x10 later'));
    expect((await processEvent(backfill('k.jpg', v, { reprocess: true }), deps)).outcome).toBe('stale');
    expect(describer.calls).toBe(2);
  });

  it('an object over the size cap, found by HeadObject, is rejected without a fetch', async () => {
    const { deps, bucket, store } = fakePipeline({ maxBytes: 10 });
    const big = Buffer.from('img:10x10 far too many bytes');
    bucket.put('big.jpg', big);
    const o = await processEvent(backfill('big.jpg', big), deps);
    expect(o).toMatchObject({ outcome: 'rejected', reasonCode: 'OBJECT_TOO_LARGE' });
    expect(bucket.fetches).toBe(0);
    expect(store.items.get('b/big.jpg')?.status).toBe('rejected');
  });

  it('an object overwritten while it was described is followed to its new bytes, and both calls are counted', async () => {
    const bucket = new ChangingBucket(1);
    const { deps, store, describer } = fakePipeline({ source: bucket });
    const v1 = Buffer.from('img:10x10 first');
    bucket.put('k.jpg', v1);
    const o = await processEvent(backfill('k.jpg', v1), deps);
    expect(o).toMatchObject({ outcome: 'catalogued', modelCalls: 2, inputTokens: 200, outputTokens: 40 });
    expect(describer.calls).toBe(2);
    const live = await bucket.head({ key: 'k.jpg' });
    expect(store.items.get('b/k.jpg')?.eTag).toBe(live.status === 'present' ? live.eTag : 'missing');
  });

  it('an object that keeps changing is retried later, reporting every call it cost', async () => {
    const bucket = new ChangingBucket(100);
    const { deps, describer } = fakePipeline({ source: bucket });
    const v1 = Buffer.from('img:10x10 first');
    bucket.put('k.jpg', v1);
    const o = await processEvent(backfill('k.jpg', v1), deps);
    expect(o).toMatchObject({
      outcome: 'retry',
      reason: 'the object kept changing while it was catalogued',
      reasonCode: 'OBJECT_CHANGING',
      modelCalls: 4,
      inputTokens: 400,
    });
    expect(describer.calls).toBe(4);
  });

  it('a removal without a sequencer of a key already removed is stale', async () => {
    const { deps, bucket } = fakePipeline();
    const v = Buffer.from('img:10x10');
    bucket.put('k.jpg', v);
    await processEvent(backfill('k.jpg', v), deps);
    bucket.remove('k.jpg');
    expect((await processEvent(removed('k.jpg'), deps)).outcome).toBe('removed');
    expect(await processEvent(removed('k.jpg'), deps)).toMatchObject({
      outcome: 'stale',
      reasonCode: 'ALREADY_REMOVED',
    });
  });

  it('a removal without a sequencer keeps the newest sequence seen on the tombstone', async () => {
    const { deps, bucket, store } = fakePipeline();
    const v = Buffer.from('img:10x10');
    bucket.put('k.jpg', v);
    await processEvent(created('k.jpg', v, { sequencer: '0A' }), deps);
    bucket.remove('k.jpg');
    expect((await processEvent(removed('k.jpg'), deps)).outcome).toBe('removed');
    expect(store.items.get('b/k.jpg')).toMatchObject({ status: 'removed', seq: normaliseSequencer('0A') });
    // So the create it followed stays stale.
    expect((await processEvent(created('k.jpg', v, { sequencer: '0A' }), deps)).outcome).not.toBe('catalogued');
  });
});

describe('a sequenced removal', () => {
  it('tombstones a key with no current version, with its sequencer and version', async () => {
    const { deps, bucket, store } = fakePipeline();
    const v = Buffer.from('img:10x10');
    bucket.put('k.jpg', v);
    await processEvent(created('k.jpg', v, { sequencer: '01' }), deps);
    const createdAt = store.items.get('b/k.jpg')?.createdAt;
    bucket.remove('k.jpg');
    expect(await processEvent(removed('k.jpg', { sequencer: '02', versionId: 'v2' }), deps)).toMatchObject({
      outcome: 'removed',
    });
    expect(store.items.get('b/k.jpg')).toMatchObject({
      status: 'removed',
      seq: normaliseSequencer('02'),
      sequencer: '02',
      versionId: 'v2',
      createdAt,
    });
  });

  it('older than what the item records: stale, superseded', async () => {
    const { deps, bucket } = fakePipeline();
    const v = Buffer.from('img:10x10');
    bucket.put('k.jpg', v);
    await processEvent(created('k.jpg', v, { sequencer: '05' }), deps);
    bucket.remove('k.jpg');
    expect(await processEvent(removed('k.jpg', { sequencer: '03' }), deps)).toMatchObject({
      outcome: 'stale',
      reason: 'a newer event for this key is already recorded',
      reasonCode: 'SUPERSEDED',
    });
  });

  it('of the current version, when an older version is current again: the item follows it', async () => {
    const { deps, bucket, store } = fakePipeline({ prepare: fakePrepare });
    const v1 = Buffer.from('img:10x10 v1');
    const v2 = Buffer.from('img:10x10 v2');
    bucket.put('k.jpg', v2);
    await processEvent(created('k.jpg', v2, { sequencer: '02' }), deps);
    // v2 deleted by versionId: v1 is the current version again.
    bucket.put('k.jpg', v1);
    const o = await processEvent(removed('k.jpg', { sequencer: '03', versionId: 'v2-id' }), deps);
    expect(o.outcome).toBe('catalogued');
    expect(store.items.get('b/k.jpg')).toMatchObject({ status: 'catalogued', eTag: etagOf(v1) });
  });
});
