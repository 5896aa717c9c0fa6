import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../local/bedrock/faults.ts';
import { makeBackfillMessage } from '../../shared/messages.ts';
import { fixture, type System, startSystem } from '../helpers/system.ts';

/**
 * An event stream without sequencers (as an S3-compatible store sends, or hand-made and re-driven events) converges
 * on the bucket: the real events of overwrites, deletes and re-creates, their sequencers stripped, every one
 * delivered twice in a shuffled order to two workers at once.
 */
describe('end to end: events without sequencers converge', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
    await system.startWorker();
    await system.startWorker();
  });
  afterAll(() => system?.close());

  it('overwrites, deletes and re-creates of 5 keys, shuffled and duplicated, end as the bucket is', async () => {
    const [a, b, c] = [fixture('rocket.jpg'), fixture('camera.png'), fixture('coffee.png')];
    system.stack.bridge.pause();
    const history: [string, Buffer | undefined][] = [
      ['nosq/k0.jpg', a],
      ['nosq/k0.jpg', b],
      ['nosq/k1.jpg', a],
      ['nosq/k1.jpg', undefined],
      ['nosq/k2.jpg', a],
      ['nosq/k2.jpg', undefined],
      ['nosq/k2.jpg', c],
      ['nosq/k3.jpg', a],
      ['nosq/k3.jpg', b],
      ['nosq/k3.jpg', a],
      ['nosq/k4.jpg', b],
      ['nosq/k4.jpg', undefined],
      ['nosq/k4.jpg', b],
      ['nosq/k4.jpg', undefined],
    ];
    for (const [key, body] of history) {
      if (body) await system.put(key, body);
      else await system.remove(key);
    }
    const bodies = system.stack.bridge.drain();
    system.stack.bridge.resume();
    expect(bodies).toHaveLength(history.length);
    const stripped = bodies.map((body) => {
      const message = JSON.parse(body) as { Records: { s3: { object: Record<string, unknown> } }[] };
      for (const r of message.Records) delete r.s3.object.sequencer;
      return JSON.stringify(message);
    });
    const random = seededRandom(12);
    const deliveries = [...stripped, ...stripped]
      .map((body) => ({ body, order: random() }))
      .sort((x, y) => x.order - y.order)
      .map((d) => d.body);
    const since = system.spy.mark();
    await system.stack.bridge.send(deliveries);
    // Every delivery ends in a final outcome (a `retry` is delivered again and counted when it settles).
    await system.spy.waitForOutcomes(deliveries.length, (o) => o.outcome !== 'retry', { since });

    const items = new Map((await system.items()).map((i) => [i.key, i]));
    for (const key of new Set(history.map(([k]) => k))) {
      const live = await system.stack.clients.s3
        .send(new HeadObjectCommand({ Bucket: system.stack.bucket, Key: key }))
        .then((h) => h.ETag?.replace(/"/g, ''))
        .catch(() => undefined);
      const item = items.get(key);
      if (live) expect(item, key).toMatchObject({ status: 'catalogued', eTag: live });
      else expect(item?.status, key).toBe('removed');
    }
  });

  it('an overwrite whose event was dropped is repaired by a backfill message of the live object', async () => {
    const key = 'nosq/dropped.jpg';
    await system.put(key, fixture('chelsea.png'));
    await system.spy.waitForOutcome(key, (o) => o.outcome === 'catalogued');
    system.stack.bridge.pause();
    await system.put(key, fixture('grace_hopper.jpg'));
    expect(system.stack.bridge.drain()).toHaveLength(1); // the overwrite's event, lost
    system.stack.bridge.resume();
    const head = await system.stack.clients.s3.send(new HeadObjectCommand({ Bucket: system.stack.bucket, Key: key }));
    const eTag = head.ETag!.replace(/"/g, '');
    expect((await system.items()).find((i) => i.key === key)?.eTag).not.toBe(eTag);

    const since = system.spy.mark();
    const message = makeBackfillMessage({ bucket: system.stack.bucket, key, eTag, size: head.ContentLength! });
    await system.stack.bridge.send([message]);
    expect(await system.spy.waitForOutcome(key, () => true, { since })).toMatchObject({ outcome: 'catalogued' });
    expect((await system.items()).find((i) => i.key === key)).toMatchObject({ status: 'catalogued', eTag });
  });
});
