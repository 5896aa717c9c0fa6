import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServerHandle, startRedis } from '../../../local/redisServer.ts';
import { LocalTokenBucket } from '../../../worker/quota/LocalTokenBucket.ts';
import { RedisTokenBucket } from '../../../worker/quota/RedisTokenBucket.ts';
import type { BucketShape, QuotaRates, QuotaStore } from '../../../worker/quota/rates.ts';

// The Lua script and its in-process twin must behave identically: the same contract runs against both, on a clock
// the test moves by hand (the script takes the time as an argument when tests give one).

let server: RedisServerHandle;
let redis: Redis;
let keyCounter = 0;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

// 1,000 tokens/s and 10,000 requests/s: the tokens budget binds, except where a test says otherwise. The shape these
// tests work with (round numbers, not the defaults): burst 1 s, debt 2 s, pause 2 s, cooldown 5 s, a plain linear
// climb (probe = increase, no memory of earlier cuts) unless a test says otherwise.
const RATES: QuotaRates = { requestsPerMinute: 600_000, tokensPerMinute: 60_000 };
const SHAPE: Partial<BucketShape> = {
  minuteMs: 60_000,
  burstMs: 1_000,
  maxDebtMs: 2_000,
  pauseMs: 2_000,
  cooldownMs: 5_000,
  decrease: 0.8,
  increasePerMinute: 0.1,
  probePerMinute: 0.1,
  memoryMs: 0,
};

type Make = (clock: () => number, rates?: QuotaRates, shape?: Partial<BucketShape>) => QuotaStore;
const makers: [string, Make][] = [
  [
    'LocalTokenBucket',
    (clock, rates = RATES, shape = {}) => new LocalTokenBucket({ rates, shape: { ...SHAPE, ...shape }, now: clock }),
  ],
  [
    'RedisTokenBucket',
    (clock, rates = RATES, shape = {}) =>
      new RedisTokenBucket({ redis, modelId: `model-${++keyCounter}`, rates, shape: { ...SHAPE, ...shape }, clock }),
  ],
];

/** Waits are rounded up to whole ms, and the requests budget adds a fraction of one: compare to within 1 ms. */
function expectWait(reply: { admitted: boolean; waitMs: number }, admitted: boolean, ms: number) {
  expect(reply.admitted).toBe(admitted);
  expect(Math.abs(reply.waitMs - ms)).toBeLessThanOrEqual(1);
}

