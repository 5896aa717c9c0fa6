import {
  type BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
} from '@aws-sdk/client-bedrock';
import { transient } from '../../../shared/awsErrors.ts';
import type { JobEntry } from './manifest.ts';
import type { StagingStore } from './StagingStore.ts';

/** States after which a job changes no more. */
export const FINAL_STATES = new Set(['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired']);

export interface SubmitSettings {
  modelId: string;
  roleArn: string;
  timeoutHours: number;
}

/**
 * Submits a job, exactly once: first asks Bedrock for a job of this name (one created just before a kill, whose ARN
 * never reached the manifest), then creates it with a clientRequestToken derived from the name, so a retried call
 * is answered with the same job.
 */
export async function submitJob(
  bedrock: BedrockClient,
  staging: StagingStore,
  job: JobEntry,
  s: SubmitSettings,
): Promise<string> {
  const existing = await findJobByName(bedrock, job.name);
  if (existing) return existing;
  try {
    const out = await bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: job.name,
        clientRequestToken: job.name,
        roleArn: s.roleArn,
        modelId: s.modelId,
        modelInvocationType: 'InvokeModel',
        timeoutDurationInHours: s.timeoutHours,
        inputDataConfig: { s3InputDataConfig: { s3Uri: staging.uri(job.inputPrefix), s3InputFormat: 'JSONL' } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: staging.uri(job.outputPrefix) } },
      }),
    );
    if (!out.jobArn) throw new Error('CreateModelInvocationJob answered without a jobArn');
    return out.jobArn;
  } catch (error) {
    throw transient('Bedrock CreateModelInvocationJob', error, { job: job.name });
  }
}

async function findJobByName(bedrock: BedrockClient, name: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: name, nextToken }));
    const hit = page.invocationJobSummaries?.find((j) => j.jobName === name);
    if (hit?.jobArn) return hit.jobArn;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

export interface JobStatus {
  status: string;
  message?: string;
  /** The job's id, the folder Bedrock writes its output under. */
  jobId: string;
}

export async function jobStatus(bedrock: BedrockClient, jobArn: string): Promise<JobStatus> {
  try {
    const out = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
    return { status: out.status ?? 'Unknown', message: out.message, jobId: jobArn.slice(jobArn.lastIndexOf('/') + 1) };
  } catch (error) {
    throw transient('Bedrock GetModelInvocationJob', error, { jobArn });
  }
}
