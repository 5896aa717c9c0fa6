import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setPriority, tmpdir } from 'node:os';

/** A redis-server of the benchmark's own on 127.0.0.1, persistence off, that can be stopped and started again. */
export interface BenchRedis {
  url: string;
  port: number;
  /** PID of the running server, if any (for CPU accounting). */
  pid(): number | undefined;
  /** Stops the server (SIGTERM) and waits for it to exit: every key and loaded script is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

export function redisInstalled(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return !probe.error && probe.status === 0;
}

/** A port that was free a moment ago (redis-server does not accept `--port 0`). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function launch(port: number, timeoutMs = 10_000): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server not ready after ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      );
      const done = (error?: Error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const watch = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) done();
      };
      child.stdout?.on('data', watch);
      child.stderr?.on('data', watch);
      child.once('error', (error) => done(error));
      child.once('exit', (code) => done(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  child.stdout?.removeAllListeners('data').resume();
  child.stderr?.removeAllListeners('data').resume();
  return child;
}

/**
 * Starts redis-server on a free port, at `priority` (a nice value; every restart too) when the system allows it.
 * Throws with an install hint when it is missing.
 */
export async function startBenchRedis(options: { priority?: number } = {}): Promise<BenchRedis> {
  const prioritise = (c: ChildProcess) => {
    if (options.priority === undefined || c.pid === undefined) return;
    try {
      setPriority(c.pid, options.priority);
    } catch {
      // not permitted: run at the default priority
    }
  };
  if (!redisInstalled()) {
    throw new Error('redis-server is not installed (Debian: apt-get install -y redis-server): the benchmark needs it');
  }
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(port);
      prioritise(child);
    } catch (error) {
      if (attempt >= 4) throw error;
    }
  }
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  process.once('exit', () => {
    if (alive()) child?.kill('SIGKILL');
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => (alive() ? child?.pid : undefined),
    async stop() {
      if (!alive() || !child) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
    async start() {
      if (alive()) return;
      child = await launch(port);
      prioritise(child);
    },
  };
}
