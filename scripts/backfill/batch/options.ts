import { z } from 'zod';

const positiveInt = z.number().int().min(1);

/**
 * Batch mode's own settings. The record and size limits are Bedrock's per-model batch inference quotas; the
 * defaults are the documented defaults (docs/batch.md says where each comes from): read yours in Service Quotas.
 */
export const BatchModeOptions = z
  .object({
    /** Staging bucket (BATCH_BUCKET). */
    stagingBucket: z.string().min(3).max(63),
    /** Role Bedrock assumes to read the input and write the output (BATCH_ROLE_ARN). */
    roleArn: z.string().min(20),
    /** "Minimum number of records per batch inference job". Default 100. */
    minRecordsPerJob: positiveInt.default(100),
    /** "Records per batch inference job". Default 50,000. */
    maxRecordsPerJob: positiveInt.default(50_000),
    /** "Records per input file per batch inference job". Default 50,000. */
    maxRecordsPerFile: positiveInt.default(50_000),
    /** "Batch inference input file size" in bytes. Default 1 GiB. */
    maxFileBytes: positiveInt.default(1024 ** 3),
    /** "Batch inference job size" in bytes. Default 5 GiB. */
    maxJobBytes: positiveInt.default(5 * 1024 ** 3),
    /** Jobs submitted or in progress at once (the account's concurrent-jobs quota for the model). Default 10. */
    maxConcurrentJobs: positiveInt.max(1000).default(10),
    /** timeoutDurationInHours of each job (24-168). Default 24. */
    timeoutHours: z.number().int().min(24).max(168).default(24),
    /** Interval between job status polls, ms. Default 60,000 (the stand-in's tests use less). */
    pollMs: positiveInt.default(60_000),
    /** Images prepared at once. Default 4. */
    prepareConcurrency: positiveInt.max(256).default(4),
    /** Start a new run even when a manifest of this selection exists. Default false. */
    restart: z.boolean().default(false),
  })
  .refine((o) => o.maxRecordsPerJob >= o.minRecordsPerJob, { message: 'maxRecordsPerJob must be at least the minimum' })
  .refine((o) => o.maxJobBytes >= o.maxFileBytes, { message: 'maxJobBytes must be at least maxFileBytes' });
export type BatchModeOptions = z.output<typeof BatchModeOptions>;
export type BatchModeOptionsInput = z.input<typeof BatchModeOptions>;
