import { describe, expect, it } from 'vitest';
import { normaliseSequencer } from '../../../shared/sequencer.ts';
import { processEvent } from '../../../worker/pipeline/processEvent.ts';
import type { DescribeRequest, DescribeResult } from '../../../worker/ports.ts';
import {
  createdEvent,
  etagOf,
  fakePipeline,
  fakePrepare,
  type InMemoryStore,
  sampleDescription,
} from '../../helpers/fakes.ts';

// What the pipeline records when an image is rejected or its write loses, and the best-effort clean-up of derived
// copies (records.ts, thumbnails.ts).

const created = createdEvent;

describe('a rejection record', () => {
  it('keeps when the key was first seen, and carries the new sequence, eTag and size', async () => {
    const { deps, bucket, store } = fakePipeline();
    const image = Buffer.from('img:10x10 fine');
    const text = Buffer.from('hello, not an image');
    bucket.put('k.jpg', image);
    await processEvent(created('k.jpg', image, { sequencer: '01' }), deps);
    const first = store.items.get('b/k.jpg');
    bucket.put('k.jpg', text);
    const o = await processEvent(created('k.jpg', text, { sequencer: '02' }), deps);
    expect(o).toMatchObject({ outcome: 'rejected', reasonCode: 'NOT_AN_IMAGE' });
    expect(store.items.get('b/k.jpg')).toMatchObject({
      status: 'rejected',
      reasonCode: 'NOT_AN_IMAGE',
      reason: 'not an image: the content looks like text',
      seq: normaliseSequencer('02'),
      sequencer: '02',
      eTag: etagOf(text),
      size: text.length,
      analysisVersion: 'v-test',
      createdAt: first?.createdAt,
    });
  });

  it('found by a message without a sequencer keeps the newest sequence and sequencer already stored', async () => {
    const { deps, bucket, store } = fakePipeline();
    const image = Buffer.from('img:10x10 fine');
    const text = Buffer.from('plain text now');
    bucket.put('k.jpg', image);
    await processEvent(created('k.jpg', image, { sequencer: '0A' }), deps);
    bucket.put('k.jpg', text);
    // The overwrite's own event was lost; a backfill finds the new bytes.
    const o = await processEvent(created('k.jpg', text, { eventName: 'Backfill', source: 'backfill' }), deps);
    expect(o.outcome).toBe('rejected');
    expect(store.items.get('b/k.jpg')).toMatchObject({ seq: normaliseSequencer('0A'), sequencer: '0A' });
  });
});

describe('a write that loses to a newer result', () => {
  it('is stale (superseded) and still reports the model call it cost', async () => {
    let store!: InMemoryStore;
    const newer = Buffer.from('img:10x10 newer');
    // Another worker stores the key's newer content while this one waits for the model.
    const describer = {
      calls: 0,
      async describe(_: DescribeRequest): Promise<DescribeResult> {
        this.calls++;
        await store.putContent({
          id: 'b/k.jpg',
          bucket: 'b',
          key: 'k.jpg',
          status: 'catalogued',
          seq: normaliseSequencer('09'),
          eTag: etagOf(newer),
          analysisVersion: 'v-test',
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
        });
        return {
          description: sampleDescription(),
          usage: { inputTokens: 100, outputTokens: 20 },
          modelId: 'm',
          attempts: 1,
        };
      },
    };
    const pipeline = fakePipeline({ describer });
    store = pipeline.store;
    const older = Buffer.from('img:10x10 older');
    pipeline.bucket.put('k.jpg', older);
    const o = await processEvent(created('k.jpg', older, { sequencer: '01' }), pipeline.deps);
    expect(o).toMatchObject({
      outcome: 'stale',
      reason: 'a newer result was stored meanwhile',
      reasonCode: 'SUPERSEDED',
      modelCalls: 1,
      inputTokens: 100,
      outputTokens: 20,
    });
    expect(store.items.get('b/k.jpg')?.eTag).toBe(etagOf(newer));
  });
});

describe('derived copies of a removed item', () => {
  it('a failing delete of the thumbnail does not undo or fail the removal', async () => {
    const deleted: string[] = [];
    const thumbnails = {
      put: async () => undefined,
      delete: async (key: string) => {
        deleted.push(key);
        throw new Error('S3 DeleteObject refused');
      },
    };
    const { deps, bucket, store } = fakePipeline({
      thumbnails,
      prepare: async (body) => ({ ...(await fakePrepare(body)), thumbnail: { body, width: 4, height: 4 } }),
    });
    const v = Buffer.from('img:10x10');
    bucket.put('k.jpg', v);
    await processEvent(created('k.jpg', v, { sequencer: '01' }), deps);
    bucket.remove('k.jpg');
    const o = await processEvent(
      { ...created('k.jpg', v, { sequencer: '02' }), kind: 'removed', eventName: 'ObjectRemoved:Delete' },
      deps,
    );
    expect(o.outcome).toBe('removed');
    expect(deleted).toEqual([expect.stringMatching(/^thumbnails\//)]);
    expect(store.items.get('b/k.jpg')?.status).toBe('removed');
  });

  it('an item without derived copies, or a store without a thumbnail bucket, deletes nothing', async () => {
    const deleted: string[] = [];
    const thumbnails = { put: async () => undefined, delete: async (key: string) => void deleted.push(key) };
    const { deps, bucket } = fakePipeline({ thumbnails });
    const v = Buffer.from('img:10x10 plain');
    bucket.put('k.jpg', v);
    await processEvent(created('k.jpg', v, { sequencer: '01' }), deps);
    bucket.remove('k.jpg');
    const removal = {
      ...created('k.jpg', v, { sequencer: '02' }),
      kind: 'removed' as const,
      eventName: 'ObjectRemoved:Delete',
    };
    expect((await processEvent(removal, deps)).outcome).toBe('removed');
    expect(deleted).toEqual([]);
  });
});
