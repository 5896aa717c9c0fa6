import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { chartSvg, renderChart } from '../../bench/quota/chart.ts';
import { benchParams, type Scenario, scenarios } from '../../bench/quota/plan.ts';
import { benchPrompt } from '../../bench/quota/prompt.ts';
import { markdownReport, tableText } from '../../bench/quota/report.ts';
import type { ScenarioResult } from '../../bench/quota/runScenario.ts';
import {
  lostCount,
  type MinuteCounts,
  percentile,
  ratePerMinute,
  rollingRate,
  steadyWindow,
  throttledFraction,
  utilisation,
} from '../../bench/quota/stats.ts';
import { checkTargets } from '../../bench/quota/targets.ts';

// The quota benchmark's pure parts. The benchmark itself (npm run bench:quota) takes minutes and is never run here.

function minute(m: number, accepted: number, tokensSettled: number, extra: Partial<MinuteCounts> = {}): MinuteCounts {
  return {
    minute: m,
    rpm: 200,
    tpm: 400_000,
    requests: accepted,
    accepted,
    throttledRequests: 0,
    throttledTokens: 0,
    tokensSettled,
    ...extra,
  };
}

describe('steady-state window', () => {
  it('leaves out the warm-up minute and everything from the stop on', () => {
    expect(steadyWindow(5)).toEqual({ first: 1, last: 4 });
    expect(steadyWindow(2)).toEqual({ first: 1, last: 1 });
    expect(steadyWindow(1)).toEqual({ first: 0, last: 0 });
    expect(() => steadyWindow(0)).toThrow(RangeError);
  });

  it('utilisation is over the window only, of the quota nearer its limit, idle minutes counting as 0', () => {
    const buckets = [
      minute(0, 400, 900_000), // warm-up: ignored, however high
      minute(1, 160, 390_000),
      minute(2, 150, 380_000),
      // minute 3 missing: nothing was admitted in it
      minute(4, 160, 390_000),
      minute(5, 10, 20_000), // the stop: ignored
    ];
    const u = utilisation(buckets, steadyWindow(5), { rpm: 200, tpm: 400_000 });
    expect(u.binding).toBe('tokens');
    expect(u.tokens).toBeCloseTo((390_000 + 380_000 + 0 + 390_000) / 1_600_000, 10);
    expect(u.requests).toBeCloseTo(470 / 800, 10);
    expect(u.value).toBe(u.tokens);
    expect(u.perMinute).toEqual([0.975, 0.95, 0, 0.975]);
  });

  it('binds on requests when calls are light', () => {
    const u = utilisation([minute(1, 196, 180_000)], steadyWindow(2), { rpm: 200, tpm: 400_000 });
    expect(u).toMatchObject({ binding: 'requests', value: 0.98 });
  });

  it('throttled share is over every minute of the run', () => {
    const buckets = [
      minute(0, 90, 0, { requests: 100, throttledRequests: 4, throttledTokens: 6 }),
      minute(1, 100, 0, { requests: 100 }),
    ];
    expect(throttledFraction(buckets)).toBeCloseTo(10 / 200, 10);
    expect(throttledFraction([])).toBe(0);
  });
});

