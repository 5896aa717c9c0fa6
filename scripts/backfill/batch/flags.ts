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

export type Values = { [K in keyof typeof BATCH_OPTIONS]?: string };

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
