import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setPriority, tmpdir } from 'node:os';

/**
 * A redis-server of our own (tests, benchmarks), on 127.0.0.1 and a free port, with persistence off: the fleet's
 * shared quota store, run locally.
 */
export interface RedisServerHandle {
  url: string;
  port: number;
  /** PID of the running server, if any (for CPU accounting). */
  pid(): number | undefined;
  /** Starts the server again on the same port (after {@link RedisServerHandle.stop}). */
  start(): Promise<void>;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stop, then start on the same port: every key and loaded script is gone, as after a real restart. */
  restart(): Promise<void>;
}

const INSTALL_HINT =
  'redis-server is not installed: the quota tests and benchmark need it. Install the Debian package: ' +
  '`apt-get update && apt-get install -y redis-server` (CI installs it too).';

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

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
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function launch(port: number, timeoutMs = 10_000): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', [...args, '--dir', tmpdir(), '--loglevel', 'notice'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
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
  try {
    await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  // Ready: stop collecting its output, but keep draining it.
  child.stdout?.removeAllListeners('data').resume();
  child.stderr?.removeAllListeners('data').resume();
  return child;
}

/**
 * Starts a redis-server (one per test file or benchmark), at `priority` (a nice value, also after a restart) when the
 * system allows it. Fails (never skips) with an install hint when redis-server is missing.
 */
export async function startRedis(options: { priority?: number } = {}): Promise<RedisServerHandle> {
  if (!redisInstalled()) throw new Error(INSTALL_HINT);
  const prioritise = (c: ChildProcess) => {
    if (options.priority === undefined || c.pid === undefined) return;
    try {
      setPriority(c.pid, options.priority);
    } catch {
      // not permitted: run at the default priority
    }
  };
  let port = 0;
  let child: ChildProcess | undefined;
  // Another process may take the port between freePort() and the bind: try a few.
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
  const handle: RedisServerHandle = {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => (alive() ? child?.pid : undefined),
    async start() {
      if (alive()) return;
      child = await launch(port);
      prioritise(child);
    },
    async stop() {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = once(current, 'exit');
      current.kill('SIGTERM');
      await exited;
    },
    async restart() {
      await handle.stop();
      await handle.start();
    },
  };
  return handle;
}
