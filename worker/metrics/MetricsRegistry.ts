import type { QuotaLimiter } from '../quota/QuotaLimiter.ts';

/**
 * A tiny Prometheus registry (text exposition format 0.0.4), enough for the worker's /metrics endpoint without a
 * dependency. Metrics are collectors read at scrape time, so the numbers always come from their owner's own state.
 */

export type Labels = Record<string, string>;
export interface Sample {
  labels?: Labels;
  value: number;
}
export type MetricType = 'counter' | 'gauge';

interface Collector {
  name: string;
  help: string;
  type: MetricType;
  collect: () => Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** A counter or gauge this code increments or sets itself. */
export class Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly type: MetricType) {}

  inc(by = 1, labels: Labels = {}): void {
    if (by < 0 && this.type === 'counter') throw new RangeError('a counter only goes up');
    const entry = this.entry(labels);
    entry.value += by;
  }

  set(value: number, labels: Labels = {}): void {
    if (this.type === 'counter') throw new TypeError('set() is for gauges');
    this.entry(labels).value = value;
  }

  samples(): Sample[] {
    return [...this.values.values()].map(({ labels, value }) => ({ labels, value }));
  }

  private entry(labels: Labels) {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    let entry = this.values.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, value: 0 };
      this.values.set(key, entry);
    }
    return entry;
  }
}

export class MetricsRegistry {
  private readonly collectors = new Map<string, Collector>();

  /** Registers a metric read from its owner at scrape time. Names must be unique. */
  register(name: string, help: string, type: MetricType, collect: () => Sample[]): void {
    if (!NAME.test(name)) throw new RangeError(`invalid metric name ${JSON.stringify(name)}`);
    if (this.collectors.has(name)) throw new RangeError(`metric ${name} is already registered`);
    this.collectors.set(name, { name, help, type, collect });
  }

  /** A counter kept here: `inc(by, labels)`. */
  counter(name: string, help: string): Metric {
    const metric = new Metric('counter');
    this.register(name, help, 'counter', () => metric.samples());
    return metric;
  }

  /** A gauge kept here: `set(value, labels)`. */
  gauge(name: string, help: string): Metric {
    const metric = new Metric('gauge');
    this.register(name, help, 'gauge', () => metric.samples());
    return metric;
  }

  /** The Prometheus text exposition (`Content-Type: text/plain; version=0.0.4`). */
  render(): string {
    const lines: string[] = [];
    for (const c of this.collectors.values()) {
      lines.push(
        `# HELP ${c.name} ${c.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
        `# TYPE ${c.name} ${c.type}`,
      );
      for (const sample of c.collect()) {
        const entries = Object.entries(sample.labels ?? {});
        for (const [k] of entries) if (!LABEL.test(k)) throw new RangeError(`invalid label name ${JSON.stringify(k)}`);
        const labels = entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
        lines.push(`${c.name}${labels} ${formatValue(sample.value)}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type LimiterReading = (limiter: QuotaLimiter) => number;
const stat =
  (pick: (s: ReturnType<QuotaLimiter['stats']>) => number): LimiterReading =>
  (limiter) =>
    pick(limiter.stats());

/** The limiter's metrics: name, help, type and how to read each from the limiter at scrape time. */
const QUOTA_METRICS: ReadonlyArray<[string, string, 'counter' | 'gauge', LimiterReading]> = [
  ['quota_requests_admitted_total', 'Model calls admitted by the quota limiter', 'counter', stat((s) => s.admitted)],
  ['quota_tokens_reserved_total', 'Tokens reserved at admission (estimates)', 'counter', stat((s) => s.tokensReserved)],
  [
    'quota_tokens_used_total',
    'Tokens really used, as settled (input + output x burndown)',
    'counter',
    stat((s) => s.tokensUsed),
  ],
  ['quota_throttles_total', 'Throttles (429) reported by the model service', 'counter', stat((s) => s.throttles)],
  [
    'quota_call_failures_total',
    'Admitted model calls that failed (throttles included)',
    'counter',
    stat((s) => s.failures),
  ],
  ['quota_in_flight', 'Model calls sent and not yet finished', 'gauge', stat((s) => s.inFlight)],
  ['quota_waiting', 'Model calls waiting for the quota to admit them', 'gauge', stat((s) => s.waiting)],
  ['quota_queued', 'Model calls waiting for a concurrency slot', 'gauge', stat((s) => s.queued)],
  ['quota_rate_factor', 'AIMD factor: admitted rate / target rate', 'gauge', stat((s) => s.rateFactor)],
  [
    'quota_admitted_tokens_per_minute',
    'Tokens per quota minute the limiter admits now',
    'gauge',
    (limiter) => limiter.currentRate().tokensPerMinute,
  ],
  [
    'quota_admitted_requests_per_minute',
    'Requests per quota minute the limiter admits now',
    'gauge',
    (limiter) => limiter.currentRate().requestsPerMinute,
  ],
  [
    'quota_store_switches_total',
    'Switches between the fleet-wide Redis buckets and the local share',
    'counter',
    stat((s) => s.storeSwitches),
  ],
  [
    'quota_shared_store',
    '1 while the fleet-wide Redis buckets answer, 0 on the local share',
    'gauge',
    stat((s) => (s.store === 'redis' ? 1 : 0)),
  ],
];

/**
 * Exposes a limiter's state: `quota_*` metrics labelled with the model id. Counters come from the limiter's totals,
 * gauges from its snapshot, both read at scrape time.
 */
export function registerQuotaMetrics(registry: MetricsRegistry, limiter: QuotaLimiter, labels: Labels = {}): void {
  for (const [name, help, type, read] of QUOTA_METRICS) {
    registry.register(name, help, type, () => [{ labels, value: read(limiter) }]);
  }
}