describe('figures', () => {
  it('percentiles by nearest rank', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it('images per minute count only what finished inside the window', () => {
    const minuteMs = 1000;
    const times = [500, 1000, 1500, 2999, 3000, 3500];
    expect(ratePerMinute(times, { first: 1, last: 2 }, minuteMs)).toBe(3 / 2);
  });

  it('the rolling series sums each minute that ends at every step, as Bedrock`s window would', () => {
    const events = [
      { t: 100, w: 1 },
      { t: 600, w: 2 },
      { t: 1100, w: 4 },
      { t: 2500, w: 8 },
    ];
    const series = rollingRate(events, 500, 3000, 1000);
    expect(series.map((p) => p.minute)).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    expect(series.map((p) => p.perMinute)).toEqual([1, 3, 6, 4, 0, 8]);
  });

  it('lost is what is neither catalogued nor still queued nor dead-lettered', () => {
    expect(lostCount({ enqueued: 100, catalogued: 90, queued: 6, dlq: 1 })).toBe(3);
    expect(lostCount({ enqueued: 10, catalogued: 10, queued: 1, dlq: 0 })).toBe(0);
  });
});

describe('plan', () => {
  it('baselines at 1 and 4 processes; ours at 1, 4, through a scale change and a Redis restart', () => {
    const plan = scenarios(benchParams());
    const ids = plan.map((s) => s.id);
    for (const s of ['naive', 'adaptive', 'two-bucket'])
      expect(ids).toEqual(expect.arrayContaining([`${s}@1`, `${s}@4`]));
    expect(ids).toEqual(expect.arrayContaining(['ours@1', 'ours@4', 'ours@1→4→2', 'ours@4+restart']));
    const scale = plan.find((s) => s.fleet === '1→4→2') as Scenario;
    expect(scale).toMatchObject({ processes: 4, initial: 1, redis: true });
    expect(scale.events.map((e) => e.action)).toEqual(['start', 'stop']);
    expect(plan.filter((s) => s.strategy !== 'ours').every((s) => !s.redis)).toBe(true);
  });

  it('fits in 5 minutes with room for start-up and the ~4 s each scenario spends outside its minutes', () => {
    const params = benchParams();
    const plan = scenarios(params);
    const measuredMs = plan.reduce((sum, s) => sum + s.minutes * params.minuteMs, 0);
    expect(measuredMs + plan.length * 4_000 + 10_000).toBeLessThan(300_000);
  });

  it('keeps Haiku`s 2,000 tokens per request and compresses latency like the minute', () => {
    const params = benchParams({ minuteMs: 6_000, rpm: 150 });
    expect(params.tpm).toBe(300_000);
    expect(params.scale).toBeCloseTo(0.1, 10);
    expect(params.latency.fixedMs).toBeCloseTo(40, 10);
    expect(benchParams({ quick: true }).runMinutes).toBeLessThan(params.runMinutes);
  });

  it('the tokens workload pads the prompt by about the requested characters', () => {
    const plain = benchPrompt(0);
    const padded = benchPrompt(6_000);
    expect(padded.startsWith(plain)).toBe(true);
    expect(padded.length - plain.length).toBeGreaterThanOrEqual(6_000);
    expect(padded.length - plain.length).toBeLessThan(6_200);
  });
});

function result(
  overrides: Partial<ScenarioResult> & Pick<ScenarioResult, 'id' | 'strategy' | 'fleet'>,
): ScenarioResult {
  return {
    minutes: 5,
    window: { first: 1, last: 4 },
    imagesPerMinute: 160,
    imagesPerQuota: 0.8,
    utilisation: { requests: 0.79, tokens: 0.97, binding: 'tokens', value: 0.97, perMinute: [0.97, 0.97, 0.97, 0.97] },
    modelCalls: 800,
    accepted: 800,
    throttled: 0,
    throttledFraction: 0,
    retriesPerImage: 0.01,
    failedAttempts: 0,
    latency: { p50Ms: 2800, p95Ms: 3000, p50Minutes: 0.56, p95Minutes: 0.6 },
    enqueued: 850,
    catalogued: 790,
    cataloguedInTable: 790,
    otherFinal: 0,
    queued: 60,
    dlq: 0,
    lost: 0,
    starved: false,
    wallMs: 27_000,
    cpu: { cores: 2, systemMean: 0.5, systemMax: 0.7, ownMean: 0.45, saturatedFraction: 0 },
    series: [
      { minute: 0.5, perMinute: 0.5 },
      { minute: 1, perMinute: 0.97 },
      { minute: 5, perMinute: 0.97 },
    ],
    marks: [],
    minutesSeen: [],
    workers: { throttlesSeen: 0, storeSwitches: 0, released: 40, idleFraction: 0.01, meanFactor: 1, minFactor: 1 },
    ...overrides,
  };
}

const RESULTS: ScenarioResult[] = [
  result({ id: 'naive@1', strategy: 'naive', fleet: '1', throttledFraction: 0.5, retriesPerImage: 1 }),
  result({ id: 'ours@1', strategy: 'ours', fleet: '1' }),
  result({ id: 'ours@4', strategy: 'ours', fleet: '4', dlq: 2 }),
  result({
    id: 'ours@1→4→2',
    strategy: 'ours',
    fleet: '1→4→2',
    marks: [
      { minute: 2.5, label: '+3' },
      { minute: 4.5, label: '−2' },
    ],
  }),
  result({
    id: 'ours@4+restart',
    strategy: 'ours',
    fleet: '4 + Redis restart',
    utilisation: { requests: 0.75, tokens: 0.93, binding: 'tokens', value: 0.93, perMinute: [0.93] },
    throttledFraction: 0.02,
    cpu: { cores: 2, systemMean: 0.97, systemMax: 1, ownMean: 0.6, saturatedFraction: 0.5 },
  }),
];

describe('targets and report', () => {
  it('says plainly which fleet shapes met every target, and warns when the machine was saturated', () => {
    const report = checkTargets(RESULTS);
    expect(report.lines).toContain(
      'PASS ours@1: utilisation 97.0 % of tokens (>= 95 %), throttled 0.00 % (<= 1 %), lost 0, DLQ 0',
    );
    expect(report.lines.find((l) => l.startsWith('FAIL ours@4:'))).toContain('2 in the DLQ');
    const restart = report.lines.find((l) => l.startsWith('FAIL ours@4+restart:'));
    expect(restart).toContain('utilisation 93.0 % < 95 %');
    expect(restart).toContain('throttled 2.00 % > 1 %');
    expect(report.lines.some((l) => l.startsWith('WARN ours@4+restart: the machine was >= 95 % busy'))).toBe(true);
    expect(report.lines.at(-1)).toBe('TARGETS NOT MET: 2 of 4 fleet shapes passed');
    expect(report.summary).toMatchObject({ met: false, measured: 4, required: 4 });
  });

  it('a shape not run is reported as not measured, never as passed', () => {
    const report = checkTargets(RESULTS.slice(0, 2));
    expect(report.lines).toContain('NOT MEASURED ours at fleet "4"');
    expect(report.summary.met).toBe(false);
  });

  it('the table has a row per scenario with latencies in seconds and quota minutes', () => {
    const text = tableText(RESULTS);
    const lines = text.split('\n');
    expect(lines).toHaveLength(RESULTS.length + 1);
    expect(lines[0]).toMatch(/^scenario\s+fleet\s+img\/min/);
    expect(lines[2]).toContain('2.8 s / 0.56 min');
    const md = markdownReport(RESULTS, benchParams(), checkTargets(RESULTS), {
      machine: { cpu: 'AMD EPYC', cores: 2, memoryGb: 24, node: 'v22.23.3', loadAverageAtStart: [1, 1, 1] },
      wallSeconds: 270,
    });
    expect(md).toContain('| ours@4+restart | 4 + Redis restart |');
    expect(md).toContain('![');
  });
});

describe('chart', () => {
  it('draws a panel per fleet shape, the quota and target lines, the marks, and says what was not run', () => {
    const svg = chartSvg(RESULTS.slice(0, 2), benchParams());
    for (const title of [
      '1 worker process',
      '4 worker processes',
      '1 → 4 → 2 processes',
      '4 processes, Redis restarted',
    ]) {
      expect(svg).toContain(title);
    }
    expect(svg.match(/not measured in this run/g)).toHaveLength(3);
    expect(svg).toContain('95 % target');
    expect(chartSvg(RESULTS, benchParams())).toContain('+3');
  });

  it('renders to a PNG', async () => {
    const { png } = await renderChart(RESULTS, benchParams());
    const meta = await sharp(png).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 1400, height: 980 });
  });
});

