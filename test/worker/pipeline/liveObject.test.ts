import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../local/bedrock/faults.ts';
import type { ObjectEvent } from '../../../shared/messages.ts';
import { processEvent } from '../../../worker/pipeline/processEvent.ts';
import { createdEvent, etagOf, fakePipeline, fakePrepare, removedEvent } from '../../helpers/fakes.ts';

/**
 * The live object is the authority: events without a sequencer (an S3-compatible store, hand-made or re-driven
 * events) and backfill/repair messages converge on the bucket's state, whatever their order, duplicates and overlap.
 */

const created = createdEvent;
const removed = removedEvent;
const backfill = (key: string, body: Buffer): ObjectEvent => ({
  ...created(key, body),
  eventName: 'Backfill',
  source: 'backfill',
});

function shuffle<T>(xs: T[], random: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('events without a sequencer follow the live object', () => {
  it('overwrite then delete without sequencers, delivered in the wrong order, end as the bucket is', async () => {
    const { deps, store, bucket } = fakePipeline();
    const v1 = Buffer.from('img:10x10 one');
    const v2 = Buffer.from('img:10x10 two');
    bucket.put('k.jpg', v1);
    expect((await processEvent(created('k.jpg', v1), deps)).outcome).toBe('catalogued');
    bucket.put('k.jpg', v2);
    // Before: with no sequencer the overwrite counted as sequence 0 and stayed stale for ever.
    expect((await processEvent(created('k.jpg', v2), deps)).outcome).toBe('catalogued');
    expect(store.items.get('b/k.jpg')?.eTag).toBe(etagOf(v2));
    bucket.remove('k.jpg');
    expect((await processEvent(created('k.jpg', v1), deps)).outcome).toBe('stale');
    expect((await processEvent(removed('k.jpg'), deps)).outcome).toBe('removed');
    expect((await processEvent(created('k.jpg', v2), deps)).outcome).toBe('stale');
    expect(store.items.get('b/k.jpg')?.status).toBe('removed');
  });

  it('a removal while the key still has a current version changes nothing (forged, or a noncurrent version)', async () => {
    const { deps, store, bucket } = fakePipeline();
    const v = Buffer.from('img:10x10');
    bucket.put('k.jpg', v);
    await processEvent(created('k.jpg', v, { sequencer: '01' }), deps);
    // A removal with a high sequencer, and one with none: HeadObject says the object is there.
    for (const e of [removed('k.jpg', { sequencer: 'FFFFFFFF' }), removed('k.jpg')]) {
      expect(await processEvent(e, deps)).toMatchObject({ outcome: 'ignored', reasonCode: 'CURRENT_VERSION_EXISTS' });
    }
    expect(store.items.get('b/k.jpg')?.status).toBe('catalogued');
  });

  it('a backfill whose eTag differs from the stored item wins once the object proves it current', async () => {
    const { deps, store, bucket, describer } = fakePipeline();
    const v1 = Buffer.from('img:10x10 one');
    const v2 = Buffer.from('img:10x10 two');
    bucket.put('k.jpg', v1);
    await processEvent(created('k.jpg', v1, { sequencer: '0500' }), deps);
    // The overwrite's event (sequencer 0600) was lost: the item shows v1, the bucket v2.
    bucket.put('k.jpg', v2);
    expect(await processEvent(backfill('k.jpg', v2), deps)).toMatchObject({ outcome: 'catalogued', modelCalls: 1 });
    expect(store.items.get('b/k.jpg')).toMatchObject({ eTag: etagOf(v2), sequencer: '0500' });
    // The lost event redelivered later is a skip; an older one stays stale.
    expect((await processEvent(created('k.jpg', v2, { sequencer: '0600' }), deps)).outcome).toBe('skipped');
    expect((await processEvent(created('k.jpg', v1, { sequencer: '0400' }), deps)).outcome).toBe('stale');
    // A backfill built from an older listing (v1) is stale: GetObject IfMatch fails.
    expect((await processEvent(backfill('k.jpg', v1), deps)).outcome).toBe('stale');
    expect(describer.calls).toBe(2);
  });

  it('a backfill repairs a key hidden by a removal whose re-create event was lost', async () => {
    const { deps, store, bucket } = fakePipeline();
    const v = Buffer.from('img:10x10');
    bucket.put('k.jpg', v);
    await processEvent(created('k.jpg', v, { sequencer: '01' }), deps);
    bucket.remove('k.jpg');
    await processEvent(removed('k.jpg', { sequencer: '02' }), deps);
    bucket.put('k.jpg', v); // re-created; its event (03) never arrives
    expect(store.items.get('b/k.jpg')?.status).toBe('removed');
    expect((await processEvent(backfill('k.jpg', v), deps)).outcome).toBe('catalogued');
    expect(store.items.get('b/k.jpg')?.status).toBe('catalogued');
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'a random history of 6 keys without sequencers, events duplicated, shuffled and processed 4 at a time, converges (seed %i)',
    async (seed) => {
      const random = seededRandom(seed);
      const { deps, store, bucket } = fakePipeline();
      const events: { event: ObjectEvent; at: number }[] = [];
      const keys = ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => `${k}.jpg`);
      // The bucket's history: 40 changes, each producing its (sequencer-less) event.
      const history: (() => void)[] = [];
      for (let step = 0; step < 40; step++) {
        const key = keys[Math.floor(random() * keys.length)]!;
        if (random() < 0.3) {
          history.push(() => bucket.remove(key));
          events.push({ event: removed(key), at: step });
        } else {
          const body = Buffer.from(`img:8x8 ${key} v${step % 3}`);
          history.push(() => bucket.put(key, body));
          events.push({ event: created(key, body), at: step });
        }
      }
      // Deliveries interleave with the changes: each event is delivered (twice) at some point after its change.
      const deliveries = shuffle(
        events.flatMap((e) => [e, e]).map((e) => ({ ...e, when: e.at + Math.floor(random() * 45) })),
        random,
      ).sort((x, y) => x.when - y.when);
      let applied = 0;
      for (let i = 0; i < deliveries.length; i += 4) {
        const group = deliveries.slice(i, i + 4);
        const until = Math.max(...group.map((d) => d.when));
        while (applied < history.length && applied <= until) history[applied++]!();
        await Promise.all(group.map((d) => processEvent(d.event, deps)));
      }
      expect(applied).toBe(history.length);

      for (const key of keys) {
        const live = await bucket.head({ key });
        const item = store.items.get(`b/${key}`);
        if (live.status === 'present') expect(item, key).toMatchObject({ status: 'catalogued', eTag: live.eTag });
        else expect(item?.status ?? 'removed', key).toBe('removed');
      }
    },
  );
});

describe('thumbnails of removed items', () => {
  it('are deleted with the item, unless another item shows the same bytes', async () => {
    const thumbs = new Map<string, Buffer>();
    const thumbnails = {
      put: async (key: string, body: Buffer) => void thumbs.set(key, body),
      delete: async (key: string) => void thumbs.delete(key),
    };
    const { deps, store, bucket } = fakePipeline({
      thumbnails,
      prepare: async (body) => ({ ...(await fakePrepare(body)), thumbnail: { body, width: 4, height: 4 } }),
    });
    const same = Buffer.from('img:10x10 same');
    const other = Buffer.from('img:10x10 other');
    bucket.put('a.jpg', same);
    bucket.put('b.jpg', same);
    bucket.put('c.jpg', other);
    for (const [key, body] of [
      ['a.jpg', same],
      ['b.jpg', same],
      ['c.jpg', other],
    ] as const) {
      expect((await processEvent(created(key, body, { sequencer: '01' }), deps)).outcome).toBe('catalogued');
    }
    const thumbOf = (key: string) => store.items.get(`b/${key}`)?.thumbnailKey;
    expect(thumbOf('a.jpg')).toBe(thumbOf('b.jpg'));
    expect(thumbs.size).toBe(2);

    bucket.remove('c.jpg');
    expect((await processEvent(removed('c.jpg', { sequencer: '02' }), deps)).outcome).toBe('removed');
    expect(thumbs.size).toBe(1);
    bucket.remove('a.jpg');
    expect((await processEvent(removed('a.jpg', { sequencer: '02' }), deps)).outcome).toBe('removed');
    expect([...thumbs.keys()]).toEqual([thumbOf('b.jpg')]); // b.jpg still shows those bytes
    bucket.remove('b.jpg');
    expect((await processEvent(removed('b.jpg'), deps)).outcome).toBe('removed');
    expect(thumbs.size).toBe(0);
  });
});
