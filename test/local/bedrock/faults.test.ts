import { describe, expect, it } from 'vitest';
import { FaultInjector, malformToolInput } from '../../../local/bedrock/faults.ts';
import { ImageDescription } from '../../../shared/catalogue.ts';

const rates = {
  serviceUnavailableRate: 0.1,
  internalErrorRate: 0.05,
  modelNotReadyRate: 0.05,
  modelTimeoutRate: 0.05,
  dropConnectionRate: 0.05,
  malformedOutputRate: 0.1,
};

describe('FaultInjector', () => {
  it('repeats the same faults for the same seed', () => {
    const a = new FaultInjector({ ...rates, jitter: 0.5, seed: 42 });
    const b = new FaultInjector({ ...rates, jitter: 0.5, seed: 42 });
    const c = new FaultInjector({ ...rates, jitter: 0.5, seed: 43 });
    const plans = (f: FaultInjector) => Array.from({ length: 200 }, () => f.plan());

    const first = plans(a);
    expect(plans(b)).toEqual(first);
    expect(plans(c)).not.toEqual(first);
  });

  it('draws each fault at about its rate', () => {
    const f = new FaultInjector({ ...rates, seed: 7 });
    const counts: Record<string, number> = {};
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const plan = f.plan();
      if (plan.fault) counts[plan.fault] = (counts[plan.fault] ?? 0) + 1;
      if (plan.malformed) counts.malformed = (counts.malformed ?? 0) + 1;
    }

    expect((counts.serviceUnavailable ?? 0) / n).toBeCloseTo(0.1, 1);
    expect((counts.internalError ?? 0) / n).toBeCloseTo(0.05, 1);
    expect((counts.dropConnection ?? 0) / n).toBeCloseTo(0.05, 1);
    expect((counts.malformed ?? 0) / n).toBeCloseTo(0.1, 1);
  });

  it('adds latency per output token within ± jitter', () => {
    const f = new FaultInjector({ latencyMs: 100, latencyPerOutputTokenMs: 2, jitter: 0.2, seed: 1 });
    const latencies = Array.from({ length: 500 }, () => f.latencyOf(f.plan(), 50));

    expect(Math.min(...latencies)).toBeGreaterThanOrEqual(160);
    expect(Math.max(...latencies)).toBeLessThanOrEqual(240);
    expect(Math.max(...latencies) - Math.min(...latencies)).toBeGreaterThan(60);
  });

  it('changes settings at run time and refuses rates outside 0-1', () => {
    const f = new FaultInjector({ seed: 1 });
    f.set({ serviceUnavailableRate: 1 });

    expect(f.plan().fault).toBe('serviceUnavailable');
    expect(() => f.set({ internalErrorRate: 1.5 })).toThrow();
  });
});

describe('malformToolInput', () => {
  const valid: ImageDescription = {
    summary: 'A photo.',
    category: 'photo',
    labels: [{ name: 'region', box: { left: 0, top: 0, width: 1, height: 1 } }],
    sensitive: { verdict: 'none', reason: 'Not assessed.' },
    text: '',
  };

  it.each(['missingField', 'wrongType', 'boxOutOfRange'] as const)('%s breaks the catalogue schema', (kind) => {
    const broken = malformToolInput(valid, kind);

    expect(ImageDescription.safeParse(broken).success).toBe(false);
    expect(ImageDescription.safeParse(valid).success).toBe(true);
  });
});
