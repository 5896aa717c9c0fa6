import { beforeAll, describe, expect, it } from 'vitest';
import type { CatalogueItem } from '../../../shared/catalogue.ts';
import { normaliseSequencer } from '../../../shared/sequencer.ts';
import type { CatalogueStore } from '../../../worker/ports.ts';

const now = '2026-01-01T00:00:00.000Z';

export function content(id: string, sequencer: string, eTag: string, over: Partial<CatalogueItem> = {}): CatalogueItem {
  return {
    id,
    bucket: 'b',
    key: id.slice(2),
    status: 'catalogued',
    seq: normaliseSequencer(sequencer),
    sequencer,
    eTag,
    analysisVersion: 'v1',
    summary: 'x',
    category: 'c',
    labels: [],
    sensitive: { verdict: 'none', reason: 'r' },
    text: '',
    createdAt: now,
    updatedAt: now,
    ...over,
  };
}

export const tomb = (id: string, sequencer: string): CatalogueItem => ({
  id,
  bucket: 'b',
  key: id.slice(2),
  status: 'removed',
  seq: normaliseSequencer(sequencer),
  sequencer,
  createdAt: now,
  updatedAt: now,
});

const rejected = (id: string, sequencer: string, eTag: string, over: Partial<CatalogueItem> = {}): CatalogueItem => ({
  id,
  bucket: 'b',
  key: id.slice(2),
  status: 'rejected',
  seq: normaliseSequencer(sequencer),
  sequencer,
  eTag,
  analysisVersion: 'v1',
  reason: 'not an image',
  reasonCode: 'NOT_AN_IMAGE',
  createdAt: now,
  updatedAt: now,
  ...over,
});

/**
 * The CatalogueStore contract: the write rules every store must apply, run against the in-memory fake the pipeline
 * tests use and against DynamoCatalogueStore on dynalite (its real condition expressions), so the two cannot drift.
 */
