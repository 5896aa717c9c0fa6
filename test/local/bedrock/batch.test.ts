import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  type GetModelInvocationJobCommandOutput,
  ListModelInvocationJobsCommand,
  StopModelInvocationJobCommand,
} from '@aws-sdk/client-bedrock';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { descriptionJsonSchema } from '../../../shared/catalogue.ts';
import { pollUntil } from '../../helpers/system.ts';

const MODEL = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const ROLE = 'arn:aws:iam::123456789012:role/batch';
const FINAL = ['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired'];
const ORDER = ['Submitted', 'Validating', 'Scheduled', 'InProgress', 'Stopping'];

let stack: LocalStack;
let bedrock: BedrockClient;
let image: string;

beforeAll(async () => {
  stack = await startLocalStack({ bridge: false, bedrock: { batch: { stepMs: 30, recordConcurrency: 4 } } });
  bedrock = new BedrockClient({
    endpoint: stack.endpoints.bedrock,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a6' } })
    .png()
    .toBuffer();
  image = png.toString('base64');
});

afterAll(async () => {
  bedrock?.destroy();
  await stack?.close();
});

function record(i: number) {
  return {
    recordId: `R${String(i).padStart(10, '0')}`,
    modelInput: {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 1024,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: image } },
            { type: 'text', text: `Catalogue image ${i}.` },
          ],
        },
      ],
      tools: [{ name: 'record_catalogue_entry', input_schema: descriptionJsonSchema() }],
      tool_choice: { type: 'tool', name: 'record_catalogue_entry' },
    },
  };
}

async function stageInput(prefix: string, counts: number[]): Promise<void> {
  let n = 0;
  for (const [f, count] of counts.entries()) {
    const lines = Array.from({ length: count }, () => JSON.stringify(record(n++)));
    await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: stack.batchBucket, Key: `${prefix}part-${f}.jsonl`, Body: lines.join('\n') }),
    );
  }
}

async function create(name: string, prefix: string, token?: string): Promise<string> {
  const out = await bedrock.send(
    new CreateModelInvocationJobCommand({
      jobName: name,
      clientRequestToken: token,
      roleArn: ROLE,
      modelId: MODEL,
      inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://${stack.batchBucket}/${prefix}` } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${stack.batchBucket}/out/${name}/` } },
    }),
  );
  return out.jobArn as string;
}

/** Polls the job until it ends, collecting every state it was seen in. */
async function follow(arn: string): Promise<{ job: GetModelInvocationJobCommandOutput; seen: string[] }> {
  const seen: string[] = [];
  const job = await pollUntil(
    async () => {
      const j = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: arn }));
      if (j.status && seen.at(-1) !== j.status) seen.push(j.status);
      return FINAL.includes(j.status ?? '') ? j : undefined;
    },
    `job ${arn} to end`,
    30_000,
  );
  return { job, seen };
}

async function outputLines(name: string, jobArn: string): Promise<Record<string, unknown>[]> {
  const jobId = jobArn.slice(jobArn.lastIndexOf('/') + 1);
  const listed = await stack.clients.s3.send(
    new ListObjectsV2Command({ Bucket: stack.batchBucket, Prefix: `out/${name}/${jobId}/` }),
  );
  const lines: Record<string, unknown>[] = [];
  for (const o of listed.Contents ?? []) {
    if (!o.Key?.endsWith('.jsonl.out')) continue;
    const body = await stack.clients.s3.send(new GetObjectCommand({ Bucket: stack.batchBucket, Key: o.Key }));
    const text = (await body.Body?.transformToString()) ?? '';
    for (const l of text.split('\n')) if (l.trim()) lines.push(JSON.parse(l));
  }
  return lines;
}

async function manifestOf(name: string, jobArn: string): Promise<Record<string, number>> {
  const jobId = jobArn.slice(jobArn.lastIndexOf('/') + 1);
  const body = await stack.clients.s3.send(
    new GetObjectCommand({ Bucket: stack.batchBucket, Key: `out/${name}/${jobId}/manifest.json.out` }),
  );
  return JSON.parse((await body.Body?.transformToString()) ?? '{}');
}

function inOrder(seen: string[]): boolean {
  const rank = (s: string) => (FINAL.includes(s) ? ORDER.length : ORDER.indexOf(s));
  return seen.every((s, i) => rank(s) >= 0 && (i === 0 || rank(s) > rank(seen[i - 1] as string)));
}

