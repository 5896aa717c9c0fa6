import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { BenchParams } from './plan.ts';
import type { MinuteCounts } from './stats.ts';

const MAIN = fileURLToPath(new URL('../../local/bedrock/main.ts', import.meta.url));

const Counters = z.object({
  requests: z.number(),
  accepted: z.number(),
  throttled: z.object({ requests: z.number(), tokens: z.number() }),
});

const Minute = z.object({
  minute: z.number(),
  rpm: z.number(),
  tpm: z.number(),
  requests: z.number(),
  accepted: z.number(),
  throttledRequests: z.number(),
  throttledTokens: z.number(),
  tokensSettled: z.number(),
});

const Stats = z.object({
  totals: Counters,
  models: z.record(z.string(), Counters.extend({ minutes: z.array(Minute) })),
});

export interface StandInSnapshot {
  totals: z.infer<typeof Counters>;
  /** Per-minute counts of the (single) model the workers call. */
  minutes: MinuteCounts[];
}

/** The Bedrock stand-in in a process of its own, driven over its admin routes. */
export interface StandInProcess {
  url: string;
  pid: number | undefined;
  stats(): Promise<StandInSnapshot>;
  /** Forgets every counter, the quota window and the minute buckets: minute 0 starts now. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts `local/bedrock/main.ts` with the benchmark's quota, minute and latency. In its own process its
 * event loop does nothing but answer the model calls, so the instant it admits a call (what its rolling minute
 * counts) is not delayed by S3, SQS and DynamoDB work: at a compressed minute a 100 ms stall would be 1.5 s of a
 * real one, and would show as throttles that are the stand-in's, not the strategy's.
 */
export async function startStandInProcess(params: BenchParams): Promise<StandInProcess> {
  const args = [
    '--rpm',
    String(params.rpm),
    '--tpm',
    String(params.tpm),
    '--minute-ms',
    String(params.minuteMs),
    '--latency-ms',
    String(params.latency.fixedMs),
    '--latency-per-token-ms',
    String(params.latency.perOutputTokenMs),
    '--jitter',
    String(params.latency.jitter),
    '--seed',
    String(params.seed),
    '--log-level',
    'info',
  ];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', '--import', 'tsx', MAIN, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Bedrock stand-in did not start:\n${output}`)), 30_000);
    const watch = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        const found = /"url":"(http:\/\/[^"]+)"/.exec(line);
        if (found?.[1]) {
          clearTimeout(timer);
          resolve(found[1]);
        }
      }
    };
    child.stdout?.on('data', watch);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Bedrock stand-in exited (${code}):\n${output}`));
    });
  });
  child.stdout?.removeAllListeners('data').resume();
  const admin = async (method: string, path: string) => {
    const response = await fetch(`${url}/_standin/${path}`, { method });
    if (!response.ok) throw new Error(`${method} /_standin/${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<unknown>;
  };
  return {
    url,
    pid: child.pid,
    async stats() {
      const s = Stats.parse(await admin('GET', 'stats'));
      const model = Object.values(s.models)[0];
      return { totals: s.totals, minutes: model?.minutes ?? [] };
    },
    async reset() {
      await admin('POST', 'reset');
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
