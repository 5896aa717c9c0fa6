import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { runBackfill } from '../../../scripts/backfill/runBackfill.ts';
import type { CatalogueItem } from '../../../shared/catalogue.ts';
import { itemId } from '../../../shared/catalogue.ts';
import { NO_SEQUENCE } from '../../../shared/sequencer.ts';
import { DynamoCatalogueStore } from '../../../worker/adapters/DynamoCatalogueStore.ts';
import { drainBackfillMessages, fillBucket } from './helpers.ts';

const CURRENT = 'v1-current';
const OLDER = 'v1-older';

/**
 * 300 images, and their catalogue items: 0-94 current, 95-99 current but of other content (the object changed),
 * 100-199 catalogued at an older version, 200-249 rejected at an older version, 250-259 removal tombstones,
 * 260-299 no item at all.
 */
describe('catalogue-aware backfill (skip catalogued, reprocess stale, reprocess without display)', () => {
  let stack: LocalStack;
  const keys = Array.from({ length: 300 }, (_, i) => `r/${String(i).padStart(3, '0')} photo.jpg`);
  const body = (i: number) => Buffer.from(`image ${i}`);
  const eTag = (i: number) => createHash('md5').update(body(i)).digest('hex');

  beforeAll(async () => {
    stack = await startLocalStack({ bedrock: false, bridge: false });
    await fillBucket(
      stack.clients.s3,
      stack.bucket,
      keys.map((key, i) => ({ key, body: body(i) })),
    );
    const store = new DynamoCatalogueStore(stack.clients.ddbDoc, stack.tableName);
    const at = new Date().toISOString();
    const item = (i: number, over: Partial<CatalogueItem>): CatalogueItem => ({
      id: itemId(stack.bucket, keys[i]!),
      bucket: stack.bucket,
      key: keys[i]!,
      status: 'catalogued',
      seq: NO_SEQUENCE,
      eTag: eTag(i),
      analysisVersion: CURRENT,
      summary: 'x',
      createdAt: at,
      updatedAt: at,
      ...over,
    });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 260; i++) {
      // Items 0-79 have a display copy; 80-94 were catalogued before display copies existed.
      if (i < 95) writes.push(store.putContent(item(i, i < 80 ? { displayKey: `display/${i}.jpg` } : {})));
      else if (i < 100) writes.push(store.putContent(item(i, { eTag: 'f'.repeat(32) })));
      else if (i < 200) writes.push(store.putContent(item(i, { analysisVersion: OLDER })));
      else if (i < 250)
        writes.push(store.putContent(item(i, { status: 'rejected', analysisVersion: OLDER, reason: 'r' })));
      else writes.push(store.putTombstone(item(i, { status: 'removed', analysisVersion: OLDER, seq: 'F'.repeat(40) })));
    }
    await Promise.all(writes);
  });

  afterAll(() => stack?.close());

  const deps = () => ({
    s3: stack.clients.s3,
    sqs: stack.clients.sqs,
    doc: stack.clients.ddbDoc,
    queueUrl: stack.queueUrl,
    tableName: stack.tableName,
    analysisVersion: CURRENT,
  });

  it('--reprocess-stale enqueues exactly the items with an older analysis version, marked reprocess', async () => {
    const summary = await runBackfill({ bucket: stack.bucket, reprocessStale: true, pageSize: 37 }, deps());
    const messages = await drainBackfillMessages(stack.clients.sqs, stack.queueUrl);
    expect(messages.map((m) => m.key).sort()).toEqual(keys.slice(100, 250));
    expect(messages.every((m) => m.reprocess === true)).toBe(true);
    expect(summary.run.skipped).toMatchObject({ current: 100, notCatalogued: 50 });
    expect(summary.batchGetCalls).toBeGreaterThanOrEqual(9);
  });

  it('--reprocess-without-display enqueues exactly the catalogued items that lack a display copy', async () => {
    const summary = await runBackfill({ bucket: stack.bucket, reprocessWithoutDisplay: true, pageSize: 37 }, deps());
    const messages = await drainBackfillMessages(stack.clients.sqs, stack.queueUrl);
    // 80-199: catalogued without a display copy (some at an older version, some of other content: both need one).
    expect(messages.map((m) => m.key).sort()).toEqual(keys.slice(80, 200));
    expect(messages.every((m) => m.reprocess === true)).toBe(true);
    // With a display copy (0-79) or not catalogued (rejected 200-249, tombstones 250-259); no item (260-299).
    expect(summary.run.skipped).toMatchObject({ hasDisplay: 130, notCatalogued: 50 });
  });

  it('refuses --reprocess-stale and --reprocess-without-display together', async () => {
    await expect(
      runBackfill({ bucket: stack.bucket, reprocessStale: true, reprocessWithoutDisplay: true }, deps()),
    ).rejects.toThrow(/choose one/);
  });

  it('by default skips what the catalogue already has with this eTag and analysis version', async () => {
    const summary = await runBackfill({ bucket: stack.bucket, pageSize: 37 }, deps());
    const messages = await drainBackfillMessages(stack.clients.sqs, stack.queueUrl);
    expect(messages.map((m) => m.key).sort()).toEqual(keys.slice(95));
    expect(messages.every((m) => m.reprocess === undefined && m.eTag === eTag(keys.indexOf(m.key)))).toBe(true);
    expect(summary.run.skipped.catalogued).toBe(95);
  });

  it('with skipCatalogued off enqueues everything, without reading the catalogue', async () => {
    const summary = await runBackfill({ bucket: stack.bucket, skipCatalogued: false }, { ...deps(), doc: undefined });
    const messages = await drainBackfillMessages(stack.clients.sqs, stack.queueUrl);
    expect(messages).toHaveLength(300);
    expect(summary.batchGetCalls).toBe(0);
  });
});
