import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';

/** A redis-server process of the test's own, on 127.0.0.1 and a free port, with persistence off. */
export interface RedisServerHandle {
  url: string;
  port: number;
  /** Starts the server again on the same port (after {@link RedisServerHandle.stop}). */
  start(): Promise<void>;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stop, then start on the same port: every key and loaded script is gone, as after a real restart. */
  restart(): Promise<void>;
}

const INSTALL_HINT =
  'redis-server is not installed: the quota tests need it. Install the Debian package: ' +
  '`apt-get update && apt-get install -y redis-server` (CI installs it too).';

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function checkInstalled(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(INSTALL_HINT);
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
  return child;
}

/** Starts a redis-server for one test file. Fails (never skips) with an install hint when redis-server is missing. */
export async function startRedis(): Promise<RedisServerHandle> {
  checkInstalled();
  let port = 0;
  let child: ChildProcess | undefined;
  // Another process may take the port between freePort() and the bind: try a few.
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(port);
    } catch (error) {
      if (attempt >= 4) throw error;
    }
  }
  const handle: RedisServerHandle = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) return;
      child = await launch(port);
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
