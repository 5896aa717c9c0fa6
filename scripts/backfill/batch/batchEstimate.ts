import type { DryRunReport } from '../dryRun.ts';
import { formatDuration } from '../progress.ts';

export interface BatchEstimate {
  images: number;
  /** Jobs the run would submit; 0 when there are fewer images than a job's minimum. */
  jobs: number;
  minRecordsPerJob: number;
  onDemand: { usd?: number; minutes: number };
  batch: { usd?: number; worstCaseHours: number; concurrentJobs: number };
  /** From how many images batch is possible (and then always about half the price). */
  breakEvenImagesForCost: number;
  /** From how many images on-demand would take longer than a batch job's worst case (its timeout). */
  breakEvenImagesForTime?: number;
}

/**
 * On demand against batch, from a dry run: the same tokens, half the price in batch; on demand as long as the quota
 * makes it, batch at worst its job timeout (jobs run in parallel up to the concurrent-jobs quota, outside the
 * on-demand quota). Batch is possible from the job minimum on; it is also the faster from the size at which the
 * quota would take longer than the timeout.
 */
export function estimateBatch(
  r: DryRunReport,
  o: { minRecordsPerJob: number; maxRecordsPerJob: number; maxConcurrentJobs: number; timeoutHours: number },
): BatchEstimate {
  const images = r.counts.enqueued;
  const jobs = images < o.minRecordsPerJob ? 0 : Math.ceil(images / o.maxRecordsPerJob);
  const minutesPerImage = images > 0 ? r.time.minutes / images : 0;
  return {
    images,
    jobs,
    minRecordsPerJob: o.minRecordsPerJob,
    onDemand: { usd: r.cost.onDemandUsd, minutes: r.time.minutes },
    batch: {
      usd: jobs === 0 ? undefined : r.cost.batchUsd,
      worstCaseHours: o.timeoutHours * Math.max(1, Math.ceil(jobs / o.maxConcurrentJobs)),
      concurrentJobs: o.maxConcurrentJobs,
    },
    breakEvenImagesForCost: o.minRecordsPerJob,
    breakEvenImagesForTime: minutesPerImage > 0 ? Math.ceil((o.timeoutHours * 60) / minutesPerImage) : undefined,
  };
}

export function formatBatchEstimate(e: BatchEstimate): string {
  const usd = (v?: number) =>
    v === undefined ? 'n/a' : `$${v < 100 ? v.toFixed(2) : Math.round(v).toLocaleString('en-US')}`;
  const saving = e.onDemand.usd !== undefined && e.batch.usd !== undefined ? e.onDemand.usd - e.batch.usd : undefined;
  return [
    'On demand or batch (backfill --mode batch)',
    `  on demand       ${usd(e.onDemand.usd).padStart(12)}  in ${formatDuration(e.onDemand.minutes * 60)} at the quota`,
    e.jobs === 0
      ? `  batch                  n/a  ${e.images} images is fewer than the ${e.minRecordsPerJob} records a job needs: the queue is used`
      : `  batch           ${usd(e.batch.usd).padStart(12)}  in ${e.jobs} job(s), at worst ${e.batch.worstCaseHours} h ` +
        `(the job timeout; ${e.batch.concurrentJobs} jobs at once), outside the on-demand quota` +
        `${saving !== undefined ? `; saves ${usd(saving)}` : ''}`,
    `  break-even      batch costs about half from ${e.breakEvenImagesForCost} images (the job minimum); it is also ` +
      `faster from ${e.breakEvenImagesForTime?.toLocaleString('en-US') ?? 'n/a'} images, where the quota would take longer than a job's timeout`,
  ].join('\n');
}
