import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeItem, makeRejected, makeRemoved } from '../../../local/fixtures/catalogueItems.ts';
import { isCountsItem } from '../../../shared/table.ts';
import { CategoryCounter } from '../../../web/api/CategoryCounter.ts';
import { CategoryTally } from '../../../worker/adapters/CategoryTally.ts';
import { DynamoCatalogueStore } from '../../../worker/adapters/DynamoCatalogueStore.ts';
import { startDynalite } from '../../helpers/dynalite.ts';

const CATEGORY = (n: number) => (n % 5 === 0 ? 'food' : n % 2 ? 'portrait' : 'landscape');

/** The truth the counts must equal: a full scan of the catalogued items, by category. */
async function recount(doc: DynamoDBDocumentClient, tableName: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const raw of page.Items ?? []) {
      if (isCountsItem(raw) || raw.status !== 'catalogued') continue;
      counts[raw.category as string] = (counts[raw.category as string] ?? 0) + 1;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return counts;
}

const asRecord = (c: { categories: Array<{ name: string; count: number }> }) =>
  Object.fromEntries(c.categories.map((x) => [x.name, x.count]));

describe('category counts kept by the worker (CategoryTally) and read by the API (CategoryCounter)', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let store: DynamoCatalogueStore;
  let requests = 0;
  let doc: DynamoDBDocumentClient;

  beforeAll(async () => {
    db = await startDynalite('categories');
    store = new DynamoCatalogueStore(db.doc, db.tableName, new CategoryTally(db.doc, db.tableName));
    // Counts every request that reaches DynamoDB through the counter's client.
    doc = new Proxy(db.doc, {
      get(target, prop, receiver) {
        if (prop === 'send') {
          return (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
            requests++;
            return target.send(command);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
  });
  afterAll(() => db?.close());

  it('counts catalogue, overwrite, rejection and removal transitions, each once under redelivery', async () => {
    const items = Array.from({ length: 100 }, (_, i) =>
      makeItem(i + 1, { category: CATEGORY(i + 1), analysisVersion: 'v1' }),
    );
    for (const item of items) expect(await store.putContent(item)).toBe('written');
    // Every write delivered again: the conditional write fails, nothing is counted twice.
    for (const item of items.slice(0, 30)) expect(await store.putContent(item)).toBe('superseded');
    // A re-analysis (another version) moves 1-10 to "night"; items 11-15 are overwritten by a newer object that is
    // not an image (rejected); 16-20 are removed; a removal of an unknown key and a rejected new key count nothing.
    for (const item of items.slice(0, 10)) {
      expect(await store.putContent({ ...item, analysisVersion: 'v2', category: 'night' })).toBe('written');
      expect(await store.putContent({ ...item, analysisVersion: 'v2', category: 'night' })).toBe('superseded');
    }
    for (const item of items.slice(10, 15)) {
      const rejected = { ...makeRejected(item.seq.length), id: item.id, key: item.key, seq: `${item.seq}1` };
      expect(await store.putContent(rejected)).toBe('written');
    }
    for (const item of items.slice(15, 20)) {
      const tomb = { ...makeRemoved(1), id: item.id, key: item.key, seq: `${item.seq}2` };
      expect(await store.putTombstone(tomb)).toBe('written');
      expect(await store.putTombstone(tomb)).toBe('superseded');
    }
    await store.putTombstone({ ...makeRemoved(900), seq: '9'.repeat(20) });
    await store.putContent(makeRejected(901));

    const counts = await new CategoryCounter(doc, db.tableName, { ttlSeconds: 0 }).counts();
    const truth = await recount(db.doc, db.tableName);
    expect(asRecord(counts)).toEqual(truth);
    expect(truth).toEqual({ night: 10, landscape: 32, portrait: 32, food: 16 });
    expect(counts.total).toBe(90);
    expect(counts.categories.map((c) => c.name)).toEqual(['landscape', 'portrait', 'food', 'night']);
  });

  it('counts an item written before the counters existed at its first rewrite, once', async () => {
    const before = asRecord(await new CategoryCounter(db.doc, db.tableName, { ttlSeconds: 0 }).counts());
    const plainStore = new DynamoCatalogueStore(db.doc, db.tableName);
    const old = makeItem(500, { category: 'archive', analysisVersion: 'v1' });
    await plainStore.putContent(old);
    // Not counted yet: nothing was there to count it.
    expect(asRecord(await new CategoryCounter(db.doc, db.tableName, { ttlSeconds: 0 }).counts())).toEqual(before);
    // A reprocess that adds the display copy, same category.
    await store.putContent({ ...old, displayKey: 'display/500.jpg' });
    const after = asRecord(await new CategoryCounter(db.doc, db.tableName, { ttlSeconds: 0 }).counts());
    expect(after).toEqual({ ...before, archive: 1 });
    expect(after).toEqual(await recount(db.doc, db.tableName));
  });

  it('reads a few items whatever the catalogue size, from memory within the TTL, one read for concurrent callers', async () => {
    let now = 1_000_000;
    const counter = new CategoryCounter(doc, db.tableName, { ttlSeconds: 60, now: () => now });
    requests = 0;
    const [a, b] = await Promise.all([counter.counts(), counter.counts()]);
    expect(a).toBe(b);
    expect(requests).toBe(4); // one GetItem per counter shard
    now += 59_000;
    expect(await counter.counts()).toBe(a);
    expect(requests).toBe(4);
    now += 2000;
    expect((await counter.counts()).total).toBe(a.total);
    expect(requests).toBe(8);
  });
});
