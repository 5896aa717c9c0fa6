import type { BedrockClient } from '@aws-sdk/client-bedrock';
import type { S3Client } from '@aws-sdk/client-s3';
import { sleep } from '../../../shared/backoff.ts';
import type { TransientError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { CatalogueStore } from '../../../worker/index.ts';
import type { Fallback } from './Fallback.ts';
import { FINAL_STATES, jobStatus, submitJob } from './jobControl.ts';
import type { JobEntry, RunManifest } from './manifest.ts';
import type { BatchModeOptions } from './options.ts';
import type { StagingStore } from './StagingStore.ts';
import { writeJobResults } from './writeResults.ts';

export interface WaitDeps {
  bedrock: BedrockClient;
  s3: S3Client;
  store: CatalogueStore;
  staging: StagingStore;
  fallback: Fallback;
  options: BatchModeOptions;
  model: { id: string; categories?: readonly string[] };
  prompt: { analysisVersion: string };
  save: () => Promise<void>;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * Submits the staged jobs, never more at once than the concurrent-jobs quota allows, polls them, and as each one
 * ends (in whatever order) writes its answers and sends its leftovers to the queue. Returns when every job is done,
 * or when the signal aborts (the manifest then says where to resume).
 */
export async function waitPhase(manifest: RunManifest, deps: WaitDeps): Promise<void> {
  let lastReport = '';
  for (;;) {
    if (deps.signal?.aborted) return;
    for (const job of manifest.jobs.filter((j) => j.jobArn && !j.done)) await pollJob(job, deps);
    await submitJobs(manifest, deps);
    const report = statusCounts(manifest.jobs);
    if (JSON.stringify(report) !== lastReport) {
      lastReport = JSON.stringify(report);
      deps.logger?.info({ phase: 'waiting', jobs: report }, 'batch jobs');
    }
    if (manifest.jobs.every((j) => j.done)) return;
    try {
      await sleep(deps.options.pollMs, deps.signal);
    } catch {
      return;
    }
  }
}

async function pollJob(job: JobEntry, deps: WaitDeps): Promise<void> {
  const status = await jobStatus(deps.bedrock, job.jobArn as string);
  if (status.status === job.status && !FINAL_STATES.has(status.status)) return;
  job.status = status.status;
  job.message = status.message;
  if (!FINAL_STATES.has(status.status)) return deps.save();
  deps.logger?.info({ phase: 'writing', job: job.name, status: status.status, message: status.message }, 'job ended');
  const { queue, ...result } = await writeJobResults(job, status.jobId, {
    s3: deps.s3,
    staging: deps.staging,
    store: deps.store,
    modelId: deps.model.id,
    analysisVersion: deps.prompt.analysisVersion,
    categories: deps.model.categories,
  });
  await deps.fallback.send(queue);
  job.result = result;
  job.done = true;
  await deps.save();
}

async function submitJobs(manifest: RunManifest, deps: WaitDeps): Promise<void> {
  let active = manifest.jobs.filter((j) => j.jobArn && !j.done && !FINAL_STATES.has(j.status ?? '')).length;
  for (const job of manifest.jobs.filter((j) => !j.jobArn)) {
    if (active >= deps.options.maxConcurrentJobs || deps.signal?.aborted) return;
    try {
      job.jobArn = await submitJob(deps.bedrock, deps.staging, job, {
        modelId: deps.model.id,
        roleArn: deps.options.roleArn,
        timeoutHours: deps.options.timeoutHours,
      });
    } catch (error) {
      // Other jobs of the account hold the quota: try again at the next poll.
      if ((error as TransientError).context?.awsError === 'ServiceQuotaExceededException') return;
      throw error;
    }
    job.status = 'Submitted';
    active++;
    deps.logger?.info({ phase: 'submitting', job: job.name, records: job.records }, 'job submitted');
    await deps.save();
  }
}

function statusCounts(jobs: readonly JobEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const j of jobs) {
    const s = j.done ? 'done' : (j.status ?? 'staged');
    out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}
