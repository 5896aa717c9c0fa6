import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchEstimate } from '../../../../scripts/backfill/batch/batchEstimate.ts';
import { costOf, priceOf } from '../../../../shared/models.ts';
import { type System, startSystem } from '../../../helpers/system.ts';
import { makeImages, putQuietly, runBatch } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

function dryRun(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/backfill.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_FORMAT: 'json', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let stdout = '';
  child.stdout?.on('data', (d) => (stdout += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout })));
}

let system: System;

beforeAll(async () => {
  system = await startSystem({ bedrock: { batch: { stepMs: 10, recordConcurrency: 8 } } });
});

afterAll(async () => {
  await system?.close();
});

describe('backfill --mode batch --dry-run', () => {
  it('prints on-demand and batch cost of 1,000 images within 5 % of what the stand-in then counts', async () => {
    // A catalogue in use: a few images described on demand give the dry run its measured request and answer size.
    const worker = await system.startWorker();
    for (const image of await makeImages('seed/', 20, 2)) await system.put(image.key, image.body);
    await system.spy.waitForOutcomes(20, (o) => o.key.startsWith('seed/') && o.outcome === 'catalogued');
    await worker.close(2000);
    await putQuietly(system, await makeImages('dry/', 1000, 2));

    const args = ['--bucket', system.stack.bucket, '--prefix', 'dry/', '--mode', 'batch', '--dry-run'];
    const { code, stdout } = await dryRun(args, system.stack.env);
    expect(code).toBe(0);
    expect(stdout).toMatch(/On demand or batch/);
    expect(stdout).toMatch(/break-even/);
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      dryRun: { counts: { enqueued: number }; requestModel: { source: string } };
      batch: BatchEstimate;
    };
    expect(report.dryRun.counts.enqueued).toBe(1000);
    expect(report.dryRun.requestModel.source).toBe('catalogue');
    expect(report.batch.jobs).toBe(1);

    const before = system.stack.bedrock?.stats().batchTokens ?? { input: 0, output: 0 };
    const summary = await runBatch(system, { prefixes: ['dry/'] });
    expect(summary.written).toBe(1000);
    const after = system.stack.bedrock?.stats().batchTokens ?? { input: 0, output: 0 };
    const counted = { input: after.input - before.input, output: after.output - before.output };
    const price = priceOf(system.config().model.id);
    if (!price) throw new Error('the default model has no price');
    const onDemand = costOf(counted, price);
    const batch = onDemand * price.batchFactor;
    expect(report.batch.onDemand.usd).toBeDefined();
    expect(report.batch.batch.usd).toBeDefined();
    const deviation = {
      onDemand: (report.batch.onDemand.usd as number) / onDemand - 1,
      batch: (report.batch.batch.usd as number) / batch - 1,
    };
    // The figure the README quotes.
    console.info(JSON.stringify({ batchDryRunDeviation: deviation, estimated: report.batch, counted }));
    expect(Math.abs((report.batch.onDemand.usd as number) / onDemand - 1)).toBeLessThan(0.05);
    expect(Math.abs((report.batch.batch.usd as number) / batch - 1)).toBeLessThan(0.05);
    // The run's own summary agrees with the stand-in's count.
    expect(summary.costUsd).toBeCloseTo(batch, 8);
  }, 300_000);
});