describe('Bedrock stand-in: batch inference through @aws-sdk/client-bedrock', () => {
  it('runs a job of two input files through its states in order, one .jsonl.out per input and a manifest', async () => {
    await stageInput('in/ok/', [70, 60]);
    const arn = await create('ok-job', 'in/ok/');
    const { job, seen } = await follow(arn);
    expect(job.status).toBe('Completed');
    // What polling saw is in order; the stand-in's own history has every state.
    expect(inOrder(seen)).toBe(true);
    const history = stack.bedrock?.batchJobs().find((j) => j.jobArn === arn)?.history;
    expect(history).toEqual(['Submitted', 'Validating', 'Scheduled', 'InProgress', 'Completed']);
    expect(job.totalRecordCount).toBe(130);
    expect(job.successRecordCount).toBe(130);
    const lines = await outputLines('ok-job', arn);
    expect(lines).toHaveLength(130);
    const first = lines[0] as { modelOutput: { content: { type: string; input: unknown }[]; usage: unknown } };
    expect(first.modelOutput.content[0]?.type).toBe('tool_use');
    const manifest = await manifestOf('ok-job', arn);
    expect(manifest).toMatchObject({ totalRecordCount: 130, successRecordCount: 130, errorRecordCount: 0 });
    expect(manifest.inputTokenCount).toBeGreaterThan(130 * 10);
    expect(stack.bedrock?.stats().batchRecords).toBeGreaterThanOrEqual(130);
  });

  it('answers the injected share of records with an error object: PartiallyCompleted', async () => {
    stack.bedrock?.setBatch({ recordFailureRate: 0.05 });
    try {
      await stageInput('in/failing/', [200]);
      const arn = await create('failing-job', 'in/failing/');
      const { job } = await follow(arn);
      expect(job.status).toBe('PartiallyCompleted');
      expect(job.errorRecordCount).toBe(10);
      const lines = await outputLines('failing-job', arn);
      expect(lines.filter((l) => 'error' in l)).toHaveLength(10);
      expect(lines.filter((l) => 'modelOutput' in l)).toHaveLength(190);
    } finally {
      stack.bedrock?.setBatch({ recordFailureRate: 0 });
    }
  });

  it('fails a job under the minimum records per job, and one with a file over the per-file maximum', async () => {
    await stageInput('in/small/', [99]);
    const small = await follow(await create('small-job', 'in/small/'));
    expect(small.job.status).toBe('Failed');
    expect(small.job.message).toMatch(/fewer than the minimum of 100/);
    stack.bedrock?.setBatch({ maxRecordsPerFile: 150 });
    try {
      await stageInput('in/big-file/', [151]);
      const big = await follow(await create('big-file-job', 'in/big-file/'));
      expect(big.job.status).toBe('Failed');
      expect(big.job.message).toMatch(/over the limit of 150 records per file/);
    } finally {
      stack.bedrock?.setBatch({ maxRecordsPerFile: 50_000 });
    }
  });

  it('stops a running job (Stopping, then Stopped) and keeps what it answered', async () => {
    stack.bedrock?.setBatch({ recordDelayMs: 40, recordConcurrency: 1 });
    try {
      await stageInput('in/stop/', [150]);
      const arn = await create('stop-job', 'in/stop/');
      await pollUntil(async () => {
        const j = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: arn }));
        return (j.processedRecordCount ?? 0) >= 3;
      }, 'a few records processed');
      await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: arn }));
      const { job } = await follow(arn);
      expect(job.status).toBe('Stopped');
      expect(stack.bedrock?.batchJobs().find((j) => j.jobArn === arn)?.history).toEqual([
        'Submitted',
        'Validating',
        'Scheduled',
        'InProgress',
        'Stopping',
        'Stopped',
      ]);
      const lines = await outputLines('stop-job', arn);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.length).toBeLessThan(150);
    } finally {
      stack.bedrock?.setBatch({ recordDelayMs: 0, recordConcurrency: 4 });
    }
  });

  it('expires a job still running after its timeout (time compressed), keeping what it answered', async () => {
    // 24 "hours" of 20 ms: about half a second, while 150 records take 150 x 10 ms one at a time.
    stack.bedrock?.setBatch({ hourMs: 20, recordDelayMs: 10, recordConcurrency: 1 });
    try {
      await stageInput('in/expire/', [150]);
      const arn = await create('expire-job', 'in/expire/');
      const { job } = await follow(arn);
      expect(job.status).toBe('Expired');
      const lines = await outputLines('expire-job', arn);
      expect(lines.length).toBeLessThan(150);
      expect(lines.length).toBe(job.processedRecordCount ?? 0);
    } finally {
      stack.bedrock?.setBatch({ hourMs: 3_600_000, recordDelayMs: 0, recordConcurrency: 4 });
    }
  });

  it('answers a repeated clientRequestToken with the same job, and lists jobs by name', async () => {
    await stageInput('in/token/', [100]);
    const a = await create('token-job', 'in/token/', 'token-1');
    const b = await create('token-job', 'in/token/', 'token-1');
    expect(b).toBe(a);
    const listed = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: 'token-job' }));
    expect(listed.invocationJobSummaries?.map((j) => j.jobArn)).toEqual([a]);
    await follow(a);
  });

  it('refuses a job with a malformed role ARN and an unknown job id with the real exception classes', async () => {
    await expect(
      bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: 'bad-role',
          roleArn: 'not-a-role',
          modelId: MODEL,
          inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://${stack.batchBucket}/in/ok/` } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${stack.batchBucket}/out/x/` } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
