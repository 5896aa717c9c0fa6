/**
 * Benchmark of the backfill's enqueuing speed against a plain sequential list-then-send loop, on the local stack.
 * Prints the machine, keys per second for each, the speed-up, and, as its last line, the results as one JSON object.
 *
 *   tsx bench/backfill.ts [--keys 100000] [--prefixes 16] [--rounds 1] [--latency-ms 15]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { captureS3Stores } from '../local/fauxqsStores.ts';
import { startLocalStack } from '../local/stack.ts';
import { objectFilter } from '../scripts/backfill/filter.ts';
import { backfillMessageBody } from '../scripts/backfill/messageBody.ts';
import { BackfillOptions } from '../scripts/backfill/options.ts';
import { runBackfill } from '../scripts/backfill/runBackfill.ts';
import { sleep } from '../shared/backoff.ts';
import { loadConfig } from '../shared/config.ts';
import { normaliseETag } from '../shared/messages.ts';
import { type AwsClients, createClients, destroyClients } from '../worker/clients.ts';

const HELP = `Usage: npm run bench:backfill -- [options]

Starts the local stack in a child process (its own core, as AWS is elsewhere), fills its bucket with small objects
through fauxqs' store (no upload events), then times enqueuing all of them: the backfill (runBackfill: parallel
key ranges, concurrent SendMessageBatch, checkpoint on disk) against a plain sequential loop (ListObjectsV2 pages one
after another, SendMessageBatch one at a time). The queue is purged between runs; every run must enqueue every key.

Then the same with a round-trip latency added to every request (--latency-ms, like S3 and SQS in the same AWS
region), where concurrency matters most. There the sequential loop enqueues only the first --latency-keys keys
(its rate is steady: at that pace all of them would take minutes); the backfill enqueues all of them.

Options:
  --keys N           objects in the bucket (default 100000)
  --prefixes N       top-level folders they are spread over (default 16)
  --rounds N         timed runs of each at no added latency, alternating; the best of each counts (default 1)
  --latency-ms N     added round-trip per request for the second part; 0 skips it (default 15)
  --latency-keys N   keys the sequential loop enqueues in the second part (default 5000)
  --help             show this help

Exit codes: 0 done, 1 a run failed or enqueued the wrong number, 2 bad arguments.`;

interface RunResult {
  name: string;
  latencyMs: number;
  enqueued: number;
  seconds: number;
  keysPerSecond: number;
}

interface Served {
  env: Record<string, string>;
  bucket: string;
  queueUrl: string;
  fillSeconds: number;
}

async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/** The loop most people write first: one page, then its batches one by one, then the next page. */
async function sequentialBackfill(
  s3: S3Client,
  sqs: SQSClient,
  bucket: string,
  queueUrl: string,
  limit = Number.POSITIVE_INFINITY,
): Promise<number> {
  const filter = objectFilter(BackfillOptions.parse({ bucket }));
  let token: string | undefined;
  let enqueued = 0;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    const images = (page.Contents ?? []).filter(
      (o) => filter({ key: o.Key ?? '', size: o.Size ?? 0, eTag: o.ETag ?? '' }).take,
    );
    for (let i = 0; i < images.length && enqueued < limit; i += 10) {
      const batch = images.slice(i, i + 10);
      const out = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((o, j) => ({
            Id: String(j),
            MessageBody: backfillMessageBody({
              bucket,
              key: o.Key!,
              eTag: normaliseETag(o.ETag ?? ''),
              size: o.Size ?? 0,
            }),
          })),
        }),
      );
      if (out.Failed?.length) throw new Error(`${out.Failed.length} entries failed`);
      enqueued += batch.length;
    }
    token = page.IsTruncated && enqueued < limit ? page.NextContinuationToken : undefined;
  } while (token);
  return enqueued;
}

