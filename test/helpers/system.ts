import { readdirSync, readFileSync } from 'node:fs';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.ts';
import { CatalogueItem } from '../../shared/catalogue.ts';
import { type Config, loadConfig } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { isClaimItem, isCountsItem } from '../../shared/table.ts';
import { createWorker, type WorkerHandle } from '../../worker/createWorker.ts';
import { OutcomeSpy } from './outcomeSpy.ts';

export const FIXTURE_DIR = new URL('../fixtures/images/', import.meta.url);

/** The public-domain and CC0 photographs of the fixtures (not the derived odd formats). */
export const PHOTOS = [
  'astronaut.png',
  'camera.png',
  'chelsea.png',
  'coffee.png',
  'grace_hopper.jpg',
  'hubble_deep_field.jpg',
  'rocket.jpg',
  'text.png',
];

export function fixture(name: string): Buffer {
  return readFileSync(new URL(name, FIXTURE_DIR));
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR).sort();
}

/** Worker settings for tests: short polls and backoffs so shutdown and retries are quick. */
export const FAST_WORKER_ENV: Record<string, string> = {
  WAIT_TIME_SECONDS: '1',
  RETRY_BASE_MS: '5',
  RETRY_MAX_MS: '50',
  VISIBILITY_TIMEOUT_SECONDS: '30',
  HEARTBEAT_SECONDS: '10',
  SHUTDOWN_TIMEOUT_SECONDS: '5',
  WORKER_CONSUMERS: '2',
  LOG_LEVEL: 'silent',
  LOG_FORMAT: 'json',
};

/** The local stack plus helpers to run workers on it and read what they wrote. */
export async function startSystem(options: LocalStackOptions = {}) {
  const stack = await startLocalStack({ bedrock: {}, ...options });
  const workers: WorkerHandle[] = [];
  const spy = new OutcomeSpy();
  const system = {
    stack,
    /** Every outcome of every worker started here, as it happens: wait on it rather than polling the table. */
    spy,
    outcomes: spy.outcomes,
    config(over: Record<string, string> = {}): Config {
      return loadConfig({ ...stack.env, ...FAST_WORKER_ENV, ...over });
    },
    async startWorker(over: Record<string, string> = {}): Promise<WorkerHandle> {
      const config = system.config(over);
      const handle = await createWorker({
        config,
        logger: createLogger({ level: config.log.level, format: 'json' }),
      });
      spy.attach(handle.worker);
      handle.worker.start();
      workers.push(handle);
      return handle;
    },
    async put(key: string, body: Buffer) {
      await stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body }));
    },
    async remove(key: string) {
      await stack.clients.s3.send(new DeleteObjectCommand({ Bucket: stack.bucket, Key: key }));
    },
    async items(): Promise<CatalogueItem[]> {
      const out: CatalogueItem[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await stack.clients.ddbDoc.send(
          new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
        );
        // The workers' leases (claim#…) and the category counters (#counts#…) live in the same table but are not
        // catalogue items.
        for (const raw of page.Items ?? []) {
          if (!isClaimItem(raw) && !isCountsItem(raw)) out.push(CatalogueItem.parse(raw));
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return out.sort((a, b) => a.key.localeCompare(b.key));
    },
    /** Reads (and deletes) what is in the DLQ. */
    async deadLetters(): Promise<{ body: string; reason?: string }[]> {
      const out: { body: string; reason?: string }[] = [];
      for (;;) {
        const r = await stack.clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: stack.dlqUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
          }),
        );
        if (!r.Messages?.length) return out;
        for (const m of r.Messages) {
          out.push({ body: m.Body ?? '', reason: m.MessageAttributes?.['catalogue-reason']?.StringValue });
        }
      }
    },
    async close() {
      for (const w of workers.splice(0)) await w.close(2000);
      await stack.close();
    },
  };
  return system;
}

export type System = Awaited<ReturnType<typeof startSystem>>;

/**
 * Polls `check` until it returns a truthy value, or fails after `timeoutMs` with `what`. Only for state that emits no
 * event a test can wait on (another process's files, a child process's effects); a worker's outcomes are awaited
 * with `system.spy` instead.
 */
export async function pollUntil<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 60_000,
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type { LocalStack };
