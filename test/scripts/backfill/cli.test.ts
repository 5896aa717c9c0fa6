import { type ChildProcess, spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { readCheckpoint } from '../../../scripts/backfill/Checkpoint.ts';
import { runBackfill } from '../../../scripts/backfill/runBackfill.ts';
import { loadConfig } from '../../../shared/config.ts';
import { loadPrompt } from '../../../worker/model/prompt.ts';
import { awkwardBucket, drainBackfillMessages, duplicates, fillBucket } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `npm run backfill -- args` as a child process on the stack's environment. */
function backfill(args: string[], env: Record<string, string>): { child: ChildProcess; exit: Promise<Exit> } {
  // One process (tsx as a loader, not its CLI, which runs the script in a grandchild): a SIGKILL must hit the backfill.
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/backfill.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_FORMAT: 'json', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const exit = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exit };
}

/**
 * Resolves once the checkpoint file satisfies `predicate`, woken by each change to its folder (the backfill writes it
 * atomically: a temporary file renamed over it), not by a timer. Fails after a generous deadline.
 */
function untilCheckpoint(
  file: string,
  predicate: (c: NonNullable<Awaited<ReturnType<typeof readCheckpoint>>>) => boolean,
  timeoutMs = 60_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let checking = false;
    let again = false;
    // Watch first, then read: a write between the two still wakes the check.
    const watcher = watch(dirname(file), () => void check());
    const timer = setTimeout(
      () => finish(new Error(`timed out after ${timeoutMs} ms waiting for the checkpoint`)),
      timeoutMs,
    );
    function finish(error?: Error) {
      clearTimeout(timer);
      watcher.close();
      if (error) reject(error);
      else resolve();
    }
    // One read at a time; a change during a read triggers one more.
    async function check(): Promise<void> {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      do {
        again = false;
        const c = await readCheckpoint(file).catch(() => undefined);
        if (c && predicate(c)) return finish();
      } while (again);
      checking = false;
    }
    void check();
  });
}

// Child processes start tsx and the SDK: on a busy two-core machine one test took half the default minute.
describe('npm run backfill (the CLI, as a child process)', { timeout: 180_000 }, () => {
  let stack: LocalStack;
  let dir: string;
  let images: string[];
  let env: Record<string, string>;

  beforeAll(async () => {
    // The Bedrock stand-in answers the dry run's model check (loopback only).
    stack = await startLocalStack({ bridge: false });
    env = stack.env;
    dir = await mkdtemp(join(tmpdir(), 'backfill-cli-'));
    const bucket = awkwardBucket(1500);
    images = bucket.images;
    await fillBucket(stack.clients.s3, stack.bucket, bucket.objects);
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const resumeDeps = () => ({
    s3: stack.clients.s3,
    sqs: stack.clients.sqs,
    doc: stack.clients.ddbDoc,
    queueUrl: stack.queueUrl,
    tableName: stack.tableName,
    analysisVersion: loadPrompt(loadConfig(env)).analysisVersion,
  });

  /** Starts a paced run and kills it with `signal` once the checkpoint holds at least 300 committed messages. */
  async function interrupted(checkpoint: string, signal: NodeJS.Signals): Promise<Exit> {
    const run = backfill(
      [
        '--bucket',
        stack.bucket,
        '--checkpoint',
        checkpoint,
        '--rate',
        '400',
        '--concurrency',
        '2',
        '--page-size',
        '50',
      ],
      env,
    );
    await untilCheckpoint(checkpoint, (c) => c.committed.enqueued >= 300);
    run.child.kill(signal);
    return run.exit;
  }

  it('resumes after kill -9: every image enqueued, repeats bounded by the batches in flight', async () => {
    const checkpoint = join(dir, 'kill9.json');
    const killed = await interrupted(checkpoint, 'SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const first = (await drainBackfillMessages(stack.clients.sqs, stack.queueUrl)).map((m) => m.key);
    const saved = await readCheckpoint(checkpoint);
    expect(saved?.complete).toBe(false);
    expect(first.length).toBeLessThan(images.length);

    const summary = await runBackfill({ bucket: stack.bucket, checkpointFile: checkpoint }, resumeDeps());
    const second = (await drainBackfillMessages(stack.clients.sqs, stack.queueUrl)).map((m) => m.key);
    expect(summary.outcome).toBe('complete');
    const all = [...first, ...second];
    expect([...new Set(all)].sort()).toEqual([...images].sort());
    // What was sent but not yet committed when the process died is sent again: at most --concurrency batches of 10.
    expect(duplicates(all).length).toBeLessThanOrEqual(2 * 10);
    expect(duplicates(second)).toEqual([]);
  });

  it('stops gracefully on SIGINT (exit 130) and resumes with nothing sent twice', async () => {
    const checkpoint = join(dir, 'sigint.json');
    const stopped = await interrupted(checkpoint, 'SIGINT');
    expect(stopped.code).toBe(130);
    const line = JSON.parse(stopped.stdout.trim().split('\n').at(-1)!);
    expect(line.backfill.outcome).toBe('aborted');
    expect(stopped.stdout).toContain('run the same command again to resume');
    const first = (await drainBackfillMessages(stack.clients.sqs, stack.queueUrl)).map((m) => m.key);
    expect(line.backfill.run.enqueued).toBe(first.length);

    const summary = await runBackfill({ bucket: stack.bucket, checkpointFile: checkpoint }, resumeDeps());
    const second = (await drainBackfillMessages(stack.clients.sqs, stack.queueUrl)).map((m) => m.key);
    const all = [...first, ...second];
    expect(duplicates(all)).toEqual([]);
    expect(all.sort()).toEqual([...images].sort());
    expect(summary.total.enqueued).toBe(images.length);
  });

  it('--dry-run prints a report and a final JSON line, and enqueues nothing', async () => {
    const { exit } = backfill(['--bucket', stack.bucket, '--dry-run', '--sample', '20', '--progress', 'none'], env);
    const done = await exit;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/would enqueue\s+[\d,]+/);
    expect(done.stdout).toMatch(/cost on demand/);
    const report = JSON.parse(done.stdout.trim().split('\n').at(-1)!).dryRun;
    expect(report.counts.enqueued).toBe(images.length);
    expect(report.sample.size).toBe(20);
    expect(await drainBackfillMessages(stack.clients.sqs, stack.queueUrl)).toEqual([]);
  });

  it('answers --help, and a bad flag with exit code 2', async () => {
    const help = await backfill(['--help'], env).exit;
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--reprocess-stale');
    const bad = await backfill(['--bucket', stack.bucket, '--concurrency', 'many'], env).exit;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--concurrency');
    const census = await readFile(join(ROOT, '.local', 'backfill'), 'utf8').catch(() => '');
    expect(census).toBe('');
  });
});