export function catalogueStoreContract(name: string, open: () => Promise<CatalogueStore>): void {
  describe(`CatalogueStore contract: ${name}`, () => {
    let store: CatalogueStore;
    let n = 0;
    const fresh = () => `b/k${++n}.jpg`;
    beforeAll(async () => {
      store = await open();
    });

    it('reads nothing for an unknown id', async () => {
      expect(await store.get(fresh())).toBeUndefined();
    });

    it('writes a new item and reads it back whole (empty text and labels survive)', async () => {
      const id = fresh();
      const box = { left: 0.1, top: 0.2, width: 0.3, height: 0.4 };
      const item = content(id, '0A', 'e1', {
        labels: [{ name: 'cat', box, boxPx: { left: 1, top: 2, width: 3, height: 4 } }],
      });
      expect(await store.putContent(item)).toBe('written');
      expect(await store.get(id)).toEqual(item);
      const empty = content(fresh(), '0A', 'e1');
      await store.putContent(empty);
      expect(await store.get(empty.id)).toMatchObject({ text: '', labels: [] });
    });

    it('a newer sequencer wins, an older or equal one with the same analysis is superseded', async () => {
      const id = fresh();
      await store.putContent(content(id, '0B', 'e1'));
      expect(await store.putContent(content(id, '0A', 'e0'))).toBe('superseded');
      expect(await store.putContent(content(id, '0B', 'e1'))).toBe('superseded');
      expect(await store.putContent(content(id, '0B', 'e2'))).toBe('superseded');
      // Right-padded: '0B1' is newer than '0B'.
      expect(await store.putContent(content(id, '0B1', 'e2'))).toBe('written');
      expect((await store.get(id))?.eTag).toBe('e2');
    });

    it('re-analysis of the same content is written whatever its sequencer; other content is not', async () => {
      const id = fresh();
      await store.putContent(content(id, '0C', 'e1'));
      expect(await store.putContent(content(id, '0C', 'e1', { analysisVersion: 'v2' }))).toBe('written');
      expect((await store.get(id))?.analysisVersion).toBe('v2');
      expect(await store.putContent(content(id, '0C', 'e9', { analysisVersion: 'v3' }))).toBe('superseded');
      expect((await store.get(id))?.eTag).toBe('e1');
      // An older sequencer (a backfill carries none) still re-analyses the same content.
      expect(await store.putContent(content(id, '01', 'e1', { analysisVersion: 'v4' }))).toBe('written');
      expect((await store.get(id))?.analysisVersion).toBe('v4');
    });

    it('the same content may change status (rejected, then catalogued), not repeat it', async () => {
      const id = fresh();
      expect(await store.putContent(rejected(id, '0D', 'e1'))).toBe('written');
      expect(await store.putContent(rejected(id, '0D', 'e1'))).toBe('superseded');
      expect(await store.putContent(content(id, '0D', 'e1'))).toBe('written');
      expect((await store.get(id))?.status).toBe('catalogued');
    });

    it('a reprocess of the same content and analysis is written only when it adds the display copy', async () => {
      const id = 'b/display.jpg';
      expect(await store.putContent(content(id, '0A', 'e1'))).toBe('written');
      expect(await store.putContent(content(id, '0A', 'e1'))).toBe('superseded');
      // Backfill --reprocess-without-display: the same result, now with a display copy.
      expect(await store.putContent(content(id, '0A', 'e1', { displayKey: 'display/h.jpg' }))).toBe('written');
      expect((await store.get(id))?.displayKey).toBe('display/h.jpg');
      expect(await store.putContent(content(id, '0A', 'e1', { displayKey: 'display/h.jpg' }))).toBe('superseded');
    });

    it('a tombstone beats older writes, and a late create cannot bring the item back', async () => {
      const id = fresh();
      await store.putContent(content(id, '01', 'e1'));
      expect(await store.putTombstone(tomb(id, '03'))).toBe('written');
      expect(await store.putContent(content(id, '02', 'e2'))).toBe('superseded');
      // Same eTag as before the removal, another analysis version: still not over a tombstone.
      expect(await store.putContent(content(id, '03', 'e1', { analysisVersion: 'v2' }))).toBe('superseded');
      expect(await store.putTombstone(tomb(id, '02'))).toBe('superseded');
      expect(await store.putTombstone(tomb(id, '03'))).toBe('superseded');
      expect((await store.get(id))?.status).toBe('removed');
      expect(await store.putContent(content(id, '04', 'e3'))).toBe('written');
      expect((await store.get(id))?.status).toBe('catalogued');
    });

    it('a tombstone for an unknown id is written (a delete may arrive first)', async () => {
      const id = fresh();
      expect(await store.putTombstone(tomb(id, '05'))).toBe('written');
      expect(await store.putContent(content(id, '04', 'e1'))).toBe('superseded');
    });

    it('advanceSeq moves the sequencer of the same, live content forward only', async () => {
      const id = fresh();
      await store.putContent(content(id, '01', 'e1'));
      expect(await store.advanceSeq(id, 'e1', normaliseSequencer('05'))).toBe('written');
      expect(await store.advanceSeq(id, 'e1', normaliseSequencer('05'))).toBe('superseded');
      expect(await store.advanceSeq(id, 'e1', normaliseSequencer('04'))).toBe('superseded');
      expect(await store.advanceSeq(id, 'e2', normaliseSequencer('09'))).toBe('superseded');
      expect(await store.putTombstone(tomb(id, '03'))).toBe('superseded');
      expect((await store.get(id))?.seq).toBe(normaliseSequencer('05'));
      expect((await store.get(id))?.eTag).toBe('e1');
    });

    it('advanceSeq leaves unknown ids and tombstones alone', async () => {
      const missing = fresh();
      expect(await store.advanceSeq(missing, 'e1', normaliseSequencer('05'))).toBe('superseded');
      expect(await store.get(missing)).toBeUndefined();
      const gone = fresh();
      await store.putTombstone(tomb(gone, '02'));
      expect(await store.advanceSeq(gone, '', normaliseSequencer('05'))).toBe('superseded');
      expect((await store.get(gone))?.seq).toBe(normaliseSequencer('02'));
    });

    it('findByContent finds a catalogued item of that content and analysis version only', async () => {
      const hash = `h-${fresh()}`;
      await store.putContent(rejected(fresh(), '01', 'e1', { contentHash: hash }));
      await store.putContent(content(fresh(), '01', 'e1', { contentHash: hash, analysisVersion: 'v0' }));
      expect(await store.findByContent(hash, 'v1')).toBeUndefined();
      const twin = content(fresh(), '01', 'e1', { contentHash: hash });
      await store.putContent(twin);
      expect(await store.findByContent(hash, 'v1')).toMatchObject({ id: twin.id, status: 'catalogued' });
      expect(await store.findByContent(`other-${hash}`, 'v1')).toBeUndefined();
    });

    it('replace writes only over the item that was read (absent, or the same seq and updatedAt)', async () => {
      const id = fresh();
      const first = content(id, '05', 'e1');
      expect(await store.replace(first, 'absent')).toBe('written');
      expect(await store.replace(content(id, '01', 'e0'), 'absent')).toBe('superseded');
      // Whatever the sequencers say: an older seq over a newer one, when the item is the one read.
      const read = { seq: first.seq, updatedAt: first.updatedAt };
      const second = content(id, '01', 'e2', { updatedAt: '2026-01-02T00:00:00.000Z' });
      expect(await store.replace(second, read)).toBe('written');
      expect((await store.get(id))?.eTag).toBe('e2');
      // The item changed since that read: refused.
      expect(await store.replace(content(id, '09', 'e3'), read)).toBe('superseded');
      expect(await store.replace(tomb(id, '09'), { seq: second.seq, updatedAt: second.updatedAt })).toBe('written');
      expect((await store.get(id))?.status).toBe('removed');
    });

    it('a lease goes to one owner at a time, renews for it, and is free again once released or run out', async () => {
      const claim = `object/${fresh()}/e1/v1`;
      expect(await store.claim(claim, 'owner-a', 60_000)).toBe(true);
      expect(await store.claim(claim, 'owner-b', 60_000)).toBe(false);
      expect(await store.claim(claim, 'owner-a', 60_000)).toBe(true);
      await store.release(claim, 'owner-b'); // not b's to give back
      expect(await store.claim(claim, 'owner-b', 60_000)).toBe(false);
      await store.release(claim, 'owner-a');
      expect(await store.claim(claim, 'owner-b', 1)).toBe(true);
      await new Promise((r) => setTimeout(r, 20));
      expect(await store.claim(claim, 'owner-c', 60_000)).toBe(true); // b's lease ran out
      // A lease is not a catalogue item.
      expect(await store.get(claim)).toBeUndefined();
    });

    it('contentInUse sees other catalogued items with the same bytes, not the item itself or tombstones', async () => {
      const hash = `h-${fresh()}`;
      const a = content(fresh(), '01', 'e1', { contentHash: hash });
      await store.putContent(a);
      expect(await store.contentInUse(hash, a.id)).toBe(false);
      const b = content(fresh(), '01', 'e1', { contentHash: hash });
      await store.putContent(b);
      expect(await store.contentInUse(hash, a.id)).toBe(true);
      await store.putTombstone(tomb(b.id, '02'));
      expect(await store.contentInUse(hash, a.id)).toBe(false);
    });
  });
}
