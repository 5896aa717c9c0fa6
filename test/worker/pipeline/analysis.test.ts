import { describe, expect, it } from 'vitest';
import { ModelOutputError } from '../../../shared/errors.ts';
import { normaliseSequencer } from '../../../shared/sequencer.ts';
import { processEvent } from '../../../worker/pipeline/processEvent.ts';
import type { DescribeRequest, DescribeResult } from '../../../worker/ports.ts';
import { createdEvent, etagOf, fakePipeline, sampleDescription } from '../../helpers/fakes.ts';

// The analysis step (analysis.ts): the lease before the model call, so that two processes holding the same content
// at the same moment pay once. Two concurrent processEvent calls on one store stand for two worker processes (the
// per-key lock that keeps them apart inside one process lives in handleMessage, not here).

const created = (key: string, body: Buffer, sequencer = '01') => createdEvent(key, body, { sequencer });

/** A describer whose answers wait until `open()`; `called` resolves at the first call. */
class GatedDescriber {
  calls = 0;
  private opened!: () => void;
  private readonly gate = new Promise<void>((resolve) => {
    this.opened = resolve;
  });
  private first!: () => void;
  readonly called = new Promise<void>((resolve) => {
    this.first = resolve;
  });
  constructor(private readonly fail?: Error) {}
  open() {
    this.opened();
  }
  async describe(_: DescribeRequest): Promise<DescribeResult> {
    this.calls++;
    this.first();
    await this.gate;
    if (this.fail) throw this.fail;
    return {
      description: sampleDescription(),
      usage: { inputTokens: 100, outputTokens: 20 },
      modelId: 'm',
      attempts: 1,
    };
  }
}

const FAST = { pollMs: 2, maxWaitMs: 10_000 };

describe('analysis: one payment for content received twice at once', () => {
  it('the same event in two processes: one model call; the other waits, then skips', async () => {
    const describer = new GatedDescriber();
    const { deps, store, bucket } = fakePipeline({ describer, claim: FAST });
    const body = Buffer.from('img:40x30 once');
    bucket.put('a.jpg', body);
    const first = processEvent(created('a.jpg', body), deps);
    await describer.called;
    const second = processEvent(created('a.jpg', body), deps);
    describer.open();
    const outcomes = await Promise.all([first, second]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['catalogued', 'skipped']);
    expect(outcomes[1]?.reason).toBe('another worker catalogued this content meanwhile');
    expect(describer.calls).toBe(1);
    expect(store.writes).toBe(1);
    expect(store.claims.size).toBe(0);
  });

  it('a newer event for the same bytes that waited records its sequencer on the item', async () => {
    const describer = new GatedDescriber();
    const { deps, store, bucket } = fakePipeline({ describer, claim: FAST });
    const body = Buffer.from('img:40x30 newer');
    bucket.put('a.jpg', body);
    const first = processEvent(created('a.jpg', body, '01'), deps);
    await describer.called;
    const second = processEvent(created('a.jpg', body, '02'), deps);
    describer.open();
    const outcomes = await Promise.all([first, second]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['catalogued', 'skipped']);
    expect(describer.calls).toBe(1);
    // The stored sequence is the newer event's, so an older removal can no longer hide the item.
    expect(store.items.get('b/a.jpg')?.seq).toBe(normaliseSequencer('02'));
  });

  it('identical bytes under two keys at once, reusing analyses: one model call, the second key reuses it', async () => {
    const describer = new GatedDescriber();
    const { deps, store, bucket } = fakePipeline({ describer, claim: FAST, reuseSameContent: true });
    const body = Buffer.from('img:40x30 twins');
    bucket.put('a.jpg', body);
    bucket.put('b.jpg', body);
    const first = processEvent(created('a.jpg', body), deps);
    await describer.called;
    const second = processEvent(created('b.jpg', body), deps);
    describer.open();
    const [a, b] = await Promise.all([first, second]);
    expect(a).toMatchObject({ outcome: 'catalogued', modelCalls: 1 });
    expect(b).toMatchObject({ outcome: 'catalogued', reused: true, modelCalls: 0 });
    expect(describer.calls).toBe(1);
    expect(store.items.get('b/b.jpg')).toMatchObject({ reusedFrom: 'b/a.jpg', summary: 'A test image.' });
  });

  it('identical bytes under two keys without reuse: each key pays for its own analysis, at once', async () => {
    const describer = new GatedDescriber();
    const { deps, bucket } = fakePipeline({ describer, claim: FAST, reuseSameContent: false });
    const body = Buffer.from('img:40x30 apart');
    bucket.put('a.jpg', body);
    bucket.put('b.jpg', body);
    const first = processEvent(created('a.jpg', body), deps);
    const second = processEvent(created('b.jpg', body), deps);
    // Both reach the model before either answers: the leases are per object.
    while (describer.calls < 2) await new Promise((resolve) => setImmediate(resolve));
    describer.open();
    await Promise.all([first, second]);
    expect(describer.calls).toBe(2);
  });

  it('a lease another process keeps beyond the wait: retry later, no model call', async () => {
    const describer = new GatedDescriber();
    const { deps, store, bucket } = fakePipeline({ describer, claim: { pollMs: 2, maxWaitMs: 30 } });
    const body = Buffer.from('img:40x30 busy');
    bucket.put('a.jpg', body);
    const first = processEvent(created('a.jpg', body), deps);
    await describer.called;
    const second = await processEvent(created('a.jpg', body), deps);
    expect(second).toMatchObject({ outcome: 'retry', reasonCode: 'CLAIM_HELD' });
    describer.open();
    await first;
    expect(describer.calls).toBe(1);
    expect(store.claims.size).toBe(0);
  });

  it('gives the lease back when the model call fails, so the next attempt can pay', async () => {
    const describer = new GatedDescriber(new ModelOutputError('no tool call'));
    const { deps, store, bucket } = fakePipeline({ describer, claim: FAST });
    const body = Buffer.from('img:40x30 fails');
    bucket.put('a.jpg', body);
    const attempt = processEvent(created('a.jpg', body), deps);
    await describer.called;
    expect(store.claims.size).toBe(1);
    describer.open();
    expect((await attempt).outcome).not.toBe('catalogued');
    expect(store.claims.size).toBe(0);
  });

  it('names the lease after the content when analyses are reused, after the object and its bytes otherwise', async () => {
    for (const reuseSameContent of [true, false]) {
      const describer = new GatedDescriber();
      const { deps, store, bucket } = fakePipeline({ describer, claim: FAST, reuseSameContent });
      const body = Buffer.from('img:40x30 named');
      bucket.put('a.jpg', body);
      const attempt = processEvent(created('a.jpg', body), deps);
      await describer.called;
      const [id] = [...store.claims.keys()];
      expect(id).toMatch(
        reuseSameContent ? /^content\/[0-9a-f]{64}\/v-test$/ : `object/b/a.jpg/${etagOf(body)}/v-test`,
      );
      describer.open();
      await attempt;
    }
  });
});
