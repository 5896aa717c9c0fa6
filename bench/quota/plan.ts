import type { Strategy } from './ipc.ts';

/**
 * What the benchmark runs: the quota, the time compression, the latency, and the scenarios (strategy × fleet).
 */

/** A Haiku-shaped on-demand quota: 1,000 requests/min and 2,000,000 tokens/min, 2,000 tokens per request. */
const HAIKU = { rpm: 1000, tpm: 2_000_000 } as const;

/**
 * Haiku's latency for a catalogue answer, real time: ~0.4 s to the first token, then ~8 ms per output token
 * (~125 tokens/s), ± 30 %. The benchmark compresses it by the same factor as the minute (see {@link benchParams}).
 */
const HAIKU_LATENCY = { fixedMs: 400, perOutputTokenMs: 8, jitter: 0.3 } as const;

/** Its SDK-independent timings that the benchmark scales with the minute: the baseline's 15 s pause, our backoff. */
export const REAL = { twoBucketPauseMs: 15_000, retryBaseMs: 500, retryMaxMs: 20_000 } as const;

/**
 * Which quota binds. `tokens` (default): a longer prompt brings each call to about 2,400 settled tokens, what a
 * 1568-px photo costs, so the tokens quota binds at ~80 % of the requests quota, as in production with Haiku.
 * `requests`: the plain prompt (~900 tokens a call with these small images), so the requests quota binds.
 */
type Workload = 'tokens' | 'requests';

/** Characters added to the prompt in the `tokens` workload (~1,500 tokens). */
const TOKENS_WORKLOAD_PAD_CHARS = 6_000;

export interface BenchParams {
  quick: boolean;
  workload: Workload;
  /** Characters appended to the prompt (0: the default prompt file). */
  promptPadChars: number;
  /** Length of a quota minute, real ms. */
  minuteMs: number;
  /** Requests per quota minute; tokens per minute keep Haiku's ratio. */
  rpm: number;
  tpm: number;
  /** Time compression: minuteMs / 60 000. */
  scale: number;
  latency: { fixedMs: number; perOutputTokenMs: number; jitter: number };
  /** Quota minutes of a plain run of ours (1 or 4 processes), and of a baseline's. */
  runMinutes: number;
  baselineMinutes: number;
  /** Receives before SQS moves a message to the DLQ (the infra's default). */
  maxReceiveCount: number;
  /** Distinct generated images. */
  images: number;
  /** How long Redis stays down in the restart scenario, real ms. */
  redisDownMs: number;
  /** A stopping worker's in-flight work gets this long before it is released to the queue, real ms. */
  shutdownDeadlineMs: number;
  /** Seed of the stand-in's latency jitter. */
  seed: number;
}

export interface ParamsInput {
  quick?: boolean;
  workload?: Workload;
  minuteMs?: number;
  rpm?: number;
}

/**
 * A minute of 5 s with 200 requests (about 32 calls/s once tokens bind) keeps the 2-core machine below saturation
 * with 4 worker processes and the stand-ins in two more, and the whole run under 5 minutes. Latency is compressed like the minute, so a call holds the same share of
 * Bedrock's rolling minute as in production (reservation of input + max_tokens while in flight matters to the
 * tokens quota), and the same share of a pause or backoff.
 */
export function benchParams(input: ParamsInput = {}): BenchParams {
  const quick = input.quick ?? false;
  const minuteMs = input.minuteMs ?? 5_000;
  const rpm = input.rpm ?? 200;
  const scale = minuteMs / 60_000;
  const workload = input.workload ?? 'tokens';
  return {
    quick,
    workload,
    promptPadChars: workload === 'tokens' ? TOKENS_WORKLOAD_PAD_CHARS : 0,
    minuteMs,
    rpm,
    tpm: rpm * (HAIKU.tpm / HAIKU.rpm),
    scale,
    latency: {
      fixedMs: HAIKU_LATENCY.fixedMs * scale,
      perOutputTokenMs: HAIKU_LATENCY.perOutputTokenMs * scale,
      jitter: HAIKU_LATENCY.jitter,
    },
    // Ours gets the longer runs: the targets are judged on its window, where one throttle costs ~5 % of a minute.
    runMinutes: quick ? 3 : 6,
    baselineMinutes: 3,
    maxReceiveCount: 5,
    images: 12,
    redisDownMs: Math.round(minuteMs / 4),
    shutdownDeadlineMs: Math.round(minuteMs / 4),
    seed: 42,
  };
}

