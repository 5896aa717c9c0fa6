import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ModelService } from '../ModelService.ts';
import { type BatchJob, type BatchSettings, parseS3Uri } from './settings.ts';

/** One line of an input file, and what became of it. */
interface Row {
  file: string;
  recordId: string;
  modelInput: unknown;
  output?: { modelOutput: unknown } | { error: { errorCode: number; errorMessage: string } };
}

/** Ends a job's run early with a state and a message. */
class JobEnd extends Error {
  constructor(
    readonly state: 'Failed' | 'Stopped' | 'Expired',
    message: string,
  ) {
    super(message);
  }
}

export interface RunContext {
  s3: S3Client;
  service: ModelService;
  settings: () => BatchSettings;
  signal: AbortSignal;
  /** Sets the job's state (and message), stamping lastModifiedTime. */
  move: (job: BatchJob, state: BatchJob['status'], message?: string) => void;
}

/**
 * Runs a job the way Bedrock does, compressed in time: Submitted → Validating (reads and checks every input file:
 * JSONL, record limits) → Scheduled → InProgress (each record through the model, some failed on purpose) → Completed,
 * PartiallyCompleted, Failed, Stopped or Expired. Outputs: `<output>/<jobId>/<input file>.out` per input file, one
 * line per processed record with `modelOutput` or `error`, in no particular order, and `manifest.json.out`.
 */
export async function runJob(job: BatchJob, ctx: RunContext): Promise<void> {
  let rows: Row[] = [];
  try {
    await step(job, ctx);
    ctx.move(job, 'Validating');
    rows = await readInput(job, ctx);
    job.totalRecordCount = rows.length;
    await step(job, ctx);
    ctx.move(job, 'Scheduled');
    await step(job, ctx);
    ctx.move(job, 'InProgress');
    await processRows(job, rows, ctx);
    const errors = rows.filter((r) => r.output && 'error' in r.output).length;
    await writeOutputs(job, rows, ctx);
    ctx.move(job, errors > 0 ? 'PartiallyCompleted' : 'Completed');
  } catch (error) {
    if (ctx.signal.aborted) return;
    if (error instanceof JobEnd) {
      if (error.state !== 'Failed') await writeOutputs(job, rows, ctx).catch(() => {});
      ctx.move(job, error.state, error.message);
      return;
    }
    ctx.move(job, 'Failed', `Internal error: ${(error as Error).message}`);
  } finally {
    job.endTime = new Date();
  }
}

/** Waits one state's time, then ends the run if the job was stopped, has expired or the stand-in is closing. */
async function step(job: BatchJob, ctx: RunContext, ms = ctx.settings().stepMs): Promise<void> {
  if (ms > 0) await sleep(ms, undefined, { signal: ctx.signal });
  checkpoint(job, ctx);
}

function checkpoint(job: BatchJob, ctx: RunContext): void {
  if (ctx.signal.aborted) throw ctx.signal.reason;
  if (job.stopRequested) throw new JobEnd('Stopped', 'The job was stopped by the user.');
  const limitMs = job.timeoutDurationInHours * ctx.settings().hourMs;
  if (Date.now() - job.submitTime.getTime() > limitMs) {
    throw new JobEnd('Expired', `The job did not finish within ${job.timeoutDurationInHours} hours.`);
  }
}

async function readInput(job: BatchJob, ctx: RunContext): Promise<Row[]> {
  const settings = ctx.settings();
  const input = parseS3Uri(job.inputDataConfig.s3InputDataConfig.s3Uri);
  const keys = input.key.endsWith('.jsonl') ? [input.key] : await listJsonl(ctx.s3, input.bucket, input.key);
  if (keys.length === 0) throw new JobEnd('Failed', 'No .jsonl input files were found at the input S3 location.');
  const rows: Row[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    const text = await readText(ctx.s3, input.bucket, key).catch((error: Error) => {
      throw new JobEnd('Failed', `Could not read s3://${input.bucket}/${key}: ${error.message}`);
    });
    const file = key.slice(key.lastIndexOf('/') + 1);
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length > settings.maxRecordsPerFile) {
      const limit = settings.maxRecordsPerFile;
      throw new JobEnd('Failed', `${file} has ${lines.length} records, over the limit of ${limit} records per file.`);
    }
    lines.forEach((line, n) => {
      const row = parseLine(line, file, n + 1);
      if (seen.has(row.recordId)) throw new JobEnd('Failed', `Duplicate recordId ${row.recordId} in ${file}.`);
      seen.add(row.recordId);
      rows.push(row);
    });
  }
  if (rows.length < settings.minRecordsPerJob) {
    const min = settings.minRecordsPerJob;
    throw new JobEnd('Failed', `The job has ${rows.length} records, fewer than the minimum of ${min} records per job.`);
  }
  if (rows.length > settings.maxRecordsPerJob) {
    const max = settings.maxRecordsPerJob;
    throw new JobEnd('Failed', `The job has ${rows.length} records, over the limit of ${max} records per job.`);
  }
  return rows;
}

