import type { CpuSample, CpuSummary } from './cpu.ts';
import { summariseCpu } from './cpu.ts';
import type { ChildStats } from './ipc.ts';
import type { BenchParams, Scenario } from './plan.ts';
import type { StandInSnapshot } from './standInProcess.ts';
import {
  lostCount,
  type MinuteWindow,
  percentile,
  ratePerMinute,
  rollingRate,
  type SeriesPoint,
  steadyWindow,
  throttledFraction,
  type Utilisation,
  utilisation,
} from './stats.ts';

export interface ScenarioResult {
  id: string;
  strategy: Scenario['strategy'];
  fleet: Scenario['fleet'];
  minutes: number;
  window: MinuteWindow;
  /** Catalogued images per quota minute inside the window, and as a fraction of the requests quota. */
  imagesPerMinute: number;
  imagesPerQuota: number;
  utilisation: Utilisation;
  /** Model calls the stand-in saw over the whole run (all minutes), accepted and throttled. */
  modelCalls: number;
  accepted: number;
  throttled: number;
  throttledFraction: number;
  /** Model calls per catalogued image, minus one. */
  retriesPerImage: number;
  /** Records that ran out of their retry budget (their message went back to SQS). */
  failedAttempts: number;
  latency: { p50Ms: number; p95Ms: number; p50Minutes: number; p95Minutes: number };
  enqueued: number;
  catalogued: number;
  /** Catalogued items the table holds (a cross-check of `catalogued`). */
  cataloguedInTable: number;
  /** Other final outcomes (rejected, stale, skipped): none expected. */
  otherFinal: number;
  queued: number;
  dlq: number;
  lost: number;
  /** The feeder ran out of objects: the fleet may have starved. */
  starved: boolean;
  wallMs: number;
  cpu: CpuSummary;
  /**
   * Share of the binding quota (0-1) that catalogued images used over the last rolling quota minute, every eighth of
   * a minute: their tokens ÷ tpm, or their count ÷ rpm.
   */
  series: SeriesPoint[];
  /** The stand-in's per-minute counts (accepted and throttled calls, settled tokens). */
  minutesSeen: { minute: number; accepted: number; throttled: number; tokensSettled: number }[];
  /** When the fleet changed or Redis restarted, quota minutes since the start. */
  marks: { minute: number; label: string }[];
  workers: {
    throttlesSeen: number;
    storeSwitches: number;
    released: number;
    /** Mean over processes of the share of time their limiter had no call waiting (ours and two-bucket: n/a). */
    idleFraction: number;
    meanFactor: number;
    minFactor: number;
  };
}

/** What a scenario collected while it ran, for {@link summarise}. */
export interface Collected {
  /** Wall clock (ms) when the workers were told to start. */
  t0: number;
  /** Catalogued key → when (wall clock ms) and the tokens its call used. */
  catalogued: ReadonlyMap<string, { at: number; tokens: number }>;
  enqueuedAt: ReadonlyMap<string, number>;
  enqueued: number;
  otherFinal: number;
  failedAttempts: number;
  standIn: StandInSnapshot;
  queued: number;
  dlq: number;
  cataloguedInTable: number;
  starved: boolean;
  wallMs: number;
  cpuSamples: readonly CpuSample[];
  cores: number;
  marks: ScenarioResult['marks'];
  childStats: readonly ChildStats[];
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Every figure of a scenario, from what it collected (see ScenarioResult for each one's definition). */
export function summarise(scenario: Scenario, params: BenchParams, c: Collected): ScenarioResult {
  const buckets = c.standIn.minutes;
  const window = steadyWindow(scenario.minutes);
  const done = [...c.catalogued];
  const latencies = done.map(([key, { at }]) => at - (c.enqueuedAt.get(key) ?? at));
  const used = utilisation(buckets, window, params);
  const byTokens = used.binding === 'tokens';
  const events = done.map(([, { at, tokens }]) => ({
    t: at - c.t0,
    w: byTokens ? tokens / params.tpm : 1 / params.rpm,
  }));
  const imagesPerMinute = ratePerMinute(
    done.map(([, { at }]) => at - c.t0),
    window,
    params.minuteMs,
  );
  const modelCalls = c.standIn.totals.requests;
  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  const n = Math.max(1, c.childStats.length);
  return {
    id: scenario.id,
    strategy: scenario.strategy,
    fleet: scenario.fleet,
    minutes: scenario.minutes,
    window,
    imagesPerMinute,
    imagesPerQuota: imagesPerMinute / params.rpm,
    utilisation: used,
    modelCalls,
    accepted: c.standIn.totals.accepted,
    throttled: c.standIn.totals.throttled.requests + c.standIn.totals.throttled.tokens,
    throttledFraction: throttledFraction(buckets),
    retriesPerImage: done.length > 0 ? modelCalls / done.length - 1 : Number.NaN,
    failedAttempts: c.failedAttempts,
    latency: { p50Ms: p50, p95Ms: p95, p50Minutes: p50 / params.minuteMs, p95Minutes: p95 / params.minuteMs },
    enqueued: c.enqueued,
    catalogued: done.length,
    cataloguedInTable: c.cataloguedInTable,
    otherFinal: c.otherFinal,
    queued: c.queued,
    dlq: c.dlq,
    lost: lostCount({ enqueued: c.enqueued - c.otherFinal, catalogued: done.length, queued: c.queued, dlq: c.dlq }),
    starved: c.starved,
    wallMs: c.wallMs,
    // CPU over the steady-state window, like every other figure (spawning and warm-up spikes are not the run's).
    cpu: summariseCpu(
      c.cpuSamples.filter((x) => x.t >= window.first * params.minuteMs),
      c.cores,
    ),
    series: rollingRate(events, params.minuteMs / 8, scenario.minutes * params.minuteMs, params.minuteMs),
    marks: c.marks,
    minutesSeen: buckets.map((b) => ({
      minute: b.minute,
      accepted: b.accepted,
      throttled: b.throttledRequests + b.throttledTokens,
      tokensSettled: b.tokensSettled,
    })),
    workers: {
      throttlesSeen: sum(c.childStats.map((x) => x.throttles)),
      storeSwitches: sum(c.childStats.map((x) => x.storeSwitches)),
      released: sum(c.childStats.map((x) => x.released)),
      idleFraction: sum(c.childStats.map((x) => x.idleFraction)) / n,
      meanFactor: sum(c.childStats.map((x) => x.meanFactor)) / n,
      minFactor: Math.min(1, ...c.childStats.map((x) => x.minFactor)),
    },
  };
}
