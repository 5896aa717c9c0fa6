import { describe, expect, it } from 'vitest';
import { ThrottledError } from '../../../shared/errors.ts';
import { MetricsRegistry, registerQuotaMetrics } from '../../../worker/metrics/MetricsRegistry.ts';
import { LocalTokenBucket } from '../../../worker/quota/LocalTokenBucket.ts';
import { QuotaLimitedDescriber } from '../../../worker/quota/QuotaLimitedDescriber.ts';
import { QuotaLimiter } from '../../../worker/quota/QuotaLimiter.ts';
import { DEFAULT_BUCKET_SHAPE } from '../../../worker/quota/rates.ts';
import { testRequest } from './fakes.ts';

describe('MetricsRegistry', () => {
  it('renders counters and gauges in the Prometheus text format, labels escaped', () => {
    const registry = new MetricsRegistry();
    const calls = registry.counter('worker_records_total', 'Records by outcome');
    calls.inc(1, { outcome: 'catalogued' });
    calls.inc(2, { outcome: 'catalogued' });
    calls.inc(1, { outcome: 'say "hi"\\\n' });
    const depth = registry.gauge('queue_depth', 'Messages waiting');
    depth.set(7);
    expect(registry.render()).toBe(
      [
        '# HELP worker_records_total Records by outcome',
        '# TYPE worker_records_total counter',
        'worker_records_total{outcome="catalogued"} 3',
        'worker_records_total{outcome="say \\"hi\\"\\\\\\n"} 1',
        '# HELP queue_depth Messages waiting',
        '# TYPE queue_depth gauge',
        'queue_depth 7',
        '',
      ].join('\n'),
    );
  });

  it('refuses bad names, duplicates, and counters going down', () => {
    const registry = new MetricsRegistry();
    expect(() => registry.counter('bad-name', 'x')).toThrow(RangeError);
    registry.gauge('ok', 'x');
    expect(() => registry.gauge('ok', 'x')).toThrow(RangeError);
    expect(() => registry.counter('c', 'x').inc(-1)).toThrow(RangeError);
    expect(() => registry.counter('d', 'x').set(1)).toThrow(TypeError);
  });
});

describe('registerQuotaMetrics', () => {
  it("exposes the limiter's counters and gauges, read at scrape time", async () => {
    const store = new LocalTokenBucket({
      rates: { requestsPerMinute: 1e9, tokensPerMinute: 1e12 },
      // No climb after the cut: the scrape reads the factor the throttle left, however long it takes.
      shape: { maxDebtMs: 0, increasePerMinute: 0 },
    });
    const limiter = new QuotaLimiter({ store });
    const registry = new MetricsRegistry();
    registerQuotaMetrics(registry, limiter, { model: 'anthropic.claude-3-haiku' });
    let throttle = false;
    const describer = new QuotaLimitedDescriber(
      {
        describe: async () => {
          if (throttle) throw new ThrottledError('429');
          return {
            description: {
              summary: 's',
              category: 'c',
              labels: [],
              sensitive: { verdict: 'none', reason: 'r' },
              text: '',
            },
            usage: { inputTokens: 1000, outputTokens: 100 },
            modelId: 'm',
            attempts: 1,
          };
        },
      },
      limiter,
      { maxTokens: 1024 },
    );
    await describer.describe(testRequest());
    throttle = true;
    await expect(describer.describe(testRequest())).rejects.toBeInstanceOf(ThrottledError);
    const text = registry.render();
    const value = (name: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{model="anthropic.claude-3-haiku"} `));
      return line === undefined ? undefined : Number(line.split(' ')[1]);
    };
    expect(value('quota_requests_admitted_total')).toBe(2);
    expect(value('quota_tokens_used_total')).toBe(1100);
    expect(value('quota_tokens_reserved_total')).toBe(2 * describer.estimate(testRequest()));
    expect(value('quota_throttles_total')).toBe(1);
    expect(value('quota_call_failures_total')).toBe(1);
    expect(value('quota_in_flight')).toBe(0);
    expect(value('quota_rate_factor')).toBeCloseTo(DEFAULT_BUCKET_SHAPE.decrease, 6);
    expect(value('quota_admitted_tokens_per_minute')).toBeCloseTo(DEFAULT_BUCKET_SHAPE.decrease * 1e12, 0);
    expect(value('quota_shared_store')).toBe(0);
    expect(value('quota_store_switches_total')).toBe(0);
    expect(text).toContain('# TYPE quota_throttles_total counter');
    expect(text).toContain('# TYPE quota_in_flight gauge');
  });
});
