import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeItem, makeRejected, makeRemoved, seedItems } from '../../../local/fixtures/catalogueItems.ts';
import { CategoryCounter } from '../../../web/api/CategoryCounter.ts';
import { startDynalite } from '../../helpers/dynalite.ts';

const CATEGORY = (n: number) => (n % 5 === 0 ? 'food' : n % 2 ? 'portrait' : 'landscape');

describe('CategoryCounter against dynalite', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let scans = 0;
  let doc: DynamoDBDocumentClient;

  beforeAll(async () => {
    db = await startDynalite('categories');
    const items = Array.from({ length: 100 }, (_, i) => makeItem(i + 1, { category: CATEGORY(i + 1) }));
    // A row with a category but another status must not count (the index holds every row with a category).
    const odd = { ...makeRejected(500), category: 'food' };
    await seedItems(db.doc, db.tableName, [...items, odd, makeRemoved(600)]);
    // Counts every Scan request that reaches DynamoDB.
    doc = new Proxy(db.doc, {
      get(target, prop, receiver) {
        if (prop === 'send') {
          return (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
            scans++;
            return target.send(command);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
  });
  afterAll(() => db?.close());

  it('counts the catalogued items per category, largest first, ties by name', async () => {
    const counts = await new CategoryCounter(doc, db.tableName).counts();
    expect(counts).toMatchObject({
      categories: [
        { name: 'landscape', count: 40 },
        { name: 'portrait', count: 40 },
        { name: 'food', count: 20 },
      ],
      total: 100,
      complete: true,
    });
  });

  it('serves from memory within the TTL, shares one scan between concurrent callers, and re-reads after it', async () => {
    let now = 1_000_000;
    const counter = new CategoryCounter(doc, db.tableName, { ttlSeconds: 60, segments: 2, now: () => now });
    scans = 0;
    const [a, b] = await Promise.all([counter.counts(), counter.counts()]);
    expect(a).toBe(b);
    expect(scans).toBe(2); // one request per segment
    now += 59_000;
    expect(await counter.counts()).toBe(a);
    expect(scans).toBe(2);
    now += 2000;
    expect((await counter.counts()).total).toBe(100);
    expect(scans).toBe(4);
  });

  it('stops at its row budget and says the counts are incomplete', async () => {
    const counts = await new CategoryCounter(doc, db.tableName, { budget: 20, segments: 2 }).counts();
    expect(counts.complete).toBe(false);
    expect(counts.total).toBeLessThanOrEqual(20);
    expect(counts.total).toBeGreaterThan(0);
  });

  it('stops at its time budget', async () => {
    let now = 0;
    // Each page takes "3 s" on this clock; the budget is 5 s, so each segment reads two pages of 10 rows.
    const counter = new CategoryCounter(doc, db.tableName, {
      segments: 1,
      pageSize: 10,
      maxMs: 5000,
      now: () => {
        now += 1500;
        return now;
      },
    });
    const counts = await counter.counts();
    expect(counts.complete).toBe(false);
    expect(counts.total).toBeLessThan(100);
  });
});
