import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogueItem } from '../../../../shared/catalogue.ts';
import { normaliseETag } from '../../../../shared/messages.ts';
import type { Outcome } from '../../../../worker/pipeline/outcome.ts';
import { pollUntil, type System, startSystem } from '../../../helpers/system.ts';
import { duplicates } from '../helpers.ts';
import { makeImages, putQuietly, runBatch } from './helpers.ts';

let system: System;

beforeAll(async () => {
  system = await startSystem({ bedrock: { batch: { stepMs: 10, recordConcurrency: 8 } } });
  // The worker takes what batch sends back to the queue.
  await system.startWorker();
});

afterAll(async () => {
  await system?.close();
});

async function itemsUnder(prefix: string): Promise<CatalogueItem[]> {
  return (await system.items()).filter((i) => i.key.startsWith(prefix));
}

function batchJobsNamed(runId: string) {
  return (system.stack.bedrock?.batchJobs() ?? []).filter((j) => j.jobName.includes(runId));
}

describe('backfill --mode batch on the local stack', () => {
  it('catalogues 500 images through batch jobs, each once with the batch price; a second run submits nothing', async () => {
    const images = await makeImages('e2e/', 500);
    await putQuietly(system, images);
    const onDemandBefore = system.stack.bedrock?.stats().completed ?? 0;
    const recordsBefore = system.stack.bedrock?.stats().batchRecords ?? 0;

    const summary = await runBatch(system, { prefixes: ['e2e/'] }, { maxRecordsPerJob: 200, maxConcurrentJobs: 2 });

    expect(summary.outcome).toBe('complete');
    expect(summary.jobs.total).toBe(3);
    expect(summary.written).toBe(500);
    expect(summary.fallbacks.total).toBe(0);
    expect(summary.costUsd).toBeGreaterThan(0);
    expect(summary.costUsd).toBeCloseTo((summary.onDemandCostUsd ?? 0) / 2, 10);
    const items = await itemsUnder('e2e/');
    expect(items).toHaveLength(500);
    for (const item of items) {
      expect(item).toMatchObject({ status: 'catalogued', pricing: 'batch', modelId: system.config().model.id });
      expect(item.inputTokens).toBeGreaterThan(0);
      expect(item.outputTokens).toBeGreaterThan(0);
    }
    const byKey = new Map(images.map((i) => [i.key, i]));
    expect(items.every((i) => byKey.has(i.key))).toBe(true);
    // Each image answered exactly once, in batch, and no on-demand call was made.
    expect((system.stack.bedrock?.stats().batchRecords ?? 0) - recordsBefore).toBe(500);
    expect((system.stack.bedrock?.stats().completed ?? 0) - onDemandBefore).toBe(0);
    expect(batchJobsNamed(summary.runId)).toHaveLength(3);

    const again = await runBatch(system, { prefixes: ['e2e/'] }, { maxRecordsPerJob: 200 });
    expect(again.outcome).toBe('already-complete');
    const fresh = await runBatch(system, { prefixes: ['e2e/'] }, { maxRecordsPerJob: 200, restart: true });
    expect(fresh.listed).toBe(0);
    expect(fresh.jobs.total).toBe(0);
    expect(fresh.fallbacks.total).toBe(0);
    expect((system.stack.bedrock?.stats().batchRecords ?? 0) - recordsBefore).toBe(500);
    expect(system.stack.bedrock?.batchJobs().filter((j) => j.jobName.includes(fresh.runId))).toHaveLength(0);
  }, 240_000);

  it('sends the 25 failed records of a job with 5 % failures through the on-demand queue, none twice', async () => {
    system.stack.bedrock?.setBatch({ recordFailureRate: 0.05 });
    try {
      await putQuietly(system, await makeImages('fail/', 500));
      const onDemandBefore = system.stack.bedrock?.stats().completed ?? 0;
      const mark = system.spy.mark();
      const summary = await runBatch(system, { prefixes: ['fail/'] });
      expect(summary.jobs.total).toBe(1);
      expect(summary.written).toBe(475);
      expect(summary.fallbacks).toEqual({ total: 25, byReason: { 'record-error': 25 } });
      // The worker's 25 (it reports each outcome as it happens), then the table.
      const isFail = (o: Outcome) => o.key.startsWith('fail/') && o.outcome === 'catalogued';
      const workerCatalogued = await system.spy.waitForOutcomes(25, isFail, { since: mark });
      const items = await itemsUnder('fail/');
      expect(items).toHaveLength(500);
      expect(items.every((i) => i.status === 'catalogued')).toBe(true);
      const onDemand = items.filter((i) => i.pricing !== 'batch');
      expect(onDemand).toHaveLength(25);
      expect((system.stack.bedrock?.stats().completed ?? 0) - onDemandBefore).toBe(25);
      expect(workerCatalogued.map((o) => o.key).sort()).toEqual(onDemand.map((i) => i.key).sort());
      // None twice: no second outcome for any of them.
      expect(system.outcomes.slice(mark).filter(isFail)).toHaveLength(25);
      expect(duplicates(workerCatalogued.map((o) => o.key))).toEqual([]);
    } finally {
      system.stack.bedrock?.setBatch({ recordFailureRate: 0 });
    }
  }, 240_000);

  it('does not write a batch answer over an object overwritten after it was listed', async () => {
    const images = await makeImages('over/', 120);
    await putQuietly(system, images);
    system.stack.bedrock?.setBatch({ recordDelayMs: 15, recordConcurrency: 2 });
    try {
      const mark = system.spy.mark();
      const run = runBatch(system, { prefixes: ['over/'] });
      await pollUntil(
        () =>
          system.stack.bedrock?.batchJobs().some((j) => j.jobName.includes('catalogue-') && j.status === 'InProgress'),
        'the batch job to run',
      );
      // Overwritten while the job runs: the bridge sends the event, the worker catalogues the new bytes.
      const key = 'over/img-0007.png';
      const [newer] = await makeImages('x/', 1, 3);
      const put = await system.stack.clients.s3.send(
        new PutObjectCommand({ Bucket: system.stack.bucket, Key: key, Body: newer!.body }),
      );
      const newETag = normaliseETag(put.ETag ?? '');
      const summary = await run;
      expect(summary.stale).toBe(1);
      expect(summary.written).toBe(119);
      await system.spy.waitForOutcome(key, (o) => o.outcome === 'catalogued', { since: mark });
      const item = (await itemsUnder(key)).find((i) => i.key === key);
      if (!item) throw new Error(`no item for ${key}`);
      expect(item.eTag).toBe(newETag);
      expect(item.pricing).not.toBe('batch');
      expect(item.image?.width).toBe(120);
      // And it stays that way: nothing wrote the old bytes' answer over it.
      const after = (await itemsUnder(key)).find((i) => i.key === key);
      expect(after?.eTag).toBe(newETag);
    } finally {
      system.stack.bedrock?.setBatch({ recordDelayMs: 0, recordConcurrency: 8 });
    }
  }, 240_000);

  it('says so and uses the queue when there are fewer images than a job minimum', async () => {
    await putQuietly(system, await makeImages('few/', 40));
    const jobsBefore = system.stack.bedrock?.batchJobs().length ?? 0;
    const mark = system.spy.mark();
    const summary = await runBatch(system, { prefixes: ['few/'] });
    expect(summary.notes.join(' ')).toMatch(/40 images is fewer than the 100 records a batch job needs/);
    expect(summary.jobs.total).toBe(0);
    expect(summary.fallbacks).toEqual({ total: 40, byReason: { 'under-job-minimum': 40 } });
    expect(system.stack.bedrock?.batchJobs().length).toBe(jobsBefore);
    await system.spy.waitForOutcomes(40, (o) => o.key.startsWith('few/') && o.outcome === 'catalogued', {
      since: mark,
    });
    const items = await itemsUnder('few/');
    expect(items).toHaveLength(40);
    expect(items.every((i) => i.status === 'catalogued' && i.pricing !== 'batch')).toBe(true);
  }, 120_000);
});
