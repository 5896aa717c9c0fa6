/**
 * The benchmark's arithmetic, kept pure so it can be tested: which minutes count, utilisation of the binding quota,
 * percentiles, and throughput over time.
 */

import type { MinuteBucket } from '../../local/bedrock/quotaStats.ts';

/** What the Bedrock stand-in counted in one quota minute (a subset of its MinuteBucket). */
export type MinuteCounts = Pick<
  MinuteBucket,
  'minute' | 'rpm' | 'tpm' | 'requests' | 'accepted' | 'throttledRequests' | 'throttledTokens' | 'tokensSettled'
>;

/** Quota minutes [first, last], both included, counted since the workers were told to start. */
export interface MinuteWindow {
  first: number;
  last: number;
}

/**
 * The steady-state window of a run of `minutes` quota minutes: every full minute but the first (warm-up: processes
 * connect, buckets start in debt, baselines burst). Minute `minutes` and later, when the fleet is being stopped, is
 * partial and never counts. Runs shorter than 2 minutes keep their last minute.
 */
export function steadyWindow(minutes: number): MinuteWindow {
  if (!Number.isInteger(minutes) || minutes < 1)
    throw new RangeError(`minutes must be a positive integer (${minutes})`);
  return { first: Math.min(1, minutes - 1), last: minutes - 1 };
}

function windowLength(w: MinuteWindow): number {
  return w.last - w.first + 1;
}

export interface Utilisation {
  /** Accepted requests ÷ requests quota over the window, 0-1. */
  requests: number;
  /** Settled tokens ÷ tokens quota over the window, 0-1. */
  tokens: number;
  /** The quota nearer its limit. */
  binding: 'requests' | 'tokens';
  /** Utilisation of the binding quota, 0-1. */
  value: number;
  /** Per minute of the window, utilisation of the binding quota (to spot a dip). */
  perMinute: number[];
}

/** Utilisation over a window of per-minute counts (minutes missing from `buckets` count as idle). */
export function utilisation(buckets: readonly MinuteCounts[], w: MinuteWindow, quota: { rpm: number; tpm: number }) {
  const byMinute = new Map(buckets.map((b) => [b.minute, b]));
  let accepted = 0;
  let rpm = 0;
  let tokens = 0;
  let tpm = 0;
  const rows: { r: number; t: number }[] = [];
  for (let m = w.first; m <= w.last; m++) {
    const b = byMinute.get(m);
    const bRpm = b?.rpm ?? quota.rpm;
    const bTpm = b?.tpm ?? quota.tpm;
    accepted += b?.accepted ?? 0;
    tokens += b?.tokensSettled ?? 0;
    rpm += bRpm;
    tpm += bTpm;
    rows.push({ r: (b?.accepted ?? 0) / bRpm, t: (b?.tokensSettled ?? 0) / bTpm });
  }
  const r = rpm > 0 ? accepted / rpm : 0;
  const t = tpm > 0 ? tokens / tpm : 0;
  const binding: Utilisation['binding'] = r >= t ? 'requests' : 'tokens';
  return {
    requests: r,
    tokens: t,
    binding,
    value: binding === 'requests' ? r : t,
    perMinute: rows.map((row) => (binding === 'requests' ? row.r : row.t)),
  } satisfies Utilisation;
}

/** Throttled admissions ÷ all admissions over every minute counted, 0-1 (0 when nothing was asked). */
export function throttledFraction(buckets: readonly MinuteCounts[]): number {
  let requests = 0;
  let throttled = 0;
  for (const b of buckets) {
    requests += b.requests;
    throttled += b.throttledRequests + b.throttledTokens;
  }
  return requests > 0 ? throttled / requests : 0;
}

/** Nearest-rank percentile (p in 0-100) of unsorted values; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)] as number;
}

/** Events (ms since the start) that fall inside the window's minutes, per quota minute. */
export function ratePerMinute(times: readonly number[], w: MinuteWindow, minuteMs: number): number {
  const from = w.first * minuteMs;
  const to = (w.last + 1) * minuteMs;
  const n = times.filter((t) => t >= from && t < to).length;
  return n / windowLength(w);
}

export interface SeriesPoint {
  /** End of the rolling window, quota minutes since the start. */
  minute: number;
  /** Sum of the events' weights in the minute that ends here. */
  perMinute: number;
}

/** Something that happened at `t` (ms since the start) and weighs `w` (1 for a count, or its tokens). */
export interface Weighted {
  t: number;
  w: number;
}

/**
 * The sum of the events' weights over the last rolling quota minute, every `stepMs` until `endMs`: what Bedrock's own
 * window holds (so it starts from 0 during the first minute).
 */
export function rollingRate(
  events: readonly Weighted[],
  stepMs: number,
  endMs: number,
  minuteMs: number,
): SeriesPoint[] {
  if (!(stepMs > 0) || !(endMs > 0)) return [];
  const sorted = events.filter((e) => e.t >= 0 && e.t < endMs).sort((a, b) => a.t - b.t);
  const points: SeriesPoint[] = [];
  let lo = 0;
  let hi = 0;
  let sum = 0;
  for (let t = stepMs; t <= endMs + 1e-9; t += stepMs) {
    for (; hi < sorted.length && (sorted[hi] as Weighted).t < t; hi++) sum += (sorted[hi] as Weighted).w;
    for (; lo < hi && (sorted[lo] as Weighted).t < t - minuteMs; lo++) sum -= (sorted[lo] as Weighted).w;
    points.push({ minute: t / minuteMs, perMinute: sum });
  }
  return points;
}

/** Messages neither catalogued nor still in the queue or the DLQ at the end: gone without a trace. */
export function lostCount(counts: { enqueued: number; catalogued: number; queued: number; dlq: number }): number {
  return Math.max(0, counts.enqueued - counts.catalogued - counts.queued - counts.dlq);
}
