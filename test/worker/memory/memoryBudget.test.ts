import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBackfillMessage } from '../../../shared/messages.ts';
import { FAST_WORKER_ENV, pollUntil, type System, startSystem } from '../../helpers/system.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MiB = 1024 * 1024;
const OBJECTS = 40;
const OBJECT_BYTES = 50 * MiB;
/** The budget under test: three 50 MiB bodies at once. */
const BUDGET = 160 * MiB;

/**
 * A 50 MiB object that prepares quickly: a 1600×1200 JPEG followed by padding after its end-of-image marker (image
 * decoders stop there, S3 and the worker's byte budget count every byte). `n` makes each object's bytes distinct.
 */
async function paddedJpeg(jpeg: Buffer, n: number): Promise<Buffer> {
  const body = Buffer.alloc(OBJECT_BYTES);
  jpeg.copy(body);
  body.write(`object ${n}`, jpeg.length + 16);
  return body;
}

/** Peak resident set of a live process, bytes: the kernel's high-water mark (Linux), no sampling to miss a spike. */
function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kb) throw new Error(`no VmHWM for process ${pid}`);
  return Number(kb) * 1024;
}

/**
 * Issue 13, "Done when" 4: the real worker CLI, as a child process with the default 40 messages in flight (4 consumers
 * × 10), is fed 40 objects of 50 MiB and catalogues them all while its peak RSS stays under the bodies' budget plus
 * the runtime's own footprint. The same run with the budget lifted is the control: it must go over, or the test
 * could not tell a working budget from a lucky run.
 */
describe('worker byte budget (WORKER_MAX_INFLIGHT_BYTES)', () => {
  let system: System;
  let keys: string[];
  const children: ChildProcess[] = [];

  /** Runs the worker CLI until every object has an item written after `since`; returns its peak RSS. */
  async function runWorker(env: Record<string, string>, since: string): Promise<number> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'worker/main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...system.stack.env, ...FAST_WORKER_ENV, WORKER_CONSUMERS: '4', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let early: number | null | undefined;
    void exited.then((code) => (early = code));
    // The worker is another process: its effects in the table are all the test can see.
    await pollUntil(
      async () => {
        if (early !== undefined) throw new Error(`worker exited (${early}) early: ${stderr}`);
        const items = await system.items();
        return items.filter((i) => i.status === 'catalogued' && i.updatedAt > since).length === OBJECTS;
      },
      `${OBJECTS} objects catalogued`,
      300_000,
    );
    const peak = peakRss(child.pid!);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    return peak;
  }

  beforeAll(async () => {
    system = await startSystem();
    const jpeg = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#4a7' } })
      .jpeg()
      .toBuffer();
    keys = Array.from({ length: OBJECTS }, (_, n) => `large/${String(n).padStart(2, '0')}.jpg`);
    for (const [n, key] of keys.entries()) await system.put(key, await paddedJpeg(jpeg, n));
  }, 300_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await system?.close();
  });

  it('catalogues 40 objects of 50 MiB with 40 in flight, peak RSS under the budget plus the runtime', async () => {
    const budgeted = await runWorker({ WORKER_MAX_INFLIGHT_BYTES: String(BUDGET) }, '');
    const items = await system.items();
    expect(items.filter((i) => i.status === 'catalogued').map((i) => i.key)).toEqual(keys);
    expect(items.every((i) => i.size === OBJECT_BYTES)).toBe(true);

    // The control: the same 40 objects again, with room for every body at once. Their items are deleted first, so the
    // run must fetch, prepare and write each of them again.
    for (const item of items) {
      await system.stack.clients.ddbDoc.send(
        new DeleteCommand({ TableName: system.stack.tableName, Key: { id: item.id } }),
      );
    }
    const since = new Date().toISOString();
    for (let i = 0; i < OBJECTS; i += 10) {
      const entries = await Promise.all(
        keys.slice(i, i + 10).map(async (key, j) => {
          const head = await system.stack.clients.s3.send(
            new HeadObjectCommand({ Bucket: system.stack.bucket, Key: key }),
          );
          const body = makeBackfillMessage({
            bucket: system.stack.bucket,
            key,
            eTag: head.ETag ?? '',
            size: OBJECT_BYTES,
          });
          return { Id: String(j), MessageBody: body };
        }),
      );
      await system.stack.clients.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: system.stack.queueUrl, Entries: entries }),
      );
    }
    const unbounded = await runWorker({ WORKER_MAX_INFLIGHT_BYTES: String(OBJECTS * OBJECT_BYTES) }, since);

    const mib = (b: number) => Math.round(b / MiB);
    process.stdout.write(
      `${JSON.stringify({ budgetMiB: mib(BUDGET), peakRssMiB: mib(budgeted), unboundedPeakRssMiB: mib(unbounded) })}\n`,
    );
    // The runtime's own footprint (Node, sharp/libvips, the SDK clients, pipelines in flight) is allowed 400 MiB.
    const limit = BUDGET + 400 * MiB;
    expect(mib(budgeted)).toBeLessThan(mib(limit));
    expect(mib(unbounded)).toBeGreaterThan(mib(limit));
  }, 900_000);
});