/** Adds `ms` before every request of the client: a network round trip. */
function addLatency(client: AwsClients['s3'] | AwsClients['sqs'] | AwsClients['dynamodb'], ms: number): void {
  (client.middlewareStack as AwsClients['s3']['middlewareStack']).add(
    (next) => async (args) => {
      await sleep(ms);
      return next(args);
    },
    { step: 'finalizeRequest', name: 'benchLatency' },
  );
}

/** The child: the local stack, filled, until stdin closes. Prints one JSON line (Served) when ready. */
async function serve(keys: number, prefixes: number): Promise<number> {
  // fauxqs 2.4.1 sorts the whole bucket (localeCompare) on every ListObjectsV2 page, in the wrong order: the fix
  // keeps S3's order and a sorted index, so a page costs what it costs on S3, for both contenders alike.
  const stores = await captureS3Stores();
  const stack = await startLocalStack({ bedrock: false, bridge: false });
  const store = stores.find((s) => s.buckets.has(stack.bucket));
  if (!store) throw new Error('could not reach the S3 store of the local stack');
  const started = performance.now();
  const body = Buffer.from('tiny');
  for (let i = 0; i < keys; i++) {
    const p = String(i % prefixes).padStart(2, '0');
    const key = `p${p}/2024/${String(i % 12).padStart(2, '0')}/img-${String(i).padStart(7, '0')}.jpg`;
    store.putObject(stack.bucket, key, body);
  }
  const served: Served = {
    env: stack.env,
    bucket: stack.bucket,
    queueUrl: stack.queueUrl,
    fillSeconds: (performance.now() - started) / 1000,
  };
  process.stdout.write(`${JSON.stringify(served)}\n`);
  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
    process.stdin.resume();
  });
  await stack.close();
  return 0;
}

