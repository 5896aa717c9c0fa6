import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServerHandle, startRedis } from '../../../local/redisServer.ts';
import { loadConfig } from '../../../shared/config.ts';
import { createQuotaLimiter } from '../../../worker/quota/createQuotaLimiter.ts';
import { QuotaLimitedDescriber } from '../../../worker/quota/QuotaLimitedDescriber.ts';
import type { QuotaLogger } from '../../../worker/quota/rates.ts';
import { drive, FakeBedrock } from './fakes.ts';

// Four workers' limiters (in one process here; the benchmark runs real processes) share one Redis bucket, on real
// time with a compressed minute of 3,000 ms (at 1,000 ms the calls alone needed more CPU than a loaded machine gives:
// 38 % of the quota was used at load 33). They all call one Bedrock-like fake: the account's quota. A compressed
// minute magnifies timer jitter 60 times (a 100 ms stall of a loaded CI machine is 10% of a minute, and delayed sends
// bunch into the next window), so these tests aim at 95% of the quota, allow a throttle per hundred calls and 5% over
// the quota in the worst rolling window. A busy machine only slows a fleet down, so the upper bounds hold on any
// machine; the lower bound (USED) only says that the workers' shares add up to the quota, not to a fraction of it
// (a share divided twice would give under a quarter). How much of the quota the fleet really uses (95% and more)
// is the benchmark's to measure (npm run bench:quota), and the exact arithmetic the fake-clock tests'
// (QuotaLimiter.test.ts). On a heavily loaded machine (load 16 on 2 cores) this file measured 71% of the quota.

const MINUTE = 3000;
const QUOTA = { rpm: 2000, tpm: 240_000 };
const TARGET = 0.95;
const MAX_TOKENS = 1024;
const FLEET = 4;
/** The least share of the quota a fleet must use here, on a machine that may be busy (see above). */
const USED = 0.5;

let server: RedisServerHandle;
let admin: Redis;
let modelCounter = 0;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url, { maxRetriesPerRequest: null });
  admin.on('error', () => {});
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

interface Captured {
  level: 'info' | 'warn' | 'debug';
  msg: string | undefined;
  obj: object;
}

function capturingLogger(): QuotaLogger & { lines: Captured[] } {
  const lines: Captured[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', msg, obj }),
    warn: (obj, msg) => lines.push({ level: 'warn', msg, obj }),
    debug: (obj, msg) => lines.push({ level: 'debug', msg, obj }),
  };
}

