import { describe, expect, it } from 'vitest';
import {
  ImageRejectedError,
  ModelConfigurationError,
  ModelOutputError,
  RetryBudgetExhaustedError,
  ThrottledError,
} from '../../../shared/errors.ts';
import type { ObjectEvent } from '../../../shared/messages.ts';
import { processEvent } from '../../../worker/pipeline/processEvent.ts';
import { etagOf, fakePipeline, ScriptedDescriber } from '../../helpers/fakes.ts';

const created = (key: string, body: Buffer, sequencer: string): ObjectEvent => ({
  kind: 'created',
  bucket: 'b',
  key,
  eTag: etagOf(body),
  size: body.length,
  sequencer,
  eventName: 'ObjectCreated:Put',
  source: 's3',
});
const removed = (key: string, sequencer: string): ObjectEvent => ({
  kind: 'removed',
  bucket: 'b',
  key,
  sequencer,
  eventName: 'ObjectRemoved:Delete',
  source: 's3',
});

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('processEvent', () => {
  it('catalogues a new image with every field, boxes in original pixels', async () => {
    const { deps, store, bucket, describer } = fakePipeline();
    const body = Buffer.from('img:800x600');
    bucket.put('a.jpg', body);
    const o = await processEvent(created('a.jpg', body, '0A'), deps);
    expect(o).toMatchObject({ outcome: 'catalogued', inputTokens: 100, outputTokens: 20, modelCalls: 1 });
    const item = store.items.get('b/a.jpg');
    expect(item).toMatchObject({
      status: 'catalogued',
      eTag: etagOf(body),
      analysisVersion: 'v-test',
      category: 'test',
      summary: 'A test image.',
      text: '',
      image: { width: 800, height: 600 },
    });
    expect(item?.labels?.[0]?.boxPx).toEqual({ left: 200, top: 150, width: 400, height: 300 });
    expect(item?.searchText).toContain('thing');
    expect(describer.prompts).toEqual(['describe it']);
  });

  it('never sends the object key to the model', async () => {
    const { deps, bucket, describer } = fakePipeline();
    const body = Buffer.from('img:10x10');
    bucket.put('secret-customer-name.jpg', body);
    await processEvent(created('secret-customer-name.jpg', body, '01'), deps);
    expect(describer.prompts.join()).not.toContain('secret');
  });

  it('skips an event delivered twice: no second model call, no second write', async () => {
    const { deps, store, bucket, describer } = fakePipeline();
    const body = Buffer.from('img:10x10');
    bucket.put('a.jpg', body);
    const e = created('a.jpg', body, '0A');
    await processEvent(e, deps);
    const again = await processEvent(e, deps);
    expect(again.outcome).toBe('skipped');
    expect(describer.calls).toBe(1);
    expect(store.writes).toBe(1);
  });

  it('re-describes the same content when the analysis version changes, keeping the newest sequencer', async () => {
    const { deps, store, bucket, describer } = fakePipeline();
    const body = Buffer.from('img:10x10');
    bucket.put('a.jpg', body);
    await processEvent(created('a.jpg', body, '0B'), deps);
    deps.prompt = { text: 'new prompt', analysisVersion: 'v-two' };
    const backfill: ObjectEvent = { ...created('a.jpg', body, ''), sequencer: undefined, source: 'backfill' };
    expect((await processEvent(backfill, deps)).outcome).toBe('catalogued');
    expect(describer.calls).toBe(2);
    expect(store.items.get('b/a.jpg')).toMatchObject({ analysisVersion: 'v-two', sequencer: '0B' });
    expect(store.items.get('b/a.jpg')?.seq.startsWith('0B')).toBe(true);
  });

  it.each(permutations(['c1', 'c2', 'd3']).map((p) => [p.join(' → '), p]))(
    'create, overwrite, delete delivered as %s (each twice) end in the tombstone',
    async (_name, order) => {
      const { deps, store, bucket, describer } = fakePipeline();
      const v1 = Buffer.from('img:10x10 v1');
      const v2 = Buffer.from('img:10x10 v2');
      const events: Record<string, ObjectEvent> = {
        c1: created('k.jpg', v1, '01'),
        c2: created('k.jpg', v2, '02'),
        d3: removed('k.jpg', '03'),
      };
      // The bucket's final state: the object is gone.
      bucket.remove('k.jpg');
      for (const name of [...(order as string[]), ...(order as string[])]) await processEvent(events[name]!, deps);
      expect(store.items.get('b/k.jpg')).toMatchObject({ status: 'removed', sequencer: '03' });
      expect(describer.calls).toBe(0);
    },
  );

  it.each(permutations(['c1', 'd2', 'c3']).map((p) => [p.join(' → '), p]))(
    'create, delete, re-create (same bytes) delivered as %s end catalogued, never resurrected or lost',
    async (_name, order) => {
      const { deps, store, bucket, describer } = fakePipeline();
      const v = Buffer.from('img:10x10 same');
      bucket.put('k.jpg', v); // final state: re-created with the same bytes
      const events: Record<string, ObjectEvent> = {
        c1: created('k.jpg', v, '01'),
        d2: removed('k.jpg', '02'),
        c3: created('k.jpg', v, '03'),
      };
      for (const name of order as string[]) await processEvent(events[name]!, deps);
      expect(store.items.get('b/k.jpg')).toMatchObject({ status: 'catalogued' });
      expect(store.items.get('b/k.jpg')?.seq.startsWith('03')).toBe(true);
      expect(describer.calls).toBeLessThanOrEqual(2);
    },
  );

  it('a create delivered after a newer delete does not bring the item back', async () => {
    const { deps, store, bucket } = fakePipeline();
    const v = Buffer.from('img:10x10');
    bucket.put('k.jpg', v);
    bucket.remove('k.jpg');
    await processEvent(removed('k.jpg', '05'), deps);
    const o = await processEvent(created('k.jpg', v, '04'), deps);
    expect(o.outcome).toBe('stale');
    expect(store.items.get('b/k.jpg')?.status).toBe('removed');
  });

  it('treats a changed or vanished object as stale, without a model call', async () => {
    const { deps, bucket, describer } = fakePipeline();
    const v1 = Buffer.from('img:1x1 one');
    bucket.put('k.jpg', Buffer.from('img:1x1 two'));
    expect(await processEvent(created('k.jpg', v1, '01'), deps)).toMatchObject({
      outcome: 'stale',
      reasonCode: 'ETAG_CHANGED',
    });
    bucket.remove('k.jpg');
    expect(await processEvent(created('k.jpg', v1, '01'), deps)).toMatchObject({
      outcome: 'stale',
      reasonCode: 'OBJECT_MISSING',
    });
    expect(describer.calls).toBe(0);
  });

  it('stores an unusable image as rejected with the reason, once', async () => {
    const { deps, store, bucket, describer } = fakePipeline();
    const text = Buffer.from('hello, I am a text file');
    bucket.put('notes.jpg', text);
    const o = await processEvent(created('notes.jpg', text, '01'), deps);
    expect(o).toMatchObject({ outcome: 'rejected', reasonCode: 'NOT_AN_IMAGE' });
    expect(store.items.get('b/notes.jpg')).toMatchObject({ status: 'rejected', reasonCode: 'NOT_AN_IMAGE' });
    expect((await processEvent(created('notes.jpg', text, '01'), deps)).outcome).toBe('skipped');
    expect(describer.calls).toBe(0);
  });

  it('rejects an object over the size cap without fetching it', async () => {
    const { deps, bucket } = fakePipeline({ maxBytes: 5 });
    const body = Buffer.from('img:10x10');
    bucket.put('big.jpg', body);
    const o = await processEvent(created('big.jpg', body, '01'), deps);
    expect(o).toMatchObject({ outcome: 'rejected', reasonCode: 'OBJECT_TOO_LARGE' });
    expect(bucket.fetches).toBe(0);
  });

  it('rejects an image the model refuses, leaves configuration faults and throttling for later', async () => {
    const refusal = new ImageRejectedError('MODEL_REJECTED_IMAGE', 'the model service could not process this image');
    const refused = fakePipeline({ describer: new ScriptedDescriber([refusal]) });
    const body = Buffer.from('img:10x10');
    refused.bucket.put('a.jpg', body);
    expect(await processEvent(created('a.jpg', body, '01'), refused.deps)).toMatchObject({
      outcome: 'rejected',
      reasonCode: 'MODEL_REJECTED_IMAGE',
    });

    const denied = new ModelConfigurationError('access-denied', 'm', 'Access to MODEL_ID m is denied');
    const config = fakePipeline({ describer: new ScriptedDescriber([denied]) });
    config.bucket.put('a.jpg', body);
    expect(await processEvent(created('a.jpg', body, '01'), config.deps)).toMatchObject({ outcome: 'retry' });
    expect(config.store.items.size).toBe(0);

    const throttled = fakePipeline({ describer: new ScriptedDescriber([new ThrottledError('slow down')]) });
    throttled.bucket.put('a.jpg', body);
    expect(await processEvent(created('a.jpg', body, '01'), throttled.deps)).toMatchObject({
      outcome: 'retry',
      reasonCode: 'THROTTLED',
    });
    expect(throttled.store.items.size).toBe(0);
  });

  it('gives up as failed, writing nothing, when the retry budget runs out', async () => {
    const exhausted = new RetryBudgetExhaustedError('gave up', { cause: new ModelOutputError('bad') });
    const { deps, store, bucket } = fakePipeline({ describer: new ScriptedDescriber([exhausted]) });
    const body = Buffer.from('img:10x10');
    bucket.put('a.jpg', body);
    expect((await processEvent(created('a.jpg', body, '01'), deps)).outcome).toBe('failed');
    expect(store.items.size).toBe(0);
  });
});

describe('processEvent: identical bytes under another key', () => {
  it('reuse the analysis when enabled, and call the model when not', async () => {
    const on = fakePipeline({ reuseSameContent: true });
    const body = Buffer.from('img:40x30 same bytes');
    on.bucket.put('a.jpg', body);
    on.bucket.put('b.jpg', body);
    await processEvent(created('a.jpg', body, '01'), on.deps);
    const o = await processEvent(created('b.jpg', body, '01'), on.deps);
    expect(o).toMatchObject({ outcome: 'catalogued', reused: true, modelCalls: 0 });
    expect(on.describer.calls).toBe(1);
    expect(on.store.items.get('b/b.jpg')).toMatchObject({ reusedFrom: 'b/a.jpg', summary: 'A test image.' });

    const off = fakePipeline({ reuseSameContent: false });
    off.bucket.put('a.jpg', body);
    off.bucket.put('b.jpg', body);
    await processEvent(created('a.jpg', body, '01'), off.deps);
    await processEvent(created('b.jpg', body, '01'), off.deps);
    expect(off.describer.calls).toBe(2);
  });
});
