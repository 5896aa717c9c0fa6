import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { BackfillOptions } from '../../../scripts/backfill/options.ts';
import { runBackfill } from '../../../scripts/backfill/runBackfill.ts';
import type { CatalogueItem } from '../../../shared/catalogue.ts';
import { itemId } from '../../../shared/catalogue.ts';
import { NO_SEQUENCE } from '../../../shared/sequencer.ts';
import { DynamoCatalogueStore } from '../../../worker/adapters/DynamoCatalogueStore.ts';
import { drainBackfillMessages, fillBucket } from './helpers.ts';

const CURRENT = 'v1-current';

/**
 * 40 images: 0-9 catalogued, 10-19 rejected MODEL_REFUSED (the old adapter's verdict on a configuration fault),
 * 20-29 rejected MODEL_OUTPUT_TRUNCATED, 30-34 rejected NOT_AN_IMAGE, 35-39 no item.
 */
describe('backfill --retry-rejected [--reason CODE]', () => {
  let stack: LocalStack;
  const keys = Array.from({ length: 40 }, (_, i) => `x/${String(i).padStart(2, '0')}.jpg`);
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
    const rejected = (reasonCode: string) => ({ status: 'rejected' as const, reasonCode, reason: 'r' });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 35; i++) {
      if (i < 10) writes.push(store.putContent(item(i, {})));
      else if (i < 20) writes.push(store.putContent(item(i, rejected('MODEL_REFUSED'))));
      else if (i < 30) writes.push(store.putContent(item(i, rejected('MODEL_OUTPUT_TRUNCATED'))));
      else writes.push(store.putContent(item(i, rejected('NOT_AN_IMAGE'))));
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

  it('enqueues every rejected item, marked reprocess (the worker would skip it otherwise)', async () => {
    const summary = await runBackfill({ bucket: stack.bucket, retryRejected: true, pageSize: 7 }, deps());
    const messages = await drainBackfillMessages(stack.clients.sqs, stack.queueUrl);
    expect(messages.map((m) => m.key).sort()).toEqual(keys.slice(10, 35));
    expect(messages.every((m) => m.reprocess === true)).toBe(true);
    expect(summary.mode).toBe('retry-rejected');
    expect(summary.run.skipped).toMatchObject({ notRejected: 15 });
  });

  it('with --reason, only the items rejected for those codes', async () => {
    const summary = await runBackfill(
      { bucket: stack.bucket, retryRejected: true, retryReasons: ['MODEL_REFUSED', 'MODEL_OUTPUT_TRUNCATED'] },
      deps(),
    );
    const messages = await drainBackfillMessages(stack.clients.sqs, stack.queueUrl);
    expect(messages.map((m) => m.key).sort()).toEqual(keys.slice(10, 30));
    expect(summary.run.skipped).toMatchObject({ notRejected: 15, otherReason: 5 });
  });

  it('refuses --reason without --retry-rejected, and --retry-rejected with --reprocess-stale', () => {
    expect(BackfillOptions.safeParse({ bucket: 'abc', retryReasons: ['MODEL_REFUSED'] }).success).toBe(false);
    expect(BackfillOptions.safeParse({ bucket: 'abc', retryRejected: true, reprocessStale: true }).success).toBe(false);
    expect(BackfillOptions.safeParse({ bucket: 'abc', retryRejected: true, retryReasons: ['bad code'] }).success).toBe(
      false,
    );
  });
});
