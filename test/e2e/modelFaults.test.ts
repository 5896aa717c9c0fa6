import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.ts';
import { DEFAULT_MODEL_ID } from '../../shared/models.ts';
import { createWorker, type WorkerHandle } from '../../worker/createWorker.ts';
import type { Outcome } from '../../worker/pipeline/outcome.ts';
import { FAST_WORKER_ENV, pollUntil, type System, startSystem } from '../helpers/system.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLAUDE_3_HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';

let system: System | undefined;
const handles: WorkerHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.close(2000);
  await system?.close();
  system = undefined;
});

/** Runs a command of the project in a child process; resolves with its exit code and output. */
async function runCommand(file: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, file), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c;
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** 32 × 32 JPEGs of distinct colours: distinct bytes, so each needs its own model call. */
async function distinctImages(n: number): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      sharp({ create: { width: 32, height: 32, channels: 3, background: { r: i % 256, g: (i * 7) % 256, b: 99 } } })
        .jpeg()
        .toBuffer(),
    ),
  );
}

/** A worker whose log lines at level error and above are kept. */
async function workerWithLog(sys: System, over: Record<string, string>) {
  const lines: { level: number; msg: string }[] = [];
  const logger = createLogger(
    { level: 'warn', format: 'json' },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  const handle = await createWorker({ config: sys.config(over), logger });
  const outcomes: Outcome[] = [];
  handle.worker.on('outcome', (o: Outcome) => outcomes.push(o));
  handles.push(handle);
  return { handle, outcomes, errors: () => lines.filter((l) => l.level >= 50) };
}

describe('start-up check: an end-of-life MODEL_ID', () => {
  it('the worker exits 3 before taking a message, saying since when and what to use instead', async () => {
    system = await startSystem();
    const { stack } = system;
    await stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: JSON.stringify({ not: 'consumed' }) }),
    );

    const run = await runCommand('worker/main.ts', [], {
      ...stack.env,
      ...FAST_WORKER_ENV,
      LOG_LEVEL: 'error',
      MODEL_ID: CLAUDE_3_HAIKU,
    });

    expect(run.code).toBe(3);
    const message = run.stderr.trim();
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain('end of its life');
    expect(message).toContain('since 2026-09-10');
    expect(message).toContain(`Set MODEL_ID to ${DEFAULT_MODEL_ID}`);
    // The message was never received: this is its first receive.
    const received = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.queueUrl,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        WaitTimeSeconds: 1,
      }),
    );
    expect(received.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
  });

  it('npm start exits 3 likewise', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'start-eol-'));
    try {
      const args = ['--analyser', 'deterministic', '--no-web', '--exit-when-idle', '--data-dir', dataDir];
      const ports = ['--port-s3sqs', '0', '--port-dynamodb', '0', '--port-bedrock', '0'];
      const run = await runCommand('local/start.ts', [...args, ...ports], { MODEL_ID: CLAUDE_3_HAIKU });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('since 2026-09-10');
      expect(run.stderr).toContain(DEFAULT_MODEL_ID);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('configuration faults at run time pause the fleet', () => {
  it('access denied mid-run: nothing rejected, deleted or dead-lettered, one error line, /health 503; granted again: all catalogued', async () => {
    system = await startSystem();
    const sys = system;
    const bedrock = sys.stack.bedrock!;
    const { handle, outcomes, errors } = await workerWithLog(sys, { METRICS_PORT: '0', MODEL_PROBE_SECONDS: '1' });
    handle.worker.start();
    const images = await distinctImages(200);
    await Promise.all(images.map((body, i) => sys.put(`photos/${String(i).padStart(3, '0')}.jpg`, body)));
    await pollUntil(
      () => outcomes.filter((o) => o.outcome === 'catalogued').length >= 10,
      'the first catalogued images',
    );

    const paused = once(handle.gate, 'paused');
    bedrock.setAccess({ deny: [DEFAULT_MODEL_ID] });
    await paused;
    await pollUntil(() => handle.worker.stats.inFlight === 0, 'the held messages to be released', 60_000);
    const cataloguedAtPause = outcomes.filter((o) => o.outcome === 'catalogued').length;
    expect(cataloguedAtPause).toBeLessThan(200);
    const health = await fetch(`${handle.metricsUrl}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unhealthy', paused: 'configuration', fault: 'access-denied' });
    const metrics = await (await fetch(`${handle.metricsUrl}/metrics`)).text();
    expect(metrics).toContain('catalogue_model_paused{reason="configuration"} 1');
    // Paused means paused: a few probes later, no message is being taken.
    const probes = handle.gate.paused?.probes ?? 0;
    await pollUntil(() => (handle.gate.paused?.probes ?? 0) >= probes + 2, 'two more probes', 30_000);
    expect(handle.worker.stats.inFlight).toBe(0);

    bedrock.setAccess({ grant: [DEFAULT_MODEL_ID] });
    await pollUntil(
      () => outcomes.filter((o) => o.outcome === 'catalogued').length >= 200,
      'all 200 catalogued after access is granted',
      120_000,
    );
    const items = await sys.items();
    expect(items.filter((i) => i.status === 'catalogued')).toHaveLength(200);
    expect(items.filter((i) => i.status === 'rejected')).toHaveLength(0);
    expect(outcomes.filter((o) => o.outcome === 'rejected' || o.outcome === 'failed')).toEqual([]);
    expect(await sys.deadLetters()).toEqual([]);
    expect(errors()).toHaveLength(1);
    expect(errors()[0]?.msg).toContain('model calls paused');
    expect((await fetch(`${handle.metricsUrl}/health`)).status).toBe(200);
  }, 240_000);

  it('a daily budget that runs out mid-run pauses consumption; nothing reaches the DLQ; work resumes when it refills', async () => {
    // A quota "minute" of 10 ms: the stand-in's rolling day (1,440 minutes) lasts 14.4 s.
    system = await startSystem({ bedrock: { minuteMs: 10 } });
    const sys = system;
    const bedrock = sys.stack.bedrock!;
    // Few messages held at once: each pause hands back what is held, and a redelivery counts a receive.
    const { handle, outcomes } = await workerWithLog(sys, {
      MODEL_PROBE_SECONDS: '1',
      WORKER_CONSUMERS: '1',
      WORKER_BATCH_SIZE: '2',
    });
    // Measure one request, then allow about eight a day.
    handle.worker.start();
    const images = await distinctImages(24);
    await sys.put('day/000.jpg', images[0]!);
    await pollUntil(() => outcomes.some((o) => o.outcome === 'catalogued'), 'the first image');
    const perRequest = bedrock.stats().models[DEFAULT_MODEL_ID]?.tokensSettled ?? 0;
    expect(perRequest).toBeGreaterThan(0);
    bedrock.setQuota({ modelId: DEFAULT_MODEL_ID, tpd: Math.round(perRequest * 8) });
    let pauses = 0;
    handle.gate.on('paused', (state: { kind: string }) => {
      if (state.kind === 'daily-quota') pauses++;
    });
    await Promise.all(images.slice(1).map((body, i) => sys.put(`day/${String(i + 1).padStart(3, '0')}.jpg`, body)));

    await pollUntil(
      () => outcomes.filter((o) => o.outcome === 'catalogued').length >= 24,
      'all 24 catalogued across daily budgets',
      180_000,
    );
    expect(pauses).toBeGreaterThanOrEqual(1);
    expect(bedrock.stats().models[DEFAULT_MODEL_ID]?.throttled.day).toBeGreaterThanOrEqual(1);
    expect(outcomes.filter((o) => o.outcome === 'rejected' || o.outcome === 'failed')).toEqual([]);
    expect(await sys.deadLetters()).toEqual([]);
    const items = await sys.items();
    expect(items.filter((i) => i.status === 'catalogued')).toHaveLength(24);
  }, 240_000);
});
