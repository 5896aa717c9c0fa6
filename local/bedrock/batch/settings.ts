import { z } from 'zod';

/**
 * How the stand-in runs batch inference jobs. The record limits are Bedrock's per-model service quotas (see
 * docs/batch.md for where the defaults come from); the timings compress a job of hours into milliseconds.
 */
export const BatchSettings = z.object({
  /** Time a job spends in each of Submitted, Validating and Scheduled, ms. Default 20. */
  stepMs: z.number().min(0).default(20),
  /** Extra time each record takes, ms (a slow job, to stop or kill mid-way). Default 0. */
  recordDelayMs: z.number().min(0).default(0),
  /** Records answered at once within a job. Default 8. */
  recordConcurrency: z.number().int().min(1).max(256).default(8),
  /** Length of an "hour" for timeoutDurationInHours, ms: a job still running after its timeout expires. */
  hourMs: z.number().min(1).default(3_600_000),
  /** Fraction of records answered with an error object instead of modelOutput, spread evenly. Default 0. */
  recordFailureRate: z.number().min(0).max(1).default(0),
  /** Quota "Minimum number of records per batch inference job". Default 100. */
  minRecordsPerJob: z.number().int().min(1).default(100),
  /** Quota "Records per batch inference job". Default 50,000. */
  maxRecordsPerJob: z.number().int().min(1).default(50_000),
  /** Quota "Records per input file per batch inference job". Default 50,000. */
  maxRecordsPerFile: z.number().int().min(1).default(50_000),
  /** Quota of jobs submitted or in progress at once, per model. Default 20. */
  maxConcurrentJobs: z.number().int().min(1).default(20),
});
export type BatchSettings = z.output<typeof BatchSettings>;
export type BatchOptions = z.input<typeof BatchSettings>;

/** The states of a job, in the order Bedrock moves through them. */
export const JOB_STATES = [
  'Submitted',
  'Validating',
  'Scheduled',
  'InProgress',
  'Completed',
  'PartiallyCompleted',
  'Failed',
  'Stopping',
  'Stopped',
  'Expired',
] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_STATES: readonly JobState[] = ['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired'];

/** The body of CreateModelInvocationJob, as the Bedrock control plane checks it. */
export const CreateJobRequest = z.object({
  jobName: z
    .string()
    .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9+\-.])*$/, 'jobName has characters Bedrock refuses')
    .max(63),
  roleArn: z.string().regex(/^arn:aws(-[^:]+)?:iam::\d{12}:role\/.+$/, 'roleArn is not an IAM role ARN'),
  clientRequestToken: z.string().min(1).max(256).optional(),
  modelId: z.string().min(1).max(2048),
  inputDataConfig: z.object({
    s3InputDataConfig: z.object({
      s3Uri: z.string().regex(/^s3:\/\/[^/]+\/.*$/),
      s3InputFormat: z.literal('JSONL').optional(),
      s3BucketOwner: z.string().optional(),
    }),
  }),
  outputDataConfig: z.object({
    s3OutputDataConfig: z.object({
      s3Uri: z.string().regex(/^s3:\/\/[^/]+\/.*$/),
      s3EncryptionKeyId: z.string().optional(),
      s3BucketOwner: z.string().optional(),
    }),
  }),
  timeoutDurationInHours: z.number().int().min(24).max(168).optional(),
  modelInvocationType: z.enum(['InvokeModel', 'Converse']).optional(),
  tags: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
  vpcConfig: z.unknown().optional(),
});
export type CreateJobRequest = z.output<typeof CreateJobRequest>;

/** A batch inference job as GetModelInvocationJob describes it, plus the stand-in's own bookkeeping. */
export interface BatchJob extends Omit<CreateJobRequest, 'timeoutDurationInHours' | 'modelInvocationType'> {
  jobArn: string;
  jobId: string;
  status: JobState;
  message?: string;
  submitTime: Date;
  lastModifiedTime: Date;
  endTime?: Date;
  jobExpirationTime: Date;
  timeoutDurationInHours: number;
  modelInvocationType: 'InvokeModel' | 'Converse';
  totalRecordCount?: number;
  processedRecordCount?: number;
  successRecordCount?: number;
  errorRecordCount?: number;
  stopRequested: boolean;
  /** Every state the job has been in, in order (for tests: polling can miss a short one). */
  history: JobState[];
  /** Hash of the create request, to tell a retried create (same token, same body) from a conflicting one. */
  requestHash: string;
}

/** `s3://bucket/some/prefix` → bucket and key (prefix). */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new RangeError(`not an S3 URI: ${uri}`);
  return { bucket: m[1]!, key: m[2]! };
}
