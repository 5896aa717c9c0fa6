import { z } from 'zod';
import { ImageFacts } from '../../../shared/catalogue.ts';

/**
 * The run manifest, kept in the staging bucket (`runs/<runId>/manifest.json`) and rewritten after every step that
 * must not be repeated: a killed or restarted command reads it and picks up where it was. A job is recorded with its
 * ARN right after CreateModelInvocationJob answers; a job created just before a kill is found again by its name.
 */
export const JobEntry = z.object({
  /** 0-based, and the job's name suffix. */
  index: z.number().int().min(0),
  name: z.string(),
  /** Staging keys: the input folder (every part file of the job), the record map, the output folder. */
  inputPrefix: z.string(),
  recordsKey: z.string(),
  outputPrefix: z.string(),
  records: z.number().int(),
  bytes: z.number().int(),
  files: z.number().int(),
  jobArn: z.string().optional(),
  status: z.string().optional(),
  message: z.string().optional(),
  /** Outputs read, items written, leftovers sent to the queue: nothing more to do for this job. */
  done: z.boolean().default(false),
  result: z
    .object({
      written: z.number().int(),
      skipped: z.number().int(),
      stale: z.number().int(),
      fallback: z.number().int(),
      inputTokens: z.number().int(),
      outputTokens: z.number().int(),
    })
    .optional(),
});
export type JobEntry = z.infer<typeof JobEntry>;

export const RunManifest = z.object({
  version: z.literal(1),
  /** Names the run's staging folders and jobs: the selection's hash, plus `-r<generation>` after a --restart. */
  runId: z.string(),
  /** 0 for the first run of a selection, one more at each --restart (so no job name is ever reused). */
  generation: z.number().int().min(0).default(0),
  bucket: z.string(),
  modelId: z.string(),
  analysisVersion: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Objects the listing took (not catalogued yet), saved as `runs/<runId>/listing.jsonl`. */
  listed: z.number().int().min(0).optional(),
  /** Listing entries consumed by the preparation (jobs made, rejected, sent to the queue): resumes from here. */
  preparedThrough: z.number().int().min(0).default(0),
  prepared: z.boolean().default(false),
  jobs: z.array(JobEntry).default([]),
  /** Prepared without a batch record: rejected (written as the worker does), or sent to the queue. */
  counts: z
    .object({ rejected: z.number().int(), fallbackAtPrepare: z.number().int(), duplicates: z.number().int() })
    .default({ rejected: 0, fallbackAtPrepare: 0, duplicates: 0 }),
  complete: z.boolean().default(false),
});
export type RunManifest = z.infer<typeof RunManifest>;

/** What a batch record stands for: the object (bucket, key, eTag as listed) and the prepared image's facts. */
export const RecordRef = z.object({
  recordId: z.string(),
  bucket: z.string(),
  key: z.string(),
  eTag: z.string(),
  size: z.number().int(),
  lastModified: z.string().optional(),
  /** A listing carries no S3 sequencer: undefined here, so the write is older than any event (NO_SEQUENCE). */
  sequencer: z.string().optional(),
  contentHash: z.string(),
  image: ImageFacts,
  thumbnailKey: z.string().optional(),
  /** Other listed keys with identical bytes: written from the same answer (as the worker reuses an analysis). */
  twins: z.array(z.object({ key: z.string(), eTag: z.string(), size: z.number().int() })).default([]),
});
export type RecordRef = z.infer<typeof RecordRef>;

/** Where a run keeps its files in the staging bucket. The service role reads only `input/`, writes only `output/`. */
export function stagingLayout(runId: string) {
  return {
    /** Keyed by the selection's hash alone: a restarted run replaces the manifest of the one before. */
    manifest: `runs/${runId.replace(/-r\d+$/, '')}/manifest.json`,
    listing: `runs/${runId}/listing.jsonl`,
    records: (job: string) => `runs/${runId}/${job}.records.json`,
    input: (job: string) => `input/${runId}/${job}/`,
    output: (job: string) => `output/${runId}/${job}/`,
  };
}

/**
 * The record id of the n-th record of job j: 11 alphanumeric characters, as the data format page shows them
 * (job in base 36 over 4, record over 7 characters).
 */
export function recordIdOf(job: number, n: number): string {
  return `${job.toString(36).padStart(4, '0')}${n.toString(36).padStart(7, '0')}`.toUpperCase();
}
