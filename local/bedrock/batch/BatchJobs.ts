import { createHash, randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { BedrockError, validationError } from '../errors.ts';
import type { ModelService } from '../ModelService.ts';
import { modelInfoOf } from '../modelRules.ts';
import { runJob } from './runJob.ts';
import {
  type BatchJob,
  type BatchOptions,
  BatchSettings,
  CreateJobRequest,
  JOB_STATES,
  TERMINAL_STATES,
} from './settings.ts';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

export interface BatchStandInOptions extends BatchOptions {
  /** The S3 endpoint the jobs read their input from and write their output to (the local S3 stand-in). */
  s3Endpoint?: string;
}

/** An HTTP answer of a control-plane route. */
export type ControlAnswer = { status: number; body: unknown } | { error: BedrockError };

/**
 * The Bedrock control-plane calls of batch inference (CreateModelInvocationJob, GetModelInvocationJob,
 * ListModelInvocationJobs, StopModelInvocationJob) on their REST-JSON paths, as `@aws-sdk/client-bedrock` sends them.
 */
export type { BatchJob };

export class BatchJobs {
  private readonly jobs = new Map<string, BatchJob>();
  private readonly running = new Set<Promise<void>>();
  private settings: BatchSettings;
  private readonly s3?: S3Client;

  constructor(
    options: BatchStandInOptions,
    private readonly service: ModelService,
    private readonly signal: AbortSignal,
    private readonly logger?: Logger,
  ) {
    const { s3Endpoint, ...rest } = options;
    this.settings = BatchSettings.parse(rest);
    this.s3 = s3Endpoint
      ? new S3Client({
          region: REGION,
          endpoint: s3Endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        })
      : undefined;
  }

  get current(): BatchSettings {
    return { ...this.settings };
  }

  set(patch: BatchOptions): BatchSettings {
    this.settings = BatchSettings.parse({ ...this.settings, ...patch });
    return this.current;
  }

  /** Every job, newest first (for tests and the admin route). */
  all(): BatchJob[] {
    return [...this.jobs.values()].sort((a, b) => b.submitTime.getTime() - a.submitTime.getTime());
  }

  /** Routes `method path` to a control-plane call, or undefined when it is not one. */
  route(method: string, url: URL, body: Buffer | undefined): ControlAnswer | undefined {
    try {
      const path = url.pathname;
      if (method === 'POST' && path === '/model-invocation-job') return this.create(parseBody(body));
      if (method === 'GET' && path === '/model-invocation-jobs') return this.list(url.searchParams);
      const stop = /^\/model-invocation-job\/(.+)\/stop$/.exec(path);
      if (method === 'POST' && stop) return this.stop(decodeURIComponent(stop[1]!));
      const get = /^\/model-invocation-job\/([^/]+)$/.exec(path);
      if (method === 'GET' && get) return { status: 200, body: describe(this.find(decodeURIComponent(get[1]!))) };
      return undefined;
    } catch (error) {
      if (error instanceof BedrockError) return { error };
      throw error;
    }
  }

  /** Waits for every running job to end (they end at once when the stand-in closes). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.running]);
    this.s3?.destroy();
  }

  private create(raw: unknown): ControlAnswer {
    const parsed = CreateJobRequest.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw validationError(`${issue?.path.join('.')}: ${issue?.message}`);
    }
    const req = parsed.data;
    modelInfoOf(req.modelId);
    if (!this.s3) throw validationError('The stand-in was started without an S3 endpoint for batch inference.');
    const requestHash = createHash('sha256').update(JSON.stringify(req)).digest('hex');
    if (req.clientRequestToken) {
      const same = [...this.jobs.values()].find((j) => j.clientRequestToken === req.clientRequestToken);
      if (same && same.requestHash === requestHash) return { status: 200, body: { jobArn: same.jobArn } };
      if (same) throw new BedrockError('ConflictException', 'The clientRequestToken was used with other parameters.');
    }
    const active = [...this.jobs.values()].filter(
      (j) => j.modelId === req.modelId && !TERMINAL_STATES.includes(j.status),
    );
    if (active.length >= this.settings.maxConcurrentJobs) {
      const n = this.settings.maxConcurrentJobs;
      throw new BedrockError('ServiceQuotaExceededException', `You have reached the limit of ${n} concurrent jobs.`);
    }
    const jobId = randomBytes(6).toString('hex');
    const now = new Date();
    const hours = req.timeoutDurationInHours ?? 24;
    const job: BatchJob = {
      ...req,
      jobArn: `arn:aws:bedrock:${REGION}:${ACCOUNT}:model-invocation-job/${jobId}`,
      jobId,
      status: 'Submitted',
      submitTime: now,
      lastModifiedTime: now,
      jobExpirationTime: new Date(now.getTime() + hours * this.settings.hourMs),
      timeoutDurationInHours: hours,
      modelInvocationType: req.modelInvocationType ?? 'InvokeModel',
      stopRequested: false,
      history: ['Submitted'],
      requestHash,
    };
    this.jobs.set(jobId, job);
    const s3 = this.s3;
    const run = runJob(job, {
      s3,
      service: this.service,
      settings: () => this.settings,
      signal: this.signal,
      move: (j, state, message) => {
        j.status = state;
        j.history.push(state);
        j.message = message;
        j.lastModifiedTime = new Date();
        this.logger?.debug({ jobId: j.jobId, state, message }, 'batch job state');
      },
    }).finally(() => this.running.delete(run));
    this.running.add(run);
    return { status: 200, body: { jobArn: job.jobArn } };
  }

  private list(q: URLSearchParams): ControlAnswer {
    const status = q.get('statusEquals');
    if (status && !(JOB_STATES as readonly string[]).includes(status)) throw validationError('statusEquals is invalid');
    const name = q.get('nameContains');
    const ascending = q.get('sortOrder') === 'Ascending';
    const max = Math.min(Number(q.get('maxResults') ?? 1000) || 1000, 1000);
    const start = Number(q.get('nextToken') ?? 0) || 0;
    const matching = [...this.jobs.values()]
      .filter((j) => (!status || j.status === status) && (!name || j.jobName.includes(name)))
      .sort((a, b) => (a.submitTime.getTime() - b.submitTime.getTime()) * (ascending ? 1 : -1));
    const page = matching.slice(start, start + max);
    const nextToken = start + max < matching.length ? String(start + max) : undefined;
    return { status: 200, body: { invocationJobSummaries: page.map(describe), nextToken } };
  }

  private stop(identifier: string): ControlAnswer {
    const job = this.find(identifier);
    if (TERMINAL_STATES.includes(job.status) || job.status === 'Stopping') {
      throw validationError(`The job is ${job.status} and cannot be stopped.`);
    }
    job.stopRequested = true;
    job.status = 'Stopping';
    job.history.push('Stopping');
    job.lastModifiedTime = new Date();
    return { status: 200, body: {} };
  }

  private find(identifier: string): BatchJob {
    const id = identifier.replace(/^arn:aws[^:]*:bedrock:[^:]*:\d*:model-invocation-job\//, '');
    const job = this.jobs.get(id);
    if (!job) throw new BedrockError('ResourceNotFoundException', `Job ${identifier} not found.`);
    return job;
  }
}

function parseBody(body: Buffer | undefined): unknown {
  try {
    return body?.length ? JSON.parse(body.toString('utf8')) : {};
  } catch {
    throw validationError('The request body is not valid JSON.');
  }
}

/** The job as GetModelInvocationJob and the list's summaries show it (timestamps as ISO 8601). */
function describe(job: BatchJob): Record<string, unknown> {
  const { stopRequested: _s, requestHash: _h, history: _hi, tags: _t, jobId: _id, ...visible } = job;
  return {
    ...visible,
    submitTime: job.submitTime.toISOString(),
    lastModifiedTime: job.lastModifiedTime.toISOString(),
    endTime: job.endTime?.toISOString(),
    jobExpirationTime: job.jobExpirationTime.toISOString(),
  };
}

/** A change of the batch settings (admin route and `setBatch`). */
export const BatchPatchSchema = BatchSettings.partial().strict();