export type FleetKind = '1' | '4' | '1→4→2' | '4 + Redis restart';

/** Something that happens during a run, at a quota minute since the start. */
type FleetEvent =
  | { atMinute: number; action: 'start'; count: number }
  | { atMinute: number; action: 'stop'; count: number }
  | { atMinute: number; action: 'redis-restart' };

export interface Scenario {
  id: string;
  strategy: Strategy;
  fleet: FleetKind;
  /** Processes spawned (and built) before the start. */
  processes: number;
  /** Started at minute 0. */
  initial: number;
  events: FleetEvent[];
  /** Quota minutes from the start to the stop. */
  minutes: number;
  /** Whether the processes share a Redis (ours with more than one process). */
  redis: boolean;
}

const LABELS: Record<Strategy, string> = {
  naive: 'naive (SDK standard retries)',
  adaptive: 'SDK adaptive retry mode',
  'two-bucket': 'two-bucket processor at 75 %',
  ours: 'ours (QuotaLimited + Retrying)',
};

export function strategyLabel(s: Strategy): string {
  return LABELS[s];
}

function plain(strategy: Strategy, processes: 1 | 4, minutes: number): Scenario {
  return {
    id: `${strategy}@${processes}`,
    strategy,
    fleet: processes === 1 ? '1' : '4',
    processes,
    initial: processes,
    events: [],
    minutes,
    redis: strategy === 'ours' && processes > 1,
  };
}

/** 1 → 4 → 2: three more processes join a third of the way in; two leave two thirds of the way in. */
function scaleScenario(strategy: Strategy, minutes: number): Scenario {
  const up = Math.round((minutes / 3) * 2) / 2;
  const down = Math.round(((minutes * 2) / 3) * 2) / 2;
  return {
    id: `${strategy}@1→4→2`,
    strategy,
    fleet: '1→4→2',
    processes: 4,
    initial: 1,
    events: [
      { atMinute: up, action: 'start', count: 3 },
      { atMinute: down, action: 'stop', count: 2 },
    ],
    minutes,
    redis: strategy === 'ours',
  };
}

/** 4 processes on one Redis, which is stopped and started again (same port, empty) in the middle. */
function restartScenario(minutes: number): Scenario {
  return {
    id: 'ours@4+restart',
    strategy: 'ours',
    fleet: '4 + Redis restart',
    processes: 4,
    initial: 4,
    events: [{ atMinute: minutes / 2, action: 'redis-restart' }],
    minutes,
    redis: true,
  };
}

/** Every scenario of a run, baselines first (ours last, at each fleet shape). */
export function scenarios(params: BenchParams): Scenario[] {
  const n = params.runMinutes;
  const b = params.baselineMinutes;
  if (params.quick) return [plain('naive', 1, b), plain('ours', 1, n), restartScenario(n)];
  const baselines: Strategy[] = ['naive', 'adaptive', 'two-bucket'];
  return [
    ...baselines.map((s) => plain(s, 1, b)),
    plain('ours', 1, n),
    ...baselines.map((s) => plain(s, 4, b)),
    plain('ours', 4, n),
    scaleScenario('ours', n + 2),
    // One more minute: the restart's cost (several seconds of quota: buckets re-created in debt, refunds owed by the
    // store that went away) is spread over the window like any other event's.
    restartScenario(n + 1),
  ];
}
