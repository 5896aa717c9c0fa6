import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { estimateBatch } from '../../../../scripts/backfill/batch/batchEstimate.ts';
import { JobWriter } from '../../../../scripts/backfill/batch/JobWriter.ts';
import { recordIdOf } from '../../../../scripts/backfill/batch/manifest.ts';
import type { DryRunReport } from '../../../../scripts/backfill/dryRun.ts';

const ref = (key: string) => ({
  bucket: 'b',
  key,
  eTag: 'e',
  size: 1,
  contentHash: key,
  image: {
    format: 'png',
    width: 1,
    height: 1,
    bytes: 1,
    preparedWidth: 1,
    preparedHeight: 1,
    preparedFormat: 'jpeg',
    preparedBytes: 1,
  },
  twins: [],
});

describe('JobWriter', () => {
  it('cuts files at the per-file record limit and jobs at the per-job record limit', async () => {
    const writer = await JobWriter.create(0, {
      maxRecordsPerJob: 5,
      maxRecordsPerFile: 2,
      maxFileBytes: 1e9,
      maxJobBytes: 1e9,
    });
    try {
      for (let i = 0; i < 12; i++) await writer.add({ n: i }, ref(`k${i}`));
      const jobs = await writer.finish();
      expect(jobs.map((j) => j.refs.length)).toEqual([5, 5, 2]);
      expect(jobs.map((j) => j.files.length)).toEqual([3, 3, 1]);
      const lines = (await readFile(jobs[0]?.files[0] as string, 'utf8')).trim().split('\n');
      expect(lines.map((l) => JSON.parse(l))).toEqual([
        { recordId: recordIdOf(0, 0), modelInput: { n: 0 } },
        { recordId: recordIdOf(0, 1), modelInput: { n: 1 } },
      ]);
      expect(jobs[1]?.refs[0]).toMatchObject({ key: 'k5', recordId: recordIdOf(1, 0) });
    } finally {
      await writer.dispose();
    }
  });

  it('cuts files and jobs at their byte limits', async () => {
    const body = { data: 'x'.repeat(100) };
    const writer = await JobWriter.create(3, {
      maxRecordsPerJob: 1000,
      maxRecordsPerFile: 1000,
      maxFileBytes: 300,
      maxJobBytes: 700,
    });
    try {
      for (let i = 0; i < 10; i++) await writer.add(body, ref(`k${i}`));
      const jobs = await writer.finish();
      expect(jobs[0]?.index).toBe(3);
      for (const job of jobs) {
        expect(job.bytes).toBeLessThanOrEqual(700);
        for (const file of job.files) expect((await readFile(file)).length).toBeLessThanOrEqual(300);
      }
      expect(jobs.reduce((n, j) => n + j.refs.length, 0)).toBe(10);
    } finally {
      await writer.dispose();
    }
  });
});

describe('recordIdOf', () => {
  it('is 11 alphanumeric characters, distinct per job and record', () => {
    const ids = [recordIdOf(0, 0), recordIdOf(0, 1), recordIdOf(1, 0), recordIdOf(1295, 78_000_000)];
    for (const id of ids) expect(id).toMatch(/^[0-9A-Z]{11}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('estimateBatch', () => {
  const report = (images: number, minutes: number, usd: number) =>
    ({
      counts: { enqueued: images },
      time: { minutes },
      cost: { onDemandUsd: usd, batchUsd: usd / 2 },
    }) as unknown as DryRunReport;
  const limits = { minRecordsPerJob: 100, maxRecordsPerJob: 50_000, maxConcurrentJobs: 10, timeoutHours: 24 };

  it('offers no batch under the job minimum', () => {
    const e = estimateBatch(report(99, 1, 0.1), limits);
    expect(e.jobs).toBe(0);
    expect(e.batch.usd).toBeUndefined();
  });

  it('counts jobs, halves the cost and finds the size from which batch is also faster', () => {
    // 1,000,000 images in 1,389 minutes at the quota: 0.001389 min each; 24 h = 1,440 min -> ~1,036,800 images.
    const e = estimateBatch(report(1_000_000, 1389, 2000), limits);
    expect(e.jobs).toBe(20);
    expect(e.batch.usd).toBe(1000);
    expect(e.batch.worstCaseHours).toBe(48);
    expect(e.breakEvenImagesForCost).toBe(100);
    expect(e.breakEvenImagesForTime).toBe(Math.ceil((24 * 60) / (1389 / 1_000_000)));
  });
});
