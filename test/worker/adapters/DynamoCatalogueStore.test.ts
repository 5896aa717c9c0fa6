import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogueItem } from '../../../shared/catalogue.ts';
import { normaliseSequencer } from '../../../shared/sequencer.ts';
import { DynamoCatalogueStore } from '../../../worker/adapters/DynamoCatalogueStore.ts';
import { startDynalite } from '../../helpers/dynalite.ts';

let db: Awaited<ReturnType<typeof startDynalite>>;
let store: DynamoCatalogueStore;
beforeAll(async () => {
  db = await startDynalite();
  store = new DynamoCatalogueStore(db.doc, db.tableName);
});
afterAll(() => db?.close());

let n = 0;
const now = '2026-01-01T00:00:00.000Z';
function content(id: string, sequencer: string, eTag: string, over: Partial<CatalogueItem> = {}): CatalogueItem {
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
const tomb = (id: string, sequencer: string): CatalogueItem => ({
  id,
  bucket: 'b',
  key: id.slice(2),
  status: 'removed',
  seq: normaliseSequencer(sequencer),
  sequencer,
  createdAt: now,
  updatedAt: now,
});
const fresh = () => `b/k${++n}.jpg`;

describe('DynamoCatalogueStore on dynalite (the real condition expressions)', () => {
  it('writes a new item and reads it back whole (empty text survives)', async () => {
    const id = fresh();
    expect(await store.putContent(content(id, '0A', 'e1'))).toBe('written');
    expect(await store.get(id)).toMatchObject({ id, status: 'catalogued', eTag: 'e1', text: '', labels: [] });
  });

  it('a newer sequencer wins, an older or equal one is superseded', async () => {
    const id = fresh();
    await store.putContent(content(id, '0B', 'e1'));
    expect(await store.putContent(content(id, '0A', 'e0'))).toBe('superseded');
    expect(await store.putContent(content(id, '0B', 'e1'))).toBe('superseded');
    // Right-padded: '0B1' is newer than '0B'.
    expect(await store.putContent(content(id, '0B1', 'e2'))).toBe('written');
    expect((await store.get(id))?.eTag).toBe('e2');
  });

  it('re-analysis of the same content is written whatever its sequencer; other content is not', async () => {
    const id = fresh();
    await store.putContent(content(id, '0C', 'e1'));
    expect(await store.putContent(content(id, '0C', 'e1', { analysisVersion: 'v2' }))).toBe('written');
    expect(await store.putContent(content(id, '0C', 'e9', { analysisVersion: 'v3' }))).toBe('superseded');
  });

  it('a tombstone beats older writes, and a late create cannot bring the item back', async () => {
    const id = fresh();
    await store.putContent(content(id, '01', 'e1'));
    expect(await store.putTombstone(tomb(id, '03'))).toBe('written');
    expect(await store.putContent(content(id, '02', 'e2'))).toBe('superseded');
    expect(await store.putContent(content(id, '03', 'e1', { analysisVersion: 'v2' }))).toBe('superseded');
    expect(await store.putTombstone(tomb(id, '02'))).toBe('superseded');
    expect((await store.get(id))?.status).toBe('removed');
    expect(await store.putContent(content(id, '04', 'e3'))).toBe('written');
  });

  it('advanceSeq moves the sequencer of the same content forward only', async () => {
    const id = fresh();
    await store.putContent(content(id, '01', 'e1'));
    expect(await store.advanceSeq(id, 'e1', normaliseSequencer('05'))).toBe('written');
    expect(await store.advanceSeq(id, 'e1', normaliseSequencer('04'))).toBe('superseded');
    expect(await store.advanceSeq(id, 'e2', normaliseSequencer('09'))).toBe('superseded');
    expect(await store.putTombstone(tomb(id, '03'))).toBe('superseded');
    expect((await store.get(id))?.seq).toBe(normaliseSequencer('05'));
  });
});

describe('display copies (backfill --reprocess-without-display)', () => {
  it('a reprocess of the same content and analysis version is written only when it adds the display copy', async () => {
    const id = `b/display-${++n}.jpg`;
    expect(await store.putContent(content(id, '0A', 'e1'))).toBe('written');
    // The same result again (redelivery): nothing new.
    expect(await store.putContent(content(id, '0A', 'e1'))).toBe('superseded');
    // The reprocess that brings a display copy the item lacked.
    expect(await store.putContent(content(id, '0A', 'e1', { displayKey: 'display/h.jpg' }))).toBe('written');
    expect((await store.get(id))?.displayKey).toBe('display/h.jpg');
    // Once it has one, a further identical reprocess changes nothing.
    expect(await store.putContent(content(id, '0A', 'e1', { displayKey: 'display/h.jpg' }))).toBe('superseded');
  });
});