/** Polls an in-process counter of the limiters (they emit no events), with a deadline generous for a busy machine. */
async function waitFor(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function sleepReal(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fleet of limiters built by createQuotaLimiter from Config, each with its own Redis connection. */
function fleet(options: { consumers?: number } = {}) {
  const modelId = `fleet-model-${++modelCounter}`;
  const config = loadConfig({
    QUOTA_RPM: String(QUOTA.rpm),
    QUOTA_TPM: String(QUOTA.tpm),
    QUOTA_MINUTE_MS: String(MINUTE),
    QUOTA_TARGET: String(TARGET),
    FLEET_SIZE: String(FLEET),
    REDIS_URL: server.url,
    MODEL_ID: modelId,
    MAX_TOKENS: String(MAX_TOKENS),
    LIMITER_MAX_CONCURRENCY: '16',
  });
  const bedrock = new FakeBedrock({ ...QUOTA, minuteMs: MINUTE, maxTokens: MAX_TOKENS, latencyMs: 20 });
  const workers = Array.from({ length: FLEET }, () => {
    const logger = capturingLogger();
    const limiter = createQuotaLimiter(config, { logger, probeMs: 100 });
    const describer = new QuotaLimitedDescriber(bedrock, limiter, { maxTokens: MAX_TOKENS });
    return { logger, limiter, describer };
  });
  const loads = workers.map((w) => drive(w.describer, options.consumers ?? 8));
  cleanups.push(async () => {
    await Promise.all(loads.map((l) => l.stop()));
    await Promise.all(workers.map((w) => w.limiter.close()));
  });
  const completed = () => loads.reduce((sum, l) => sum + l.completed(), 0);
  const modes = () => workers.map((w) => w.limiter.stats().store);
  return { modelId, bedrock, workers, completed, modes, config };
}

/** No rolling minute more than 5% over the quota, and at most one throttle per hundred calls. */
function expectWithinQuota(bedrock: FakeBedrock) {
  expect(bedrock.maxTokensInWindow(MINUTE)).toBeLessThanOrEqual(1.05 * QUOTA.tpm);
  expect(bedrock.throttles).toBeLessThanOrEqual(Math.ceil(bedrock.served.length / 100));
}

function switches(limiter: { logger: { lines: Captured[] } }) {
  const lines = limiter.logger.lines.filter((l) => l.msg?.startsWith('quota store'));
  return lines.map((l) => l.msg);
}

describe('four limiters sharing one Redis bucket', () => {
  it('admit most of the quota together and never more than the quota', async () => {
    const f = fleet();
    await waitFor('the fleet to start', () => f.completed() > 0);
    const start = Date.now();
    await sleepReal(3 * MINUTE + 100);
    const perMinute = f.bedrock.tokensBetween(start, start + 3 * MINUTE) / 3;
    expect(perMinute).toBeGreaterThanOrEqual(USED * QUOTA.tpm);
    expect(perMinute).toBeLessThanOrEqual(QUOTA.tpm);
    expectWithinQuota(f.bedrock);
    expect(f.modes()).toEqual(['redis', 'redis', 'redis', 'redis']);
    // Every worker got a part: the bucket is shared, not grabbed by one.
    for (const w of f.workers) expect(w.limiter.stats().admitted).toBeGreaterThan(10);
  });

  it('follow a rate change at run time', async () => {
    const f = fleet();
    await waitFor('the fleet to start', () => f.completed() > 0);
    const half = { requestsPerMinute: QUOTA.rpm * 0.5 * TARGET, tokensPerMinute: QUOTA.tpm * 0.5 * TARGET };
    for (const w of f.workers) w.limiter.setRates(half);
    await sleepReal(MINUTE / 4); // what was already reserved at the old rate drains
    const start = Date.now();
    await sleepReal(2 * MINUTE + 100);
    const perMinute = f.bedrock.tokensBetween(start, start + 2 * MINUTE) / 2;
    expect(perMinute).toBeLessThanOrEqual(0.5 * QUOTA.tpm);
    expect(perMinute).toBeGreaterThanOrEqual(0.5 * USED * QUOTA.tpm);
    expect(f.workers[0]!.limiter.currentRate().tokensPerMinute).toBeCloseTo(half.tokensPerMinute, 6);
  });

  it('fall back to quota ÷ FLEET_SIZE each while Redis is down, and return to it when it is back', async () => {
    const f = fleet();
    await waitFor('the fleet to start', () => f.completed() > 0);
    await server.stop();
    await waitFor('every worker on its local share', () => f.modes().every((m) => m === 'local'));
    for (const w of f.workers) {
      expect(w.limiter.currentRate().tokensPerMinute).toBeCloseTo((QUOTA.tpm * TARGET) / FLEET, 6);
    }
    const downAt = Date.now();
    await sleepReal(2 * MINUTE);
    const down = f.bedrock.tokensBetween(downAt, downAt + 2 * MINUTE) / 2;
    expect(down).toBeGreaterThanOrEqual(USED * QUOTA.tpm);
    expect(down).toBeLessThanOrEqual(QUOTA.tpm);

    await server.start();
    await waitFor('every worker back on the shared buckets', () => f.modes().every((m) => m === 'redis'));
    const before = f.completed();
    await waitFor('calls admitted by Redis again', () => f.completed() > before + 20);
    for (const w of f.workers) {
      expect(w.limiter.stats().storeSwitches).toBe(2);
      expect(w.limiter.currentRate().tokensPerMinute).toBeCloseTo(QUOTA.tpm * TARGET, 6);
      // Each switch logged once.
      expect(switches(w)).toEqual([
        "quota store unreachable: using this worker's share of the quota",
        'quota store reachable again: using the shared buckets',
      ]);
    }
    expectWithinQuota(f.bedrock);
  });

  it('keep going through a Redis restart (scripts and keys gone) and a FLUSHALL', async () => {
    const f = fleet();
    await waitFor('the fleet to start', () => f.completed() > 0);
    await server.restart();
    let before = f.completed();
    await waitFor('calls after the restart', () => f.completed() > before + 20);
    await waitFor('every worker on the shared buckets', () => f.modes().every((m) => m === 'redis'));
    before = f.completed();
    await waitFor('calls on the restarted Redis', () => f.completed() > before + 20);
    expect(await admin.exists(`quota:{${f.modelId}}:tokens`)).toBe(1);

    await admin.flushall();
    before = f.completed();
    await waitFor('calls after FLUSHALL', () => f.completed() > before + 20);
    expect(f.modes()).toEqual(['redis', 'redis', 'redis', 'redis']);
    expect(await admin.exists(`quota:{${f.modelId}}:tokens`)).toBe(1);
    // Buckets come back in debt, so neither event let a burst through (a bucket recreated full would let a whole
    // minute's quota through at once).
    expectWithinQuota(f.bedrock);
  });
});

describe('createQuotaLimiter', () => {
  it('without REDIS_URL gives each process quota × target ÷ FLEET_SIZE', async () => {
    const config = loadConfig({ QUOTA_RPM: '1000', QUOTA_TPM: '2000000', FLEET_SIZE: '4', QUOTA_TARGET: '0.9' });
    const limiter = createQuotaLimiter(config);
    cleanups.push(() => limiter.close());
    expect(limiter.currentRate()).toEqual({ requestsPerMinute: 225, tokensPerMinute: 450_000, factor: 1 });
    expect(limiter.stats().store).toBe('local');
  });

  it('with an unreachable REDIS_URL starts on the local share and says so once', async () => {
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:1', FLEET_SIZE: '2', QUOTA_MINUTE_MS: '1000' });
    const logger = capturingLogger();
    const limiter = createQuotaLimiter(config, { logger });
    cleanups.push(() => limiter.close());
    for (let i = 0; i < 3; i++) await limiter.schedule(10, async () => ({ result: i, usedTokens: 10 }));
    expect(limiter.stats().store).toBe('local');
    expect(limiter.currentRate().tokensPerMinute).toBeCloseTo((2_000_000 * 0.98) / 2, 6);
    expect(switches({ logger })).toEqual(["quota store unreachable: using this worker's share of the quota"]);
  });
});