async function startServer(keys: number, prefixes: number): Promise<{ served: Served; stop: () => Promise<void> }> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, '--serve', '--keys', String(keys), '--prefixes', String(prefixes)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the stack process exited (${code}) before it was ready`)));
  });
  lines.close();
  return {
    served: JSON.parse(first) as Served,
    stop: async () => {
      child.stdin?.end();
      await exited;
    },
  };
}

function parse():
  | { keys: number; prefixes: number; rounds: number; latencyMs: number; latencyKeys: number; serve: boolean }
  | number {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        keys: { type: 'string' },
        prefixes: { type: 'string' },
        rounds: { type: 'string' },
        'latency-ms': { type: 'string' },
        'latency-keys': { type: 'string' },
        serve: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const num = (name: string, def: number) => Number(values[name] ?? def);
  const o = {
    keys: num('keys', 100_000),
    prefixes: num('prefixes', 16),
    rounds: num('rounds', 1),
    latencyMs: num('latency-ms', 15),
    latencyKeys: num('latency-keys', 5000),
    serve: values.serve === true,
  };
  const positive = [o.keys, o.prefixes, o.rounds, o.latencyKeys].every((v) => Number.isInteger(v) && v > 0);
  if (!positive || !Number.isInteger(o.latencyMs) || o.latencyMs < 0) {
    process.stderr.write(`every option takes a positive whole number (--latency-ms may be 0)\n\n${HELP}\n`);
    return 2;
  }
  return o;
}

async function main(): Promise<number> {
  const o = parse();
  if (typeof o === 'number') return o;
  if (o.serve) return serve(o.keys, o.prefixes);
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    // Other work on the machine skews every figure: the 1-minute load average when the benchmark started.
    loadAverage: Math.round(os.loadavg()[0]! * 10) / 10,
  };
  process.stdout.write(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
      `load average ${machine.loadAverage}\n`,
  );
  const server = await startServer(o.keys, o.prefixes);
  const { served } = server;
  process.stdout.write(
    `stack in a child process; ${o.keys.toLocaleString('en-US')} objects under ${o.prefixes} prefixes filled in ${served.fillSeconds.toFixed(1)} s\n`,
  );
  const dir = await mkdtemp(join(os.tmpdir(), 'bench-backfill-'));
  const config = loadConfig(served.env);
  const results: RunResult[] = [];
  let runs = 0;
  try {
    for (const latencyMs of o.latencyMs > 0 ? [0, o.latencyMs] : [0]) {
      const clients = createClients(config);
      if (latencyMs > 0) for (const c of [clients.s3, clients.sqs, clients.dynamodb]) addLatency(c, latencyMs);
      const { s3, sqs } = clients;
      process.stdout.write(latencyMs === 0 ? 'no added latency:\n' : `${latencyMs} ms added to every request:\n`);
      const timed = async (name: string, expected: number, run: () => Promise<number>) => {
        await sqs.send(new PurgeQueueCommand({ QueueUrl: served.queueUrl }));
        const started = performance.now();
        const enqueued = await run();
        const seconds = (performance.now() - started) / 1000;
        const depth = await queueDepth(sqs, served.queueUrl);
        if (enqueued !== expected || depth !== expected) {
          throw new Error(`${name}: enqueued ${enqueued}, queue holds ${depth}, expected ${expected}`);
        }
        const r = {
          name,
          latencyMs,
          enqueued,
          seconds: Math.round(seconds * 100) / 100,
          keysPerSecond: Math.round(enqueued / seconds),
        };
        results.push(r);
        process.stdout.write(
          `  ${name.padEnd(36)} ${enqueued.toLocaleString('en-US').padStart(8)} keys ${r.seconds.toFixed(2).padStart(7)} s ${r.keysPerSecond.toLocaleString('en-US').padStart(8)} keys/s\n`,
        );
      };
      const deps = {
        s3,
        sqs,
        doc: clients.doc,
        queueUrl: served.queueUrl,
        tableName: config.tableName,
        analysisVersion: 'bench',
      };
      const ours = (skipCatalogued: boolean) => async () =>
        (
          await runBackfill(
            { bucket: served.bucket, skipCatalogued, checkpointFile: join(dir, `run-${runs++}.json`) },
            deps,
          )
        ).run.enqueued;
      const rounds = latencyMs === 0 ? o.rounds : 1;
      for (let round = 0; round < rounds; round++) {
        const limit = latencyMs === 0 ? o.keys : Math.min(o.keys, o.latencyKeys);
        await timed('sequential list-then-send', limit, () =>
          sequentialBackfill(s3, sqs, served.bucket, served.queueUrl, limit),
        );
        await timed('backfill (no catalogue check)', o.keys, ours(false));
        await timed('backfill (default, catalogue check)', o.keys, ours(true));
      }
      destroyClients(clients);
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const best = (name: string, latencyMs: number) =>
    results
      .filter((r) => r.name === name && r.latencyMs === latencyMs)
      .reduce((a, b) => (b.keysPerSecond > a.keysPerSecond ? b : a)).keysPerSecond;
  const figures = (o.latencyMs > 0 ? [0, o.latencyMs] : [0]).map((latencyMs) => {
    const sequential = best('sequential list-then-send', latencyMs);
    const backfill = best('backfill (no catalogue check)', latencyMs);
    const withCheck = best('backfill (default, catalogue check)', latencyMs);
    const speedUp = Math.round((backfill / sequential) * 10) / 10;
    process.stdout.write(
      `${latencyMs} ms: backfill ${backfill.toLocaleString('en-US')} keys/s (${withCheck.toLocaleString('en-US')} with the catalogue check) ` +
        `vs sequential ${sequential.toLocaleString('en-US')} keys/s: ${speedUp}x\n`,
    );
    return { latencyMs, sequential, backfill, backfillWithCatalogueCheck: withCheck, speedUp };
  });
  process.stdout.write(
    `${JSON.stringify({ bench: 'backfill', machine, keys: o.keys, prefixes: o.prefixes, figures, results })}\n`,
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