function parseLine(line: string, file: string, lineNo: number): Row {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new JobEnd('Failed', `${file} line ${lineNo} is not valid JSON.`);
  }
  const o = value as { recordId?: unknown; modelInput?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.modelInput !== 'object' || o.modelInput === null) {
    throw new JobEnd('Failed', `${file} line ${lineNo} has no modelInput object.`);
  }
  // Bedrock adds a recordId when a line has none.
  const recordId = typeof o.recordId === 'string' ? o.recordId : `${String(lineNo).padStart(11, '0')}`;
  return { file, recordId, modelInput: o.modelInput };
}

async function processRows(job: BatchJob, rows: Row[], ctx: RunContext): Promise<void> {
  const settings = ctx.settings();
  let next = 0;
  job.processedRecordCount = 0;
  job.successRecordCount = 0;
  job.errorRecordCount = 0;
  const lane = async () => {
    for (;;) {
      const i = next++;
      const row = rows[i];
      if (!row) return;
      await step(job, ctx, settings.recordDelayMs);
      row.output = await answer(job, row, i, ctx);
      job.processedRecordCount = (job.processedRecordCount ?? 0) + 1;
      if ('error' in row.output) job.errorRecordCount = (job.errorRecordCount ?? 0) + 1;
      else job.successRecordCount = (job.successRecordCount ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: settings.recordConcurrency }, lane));
}

async function answer(job: BatchJob, row: Row, index: number, ctx: RunContext): Promise<NonNullable<Row['output']>> {
  // Injected failures spread evenly: exactly ⌊n × rate⌋ of n records fail, whatever n.
  const rate = ctx.settings().recordFailureRate;
  if (Math.floor((index + 1) * rate) > Math.floor(index * rate)) {
    return { error: { errorCode: 500, errorMessage: 'Internal server error while processing the record.' } };
  }
  const r = await ctx.service.handleBatchRecord(job.modelId, row.modelInput);
  if (r.ok) return { modelOutput: r.body };
  return { error: { errorCode: r.error.status, errorMessage: r.error.message } };
}

async function writeOutputs(job: BatchJob, rows: Row[], ctx: RunContext): Promise<void> {
  const out = parseS3Uri(job.outputDataConfig.s3OutputDataConfig.s3Uri);
  const base = `${out.key.replace(/\/?$/, '/')}${job.jobId}/`;
  const byFile = new Map<string, string[]>();
  let inputTokens = 0;
  let outputTokens = 0;
  for (const row of rows) {
    if (!byFile.has(row.file)) byFile.set(row.file, []);
    if (!row.output) continue;
    const usage = 'modelOutput' in row.output ? (row.output.modelOutput as { usage?: Usage }).usage : undefined;
    inputTokens += usage?.input_tokens ?? 0;
    outputTokens += usage?.output_tokens ?? 0;
    byFile.get(row.file)?.push(JSON.stringify({ recordId: row.recordId, modelInput: row.modelInput, ...row.output }));
  }
  for (const [file, lines] of byFile) {
    // Output order is not guaranteed by Bedrock: reverse it, so a reader that relies on order fails here first.
    await putText(ctx.s3, out.bucket, `${base}${file}.out`, lines.reverse().join('\n') + (lines.length ? '\n' : ''));
  }
  const manifest = {
    totalRecordCount: rows.length,
    processedRecordCount: job.processedRecordCount ?? 0,
    successRecordCount: job.successRecordCount ?? 0,
    errorRecordCount: job.errorRecordCount ?? 0,
    inputTokenCount: inputTokens,
    outputTokenCount: outputTokens,
  };
  await putText(ctx.s3, out.bucket, `${base}manifest.json.out`, JSON.stringify(manifest));
}

interface Usage {
  input_tokens?: number;
  output_tokens?: number;
}

async function listJsonl(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key?.endsWith('.jsonl')) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString('utf8')) ?? '';
}

async function putText(s3: S3Client, bucket: string, key: string, body: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/jsonl' }));
}
