import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../../local/bedrock/main.ts', import.meta.url));
const children: ChildProcess[] = [];

function start(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = await once(child, 'exit');
  return code as number | null;
}

/** The first log line that carries a URL: the CLI's announcement. */
async function announcedUrl(child: ChildProcess): Promise<string> {
  for await (const line of createInterface({ input: child.stdout! })) {
    const record = JSON.parse(line) as { url?: string };
    if (record.url) return record.url;
  }
  throw new Error('the CLI exited without announcing its URL');
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('the stand-in CLI', () => {
  it('prints its URL as a JSON log line, serves, and stops cleanly on SIGTERM', async () => {
    const child = start(['--rpm', '5', '--minute-ms', '1000']);

    const url = await announcedUrl(child);
    const health = await (await fetch(`${url}/_standin/health`)).json();
    const stats = await (await fetch(`${url}/_standin/stats`)).json();
    child.kill('SIGTERM');

    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(health).toEqual({ status: 'ok', analyser: 'deterministic' });
    expect(stats).toMatchObject({ minuteMs: 1000, quota: { default: { rpm: 5 } } });
    expect(await exitCode(child)).toBe(0);
  });

  it('exits 0 on --help and 2 on a bad argument', async () => {
    const help = start(['--help']);
    const bad = start(['--fault-503', '2']);

    expect(await exitCode(help)).toBe(0);
    expect(await exitCode(bad)).toBe(2);
  });
});
