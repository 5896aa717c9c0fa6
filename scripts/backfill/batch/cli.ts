import type { Logger } from '../../../shared/logger.ts';
import type { DryRunSettings } from '../dryRun.ts';
import type { BackfillOptions } from '../options.ts';

/** The command-line options of `--mode batch` (added to the backfill's own). */
export const BATCH_OPTIONS = {
  mode: { type: 'string' },
  'min-records': { type: 'string' },
  'max-records-per-job': { type: 'string' },
  'max-records-per-file': { type: 'string' },
  'max-jobs': { type: 'string' },
  'job-hours': { type: 'string' },
  'poll-seconds': { type: 'string' },
} as const;

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

type Values = { [K in keyof typeof BATCH_OPTIONS]?: string };

export interface BatchModeArgs {
  values: Values;
  backfill: BackfillOptions;
  dryRun?: DryRunSettings;
  /** --restart / --no-resume. */
  restart: boolean;
  usage: (message: string) => never;
}

/** Reads the batch flags; a bad value is a usage error. */
export function batchFlags(v: Values, usage: (m: string) => never) {
  const int = (name: keyof Values, scale = 1) => {
    const text = v[name];
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) usage(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
    return Math.round(n * scale);
  };
  return {
    minRecordsPerJob: int('min-records'),
    maxRecordsPerJob: int('max-records-per-job'),
    maxRecordsPerFile: int('max-records-per-file'),
    maxConcurrentJobs: int('max-jobs'),
    timeoutHours: int('job-hours'),
    pollMs: int('poll-seconds', 1000),
  };
}

/** `backfill --mode batch [--dry-run]`: returns the exit code. */
export async function runBatchMode(args: BatchModeArgs, logger?: Logger): Promise<number> {
  const flags = batchFlags(args.values, args.usage);
  const { runBatchCommand } = await import('./command.ts');
  return runBatchCommand({ ...args, flags }, logger);
}