describe.each(makers)('%s', (_name, make) => {
  function setup(rates?: QuotaRates, shape?: Partial<BucketShape>) {
    let t = 1_700_000_000_000;
    const store = make(() => t, rates, shape);
    return { store, advance: (ms: number) => (t += ms) };
  }

  /** A bucket idle long enough to hold its full burst (1,000 tokens). */
  async function full(rates?: QuotaRates, shape?: Partial<BucketShape>) {
    const s = setup(rates, shape);
    await s.store.reserve(0);
    s.advance(3_600_000);
    return s;
  }

  it('starts in full debt: no burst, and the first reservation waits the debt out', async () => {
    const { store } = setup();
    expectWait(await store.reserve(500), true, 2500);
    // Deeper than 2 s of debt: refused, told when to come back.
    expectWait(await store.reserve(500), false, 500);
  });

  it('paces reservations at the rate, going into debt up to maxDebtMs ahead, then refuses', async () => {
    const { store, advance } = await full();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const reply = await store.reserve(1000);
      expect(reply.admitted).toBe(true);
      waits.push(reply.waitMs);
    }
    expect(waits).toEqual([0, 1000, 2000, 3000]);
    expectWait(await store.reserve(1000), false, 1000);
    advance(1000);
    expectWait(await store.reserve(1000), true, 3000);
  });

  it('caps what idling accumulates at the burst (1 s of quota)', async () => {
    const { store } = await full();
    expectWait(await store.reserve(1000), true, 0);
    expectWait(await store.reserve(1000), true, 1000);
  });

  it('the requests budget binds small calls', async () => {
    const { store } = await full({ requestsPerMinute: 600, tokensPerMinute: 60_000 });
    // The burst holds 10 requests; then 10 requests/s.
    for (let i = 0; i < 10; i++) expectWait(await store.reserve(1), true, 0);
    expectWait(await store.reserve(1), true, 100);
    expectWait(await store.reserve(1), true, 200);
  });

  it('a refund credits the unused tokens back, capped at the burst', async () => {
    const { store } = await full();
    const first = await store.reserve(4000);
    if (!first.admitted) throw new Error('not admitted');
    expectWait(first, true, 3000);
    await first.refund(2000);
    expectWait(await store.reserve(500), true, 1500);
    const again = await store.reserve(0);
    if (!again.admitted) throw new Error('not admitted');
    await again.refund(1_000_000, 0);
    // Capped at the burst: a huge refund banks no more than 1,000 tokens.
    expectWait(await store.reserve(1000), true, 0);
    expectWait(await store.reserve(1000), true, 1000);
  });

  it('a negative refund charges a call that cost more than its reservation', async () => {
    const { store } = await full();
    const reply = await store.reserve(2000);
    if (!reply.admitted) throw new Error('not admitted');
    await reply.refund(-1000);
    expectWait(await store.reserve(0), true, 2000);
  });

  it('a throttle cuts the factor, pauses, ignores repeats within the cooldown, then climbs back', async () => {
    const { store, advance } = await full(RATES, { minuteMs: 60_000, decrease: 0.5, increasePerMinute: 0.25 });
    expect(await store.throttled()).toBe(0.5);
    // Pause: 2 s of the new rate (500 tokens/s) as debt; the next reservation waits it out.
    const paused = await store.reserve(0);
    expectWait(paused, true, 2000);
    expect(paused.factor).toBe(0.5);
    expect(await store.throttled()).toBe(0.5); // the same congestion, inside the 5 s cooldown
    advance(5000);
    const cut = await store.throttled();
    expect(cut).toBeCloseTo((0.5 + 0.25 * (5 / 60)) * 0.5, 10);
    advance(60_000);
    expect((await store.reserve(0)).factor).toBeCloseTo(cut + 0.25, 10);
    advance(10 * 60_000);
    expect((await store.reserve(0)).factor).toBe(1);
    expect(store.factor()).toBe(1);
  });

  it('climbs back fast to where the last throttle struck, then probes slowly above it', async () => {
    const shape = { decrease: 0.9, increasePerMinute: 0.3, probePerMinute: 0.1, memoryMs: 60_000 };
    const { store, advance } = await full(RATES, shape);
    expect(await store.throttled()).toBeCloseTo(0.9, 10); // struck at 1
    advance(10_000);
    expect((await store.reserve(0)).factor).toBeCloseTo(0.95, 10);
    advance(10_000);
    expect((await store.reserve(0)).factor).toBe(1);
    // 20 s after the cut (outside the 5 s cooldown, inside the 60 s memory), back at 1: throttled again.
    // A throttle within memoryMs of the last cut: the quota really is lower, so the cut goes twice as deep (0.9²)
    // and the factor only probes back, at 0.1 per minute.
    const deep = await store.throttled();
    expect(deep).toBeCloseTo(0.81, 10);
    advance(60_000);
    expect((await store.reserve(0)).factor).toBeCloseTo(deep + 0.1, 10);
    // Past the memory, an isolated throttle: a plain cut, a fast climb back to where it struck, then the probe.
    advance(30_000);
    const struck = deep + 0.1 * 1.5;
    const cut = await store.throttled();
    expect(cut).toBeCloseTo(struck * 0.9, 10);
    advance(10_000);
    expect((await store.reserve(0)).factor).toBeCloseTo(cut + 0.05, 10);
    advance(10_000);
    const fastFor = (struck - cut) / 0.3; // minutes to climb back
    expect((await store.reserve(0)).factor).toBeCloseTo(struck + (20 / 60 - fastFor) * 0.1, 10);
  });

  it('the factor never falls below minFactor', async () => {
    const { store, advance } = setup(RATES, { minuteMs: 60_000, decrease: 0.1, minFactor: 0.2, cooldownMs: 0 });
    for (let i = 0; i < 3; i++) {
      await store.throttled();
      advance(1);
    }
    expect(store.factor()).toBeCloseTo(0.2, 3);
  });

  it('a rate change takes effect at the next call', async () => {
    const { store } = await full();
    expectWait(await store.reserve(2000), true, 1000);
    store.setRates({ requestsPerMinute: 600_000, tokensPerMinute: 120_000 });
    expect(store.rates().tokensPerMinute).toBe(120_000);
    expectWait(await store.reserve(1000), true, 1000); // 2,000 tokens owed at 2,000 tokens/s
  });

  it('scales every duration with minuteMs (a compressed minute)', async () => {
    const { store } = await full(RATES, { minuteMs: 1000 });
    // 60,000 tokens per 1,000 ms; the burst is 1/60 of that: 1,000 tokens. 1,000 more take 16.7 ms.
    expectWait(await store.reserve(2000), true, 17);
  });
});

describe('RedisTokenBucket in Redis', () => {
  it('keeps one key per budget per model, in one cluster slot, expiring when idle', async () => {
    const store = new RedisTokenBucket({ redis, modelId: 'anthropic.claude-3-haiku-20240307-v1:0', rates: RATES });
    await store.reserve(10);
    await store.throttled();
    expect(store.keys).toEqual([
      'quota:{anthropic.claude-3-haiku-20240307-v1:0}:tokens',
      'quota:{anthropic.claude-3-haiku-20240307-v1:0}:requests',
      'quota:{anthropic.claude-3-haiku-20240307-v1:0}:aimd',
    ]);
    for (const key of store.keys) {
      expect(await redis.exists(key)).toBe(1);
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600_000);
    }
  });

  it('recovers by itself from SCRIPT FLUSH (NOSCRIPT falls back to EVAL)', async () => {
    const store = new RedisTokenBucket({ redis, modelId: `noscript-${++keyCounter}`, rates: RATES });
    await expect(store.reserve(10)).resolves.toMatchObject({ admitted: true });
    await redis.script('FLUSH');
    // The next call meets NOSCRIPT on this connection and is sent again as EVAL: an answer, not an error.
    await expect(store.reserve(10)).resolves.toMatchObject({ factor: 1 });
    await expect(store.throttled()).resolves.toBeLessThan(1);
  });
});
