import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import cliProgress from 'cli-progress';
import pino from 'pino';
import { CatalogueItem } from '../../shared/catalogue.ts';
import { loadConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { isClaimItem, isCountsItem } from '../../shared/table.ts';
import { createWebServer, type WebServer } from '../../web/server.ts';
import { createWorker, type WorkerHandle } from '../../worker/createWorker.ts';
import type { Outcome } from '../../worker/pipeline/outcome.ts';
import type { Analyser } from '../bedrock/analysers/types.ts';
import { type LocalStack, startLocalStack } from '../stack.ts';
import { contentTypeOf, listFolder } from './files.ts';
import { renderCatalogueTable } from './table.ts';

export interface DemoOptions {
  /** Folder whose files are uploaded (recursively). */
  folder: string;
  /** Where the stand-ins keep their state and the worker its log. */
  dataDir: string;
  analyser: 'on-device' | 'deterministic';
  ports: { s3sqs: number; dynamodb: number; bedrock: number; web: number };
  /** Serve the catalogue browser. */
  web: boolean;
  /** Extra worker variables (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  /** Human-readable output; default process.stdout. */
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Progress bar on a terminal (default: when `out` is one). */
  progress?: boolean;
}

export interface Demo {
  stack: LocalStack;
  worker: WorkerHandle;
  web?: WebServer;
  /** Every record outcome this run, in order. */
  outcomes: Outcome[];
  /** Uploads the folder and resolves when every file has a final outcome. */
  ingest(): Promise<{ uploaded: number; modelCalls: number; inputTokens: number; outputTokens: number; ms: number }>;
  items(): Promise<CatalogueItem[]>;
  close(): Promise<void>;
}

async function makeAnalyser(kind: DemoOptions['analyser']): Promise<Analyser> {
  if (kind === 'deterministic') {
    const { createDeterministicAnalyser } = await import('../bedrock/analysers/deterministic.ts');
    return createDeterministicAnalyser();
  }
  const { createOnDeviceAnalyser } = await import('../bedrock/analysers/onDevice.ts');
  return createOnDeviceAnalyser();
}

/** Starts the whole system locally: stand-ins, worker, browser. Nothing here needs an AWS account. */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const out = options.out ?? process.stdout;
  mkdirSync(options.dataDir, { recursive: true });
  const workerLog: Logger = pino(
    { level: options.env?.LOG_LEVEL ?? 'info' },
    pino.destination({ dest: join(options.dataDir, 'worker.log'), sync: true }),
  );
  const stack = await startLocalStack({
    dataDir: options.dataDir,
    ports: { s3sqs: options.ports.s3sqs, dynamodb: options.ports.dynamodb, bedrock: options.ports.bedrock },
    bedrock: { analyser: await makeAnalyser(options.analyser) },
  });
  const outcomes: Outcome[] = [];
  let worker: WorkerHandle | undefined;
  let web: WebServer | undefined;
  try {
    const config = loadConfig({
      ...stack.env,
      WAIT_TIME_SECONDS: '2',
      WORKER_CONSUMERS: '2',
      SHUTDOWN_TIMEOUT_SECONDS: '10',
      ...options.env,
    });
    worker = await createWorker({ config, logger: workerLog });
    worker.worker.on('outcome', (o: Outcome) => outcomes.push(o));
    worker.worker.start();
    if (options.web) {
      web = await createWebServer({
        config,
        clients: { s3: stack.clients.s3, doc: stack.clients.ddbDoc },
        port: options.ports.web,
      });
    }
  } catch (error) {
    await worker?.close(1000);
    await stack.close();
    throw error;
  }
  const items = async () => {
    const all: CatalogueItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await stack.clients.ddbDoc.send(
        new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey: start }),
      );
      for (const raw of page.Items ?? [])
        if (!isClaimItem(raw) && !isCountsItem(raw)) all.push(CatalogueItem.parse(raw));
      start = page.LastEvaluatedKey;
    } while (start);
    return all.sort((a, b) => a.key.localeCompare(b.key));
  };
  const handle = worker;
  return {
    stack,
    worker: handle,
    web,
    outcomes,
    items,
    async ingest() {
      const started = performance.now();
      const files = listFolder(options.folder);
      const pending = new Set(files.map((f) => f.key));
      const seen = outcomes.length;
      const useBar = options.progress ?? out.isTTY === true;
      const bar = useBar
        ? new cliProgress.SingleBar(
            {
              stream: out as NodeJS.WriteStream,
              format: '{bar} {value}/{total} images | {last}',
              hideCursor: true,
              fps: 10,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      bar?.start(files.length, 0, { last: '' });
      const finished = new Promise<void>((resolve) => {
        const check = (o: Outcome) => {
          if (o.outcome === 'retry' || !pending.has(o.key)) return;
          pending.delete(o.key);
          bar?.update(files.length - pending.size, { last: `${o.key}: ${o.outcome}` });
          if (!bar) out.write(`  ${o.outcome.padEnd(10)} ${o.key}${o.reason ? ` (${o.reason})` : ''}\n`);
          if (pending.size === 0) {
            handle.worker.off('outcome', check);
            resolve();
          }
        };
        handle.worker.on('outcome', check);
        if (pending.size === 0) resolve();
      });
      for (const f of files) {
        await stack.clients.s3.send(
          new PutObjectCommand({
            Bucket: stack.bucket,
            Key: f.key,
            Body: readFileSync(f.path),
            ContentType: contentTypeOf(f.key),
          }),
        );
      }
      await finished;
      bar?.stop();
      const mine = outcomes.slice(seen);
      return {
        uploaded: files.length,
        modelCalls: mine.reduce((n, o) => n + (o.modelCalls ?? 0), 0),
        inputTokens: mine.reduce((n, o) => n + (o.inputTokens ?? 0), 0),
        outputTokens: mine.reduce((n, o) => n + (o.outputTokens ?? 0), 0),
        ms: Math.round(performance.now() - started),
      };
    },
    async close() {
      await web?.close();
      await handle.close();
      await stack.close();
    },
  };
}

export { renderCatalogueTable };
