import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeDecompressionBomb,
  makeMultiPageTiff,
  makeTruncatedJpeg,
  textFile,
  zeroBytes,
} from '../../local/fixtures/oddImages.ts';
import { needsRedelivery } from '../../worker/pipeline/outcome.ts';
import { fixture, type System, startSystem } from '../helpers/system.ts';

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('end to end: ordering and bad input', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
    await system.startWorker();
  });
  afterAll(() => system?.close());

  it('create, overwrite and delete of one key, delivered in every order, end in the tombstone', async () => {
    const orders = permutations([0, 1, 2]);
    // Capture the three real events of each key (create, overwrite, delete), then deliver them in every order.
    system.stack.bridge.pause();
    for (let i = 0; i < orders.length; i++) {
      const key = `order/${i} key+with %.jpg`;
      await system.put(key, fixture('rocket.jpg'));
      await system.put(key, fixture('grace_hopper.jpg'));
      await system.remove(key);
    }
    const bodies = system.stack.bridge.drain();
    system.stack.bridge.resume();
    expect(bodies).toHaveLength(orders.length * 3);
    const seen = system.spy.mark();
    const delivery = orders.flatMap((order, i) => order.map((j) => bodies[i * 3 + j]!));
    await system.stack.bridge.send(delivery);
    await system.spy.waitForOutcomes(delivery.length, () => true, { since: seen });

    const items = (await system.items()).filter((i) => i.key.startsWith('order/'));
    expect(items).toHaveLength(orders.length);
    for (const item of items) expect(item.status).toBe('removed');
    // The object is gone, so no create could be described: no model call was spent on them.
    expect(system.outcomes.slice(seen).every((o) => !o.modelCalls)).toBe(true);
  });

  it('a create delivered after a newer delete does not bring the item back', async () => {
    system.stack.bridge.pause();
    await system.put('late/create.jpg', fixture('rocket.jpg'));
    await system.remove('late/create.jpg');
    await system.put('late/create.jpg', fixture('camera.png')); // exists again, with other content
    const [create1, del, create2] = system.stack.bridge.drain();
    system.stack.bridge.resume();
    const seen = system.spy.mark();
    await system.stack.bridge.send([create2!, del!, create1!]);
    await system.spy.waitForOutcomes(3, () => true, { since: seen });
    const item = (await system.items()).find((i) => i.key === 'late/create.jpg');
    expect(item?.status).toBe('catalogued');
    // The delete finds the key with a current version (HeadObject): nothing to remove; the old create is stale.
    expect(system.outcomes.slice(seen).map((o) => o.outcome)).toEqual(['catalogued', 'ignored', 'stale']);
  });

  it('bad input ends with a clear reason (DLQ or rejected item) while the worker goes on', async () => {
    const odd: [string, Buffer][] = [
      ['bad/notes.jpg', textFile()],
      ['bad/empty.jpg', zeroBytes()],
      ['bad/truncated.jpg', await makeTruncatedJpeg()],
      ['bad/pages.tif', await makeMultiPageTiff()],
      ['bad/bomb.png', await makeDecompressionBomb(20000, 20000)],
    ];
    await system.stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: system.stack.queueUrl, MessageBody: '{"this is": "not an S3 event"}' }),
    );
    await system.stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: system.stack.queueUrl, MessageBody: 'garbage' }),
    );
    for (const [key, body] of odd) await system.put(key, body);
    await system.put('bad/after-the-bad-ones.jpg', fixture('rocket.jpg'));

    await system.spy.waitForOutcomes(odd.length + 1, (o) => o.key.startsWith('bad/') && !needsRedelivery(o));
    const items = (await system.items()).filter((i) => i.key.startsWith('bad/'));
    expect(items).toHaveLength(odd.length + 1);
    const byKey = Object.fromEntries(items.map((i) => [i.key, i]));
    expect(byKey['bad/notes.jpg']).toMatchObject({ status: 'rejected', reasonCode: 'NOT_AN_IMAGE' });
    expect(byKey['bad/empty.jpg']).toMatchObject({ status: 'rejected', reasonCode: 'EMPTY_OBJECT' });
    expect(byKey['bad/truncated.jpg']).toMatchObject({ status: 'rejected', reasonCode: 'CORRUPT_IMAGE' });
    expect(byKey['bad/pages.tif']).toMatchObject({ status: 'rejected', reasonCode: 'MULTI_PAGE' });
    expect(byKey['bad/bomb.png']).toMatchObject({ status: 'rejected', reasonCode: 'TOO_MANY_PIXELS' });
    expect(byKey['bad/bomb.png']?.reason).toMatch(/20000/);
    for (const i of items.filter((i) => i.status === 'rejected')) expect(i.reason?.length).toBeGreaterThan(10);
    expect(byKey['bad/after-the-bad-ones.jpg']?.status).toBe('catalogued');

    await system.spy.waitForMessages(2, (m) => m.deadLettered !== undefined && m.outcomes.length === 0);
    const dead = await system.deadLetters();
    expect(dead).toHaveLength(2);
    const reasons = dead.map((d) => d.reason).sort();
    expect(reasons[0]).toMatch(/not JSON/);
    expect(reasons[1]).toMatch(/unknown message shape/);
  });

  it('an invalid model answer is retried within the budget and never written as it came', async () => {
    const bedrock = system.stack.bedrock!;
    // Every answer malformed: the worker gives up after its output budget and writes nothing.
    bedrock.setFaults({ malformedOutputRate: 1, seed: 7 });
    const before = bedrock.stats().totals.accepted;
    const seen = system.spy.mark();
    await system.put('invalid/always.jpg', fixture('coffee.png'));
    const first = await system.spy.waitForOutcome('invalid/always.jpg', () => true, { since: seen });
    expect(first).toMatchObject({ outcome: 'failed', reasonCode: 'RETRY_BUDGET_EXHAUSTED' });
    expect(bedrock.stats().totals.accepted - before).toBe(3); // MODEL_OUTPUT_MAX_ATTEMPTS
    expect((await system.items()).find((i) => i.key === 'invalid/always.jpg')).toBeUndefined();

    // Half of the answers malformed: retried until a valid one, and only that is stored.
    bedrock.setFaults({ malformedOutputRate: 0.5, seed: 11 });
    await system.put('invalid/sometimes.jpg', fixture('chelsea.png'));
    await system.spy.waitForOutcome('invalid/sometimes.jpg', (o) => o.outcome === 'catalogued');
    const item = (await system.items()).find((i) => i.key === 'invalid/sometimes.jpg');
    expect(item?.status).toBe('catalogued');
    expect(item?.labels?.every((l) => l.box.left >= 0 && l.box.left + l.box.width <= 1.0001)).toBe(true);
    bedrock.setFaults({ malformedOutputRate: 0 });
    // The failed one is redelivered by SQS and then succeeds.
    await system.spy.waitForOutcome('invalid/always.jpg', (o) => o.outcome === 'catalogued');
    const redelivered = (await system.items()).find((i) => i.key === 'invalid/always.jpg');
    expect(redelivered?.status).toBe('catalogued');
  });
});
