import type { Logger } from '../../../shared/logger.ts';
import { type BatchModeArgs, batchFlags } from './flags.ts';

export { BATCH_OPTIONS } from './flags.ts';

export const BATCH_HELP = `Mode
  --mode MODE               on-demand (default): enqueue for the worker fleet; batch: Bedrock batch inference,
                            about half the price and outside the on-demand quota (docs/batch.md). Batch needs
                            BATCH_BUCKET and BATCH_ROLE_ARN (pulumi stack outputs) and QUEUE_URL for what it
                            sends back to the queue; --dry-run compares both
  --min-records N           batch: the model's minimum records per job (default 100); fewer images use the queue
  --max-records-per-job N   batch: records per job (default 50000)
  --max-records-per-file N  batch: records per input file (default 50000)
  --max-jobs N              batch: jobs submitted or running at once (default 10)
  --job-hours H             batch: timeoutDurationInHours of each job, 24-168 (default 24)
  --poll-seconds S          batch: job status poll interval (default 60)`;

/** `backfill --mode batch [--dry-run]`: returns the exit code. */
export async function runBatchMode(args: BatchModeArgs, logger?: Logger): Promise<number> {
  const flags = batchFlags(args.values, args.usage);
  const { runBatchCommand } = await import('./command.ts');
  return runBatchCommand({ ...args, flags }, logger);
}