describe('summarise', () => {
  it('turns what a run collected into its figures', async () => {
    const { summarise } = await import('../../bench/quota/results.ts');
    const params = benchParams();
    const scenario = scenarios(params).find((s) => s.id === 'ours@1') as Scenario;
    const t0 = 1_000_000;
    const m = params.minuteMs;
    // 6 images catalogued, one per minute from minute 0.5, each enqueued at t0 and using 4,000 tokens.
    const catalogued = new Map(
      Array.from({ length: 6 }, (_, i) => [`k${i}`, { at: t0 + (i + 0.5) * m, tokens: 4000 }]),
    );
    const r = summarise(scenario, params, {
      t0,
      catalogued,
      enqueuedAt: new Map([...catalogued.keys()].map((k) => [k, t0])),
      enqueued: 10,
      otherFinal: 0,
      failedAttempts: 1,
      standIn: {
        totals: { requests: 9, accepted: 8, throttled: { requests: 0, tokens: 1 } },
        minutes: [minute(1, 1, 392_000), minute(2, 1, 380_000)],
      },
      queued: 2,
      dlq: 1,
      cataloguedInTable: 6,
      starved: false,
      wallMs: 31_000,
      cpuSamples: [
        { t: 0, system: 1, own: 1 },
        { t: m, system: 0.5, own: 0.4 },
      ],
      cores: 2,
      marks: [],
      childStats: [],
    });
    expect(r).toMatchObject({ catalogued: 6, lost: 1, retriesPerImage: 0.5, throttled: 1, dlq: 1 });
    expect(r.imagesPerMinute).toBe(1); // minutes 1-5, one image each
    expect(r.latency.p50Ms).toBe(2.5 * m);
    expect(r.utilisation.binding).toBe('tokens');
    // The warm-up sample (t < 1 minute) is left out of the CPU figures.
    expect(r.cpu.systemMean).toBe(0.5);
    // Rolling series in shares of the tokens quota: one image's 4,000 tokens of 400,000 per minute = 1 %.
    expect(r.series.at(-1)?.perMinute).toBeCloseTo(0.01, 10);
  });
});
