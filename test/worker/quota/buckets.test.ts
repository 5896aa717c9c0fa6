import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalTokenBucket } from '../../../worker/quota/LocalTokenBucket.ts';
import { RedisTokenBucket } from '../../../worker/quota/RedisTokenBucket.ts';
import type { BucketShape, QuotaRates, QuotaStore } from '../../../worker/quota/types.ts';
import { type RedisServerHandle, startRedis } from '../../helpers/redisServer.ts';

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

// 100 requests/s, 1,000 tokens/s: the tokens budget binds, except where a test says otherwise.
const RATES: QuotaRates = { requestsPerMinute: 6000, tokensPerMinute: 60_000 };
const SHAPE: Partial<BucketShape> = { minuteMs: 60_000 };

type Make = (clock: () => number, rates?: QuotaRates, shape?: Partial<BucketShape>) => QuotaStore;
const makers: [string, Make][] = [
  ['LocalTokenBucket', (clock, rates = RATES, shape = SHAPE) => new LocalTokenBucket({ rates, shape, now: clock })],
  [
    'RedisTokenBucket',
    (clock, rates = RATES, shape = SHAPE) =>
      new RedisTokenBucket({ redis, modelId: `model-${++keyCounter}`, rates, shape, clock }),
  ],
];

describe.each(makers)('%s', (_name, make) => {
  function setup(rates?: QuotaRates, shape?: Partial<BucketShape>) {
    let t = 1_700_000_000_000;
    const store = make(() => t, rates, shape);
    return { store, advance: (ms: number) => (t += ms) };
  }

  it('starts empty: the first reservation waits for its tokens to refill', async () => {
    const { store } = setup();
    const reply = await store.reserve(500);
    expect(reply).toMatchObject({ admitted: true, waitMs: 500, factor: 1 });
  });

  it('paces reservations at the rate, going into debt up to maxDebtMs ahead, then refuses', async () => {
    const { store, advance } = setup();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const reply = await store.reserve(1000);
      expect(reply.admitted).toBe(true);
      waits.push(reply.waitMs);
    }
    expect(waits).toEqual([1000, 2000, 3000, 4000, 5000, 6000]);
    // Past 5 s of debt (-5,000 tokens) the next one is refused, told to come back when the debt is back in range.
    const refused = await store.reserve(1000);
    expect(refused).toMatchObject({ admitted: false, waitMs: 1000 });
    advance(1000);
    const later = await store.reserve(1000);
    expect(later).toMatchObject({ admitted: true, waitMs: 6000 });
  });

  it('caps what idling accumulates at the burst (1 s of quota)', async () => {
    const { store, advance } = setup();
    await store.reserve(0);
    advance(3_600_000);
    expect(await store.reserve(1000)).toMatchObject({ admitted: true, waitMs: 0 });
    expect(await store.reserve(1000)).toMatchObject({ admitted: true, waitMs: 1000 });
  });

  it('the requests budget binds small calls', async () => {
    const { store } = setup({ requestsPerMinute: 600, tokensPerMinute: 60_000 });
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = await store.reserve(1);
      if (reply.admitted) waits.push(reply.waitMs);
    }
    expect(waits).toEqual([100, 200, 300]); // 10 requests/s
  });

  it('a refund credits the unused tokens back, capped at the burst', async () => {
    const { store } = setup();
    const first = await store.reserve(3000);
    if (!first.admitted) throw new Error('not admitted');
    expect(first.waitMs).toBe(3000);
    await first.refund(2000);
    expect(await store.reserve(500)).toMatchObject({ waitMs: 1500 });
    const again = await store.reserve(0);
    if (!again.admitted) throw new Error('not admitted');
    await again.refund(1_000_000, 0);
    // Capped at the burst (1,000 tokens): a huge refund cannot bank more than that. (The first wait is the requests
    // budget's: 4 requests owed at 100/s.)
    expect(await store.reserve(1000)).toMatchObject({ waitMs: 40 });
    expect(await store.reserve(1000)).toMatchObject({ waitMs: 1000 });
  });

  it('a negative refund charges a call that cost more than its reservation', async () => {
    const { store } = setup();
    const reply = await store.reserve(1000);
    if (!reply.admitted) throw new Error('not admitted');
    await reply.refund(-1000);
    expect(await store.reserve(0)).toMatchObject({ waitMs: 2000 });
  });

  it('a throttle cuts the factor, pauses, ignores repeats within the cooldown, then climbs back', async () => {
    const { store, advance } = setup(RATES, { minuteMs: 60_000, decrease: 0.5, increasePerMinute: 0.25 });
    await store.reserve(0);
    expect(await store.throttled()).toBe(0.5);
    // Pause: 2 s of the new rates as debt; the next reservation waits it out (requests: 1 owed + 100 of pause + 1
    // now, at 50/s).
    expect(await store.reserve(0)).toMatchObject({ admitted: true, waitMs: 2040, factor: 0.5 });
    expect(await store.throttled()).toBe(0.5); // same congestion, inside the 5 s cooldown
    advance(5000);
    const cut = await store.throttled();
    expect(cut).toBeCloseTo((0.5 + 0.25 * (5 / 60)) * 0.5, 10);
    advance(60_000);
    expect((await store.reserve(0)).factor).toBeCloseTo(cut + 0.25, 10);
    advance(10 * 60_000);
    expect((await store.reserve(0)).factor).toBe(1);
    expect(store.factor()).toBe(1);
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
    const { store } = setup();
    expect(await store.reserve(1000)).toMatchObject({ waitMs: 1000 });
    store.setRates({ requestsPerMinute: 6000, tokensPerMinute: 120_000 });
    expect(store.rates().tokensPerMinute).toBe(120_000);
    expect(await store.reserve(1000)).toMatchObject({ waitMs: 1000 }); // 2,000 tokens owed at 2,000 tokens/s
  });

  it('scales every duration with minuteMs (a compressed minute)', async () => {
    const { store } = setup(RATES, { minuteMs: 1000 });
    // 60,000 tokens per 1,000 ms: 1,000 tokens take 16.7 ms.
    expect(await store.reserve(1000)).toMatchObject({ waitMs: 17 });
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
    expect((await store.reserve(10)).admitted).toBe(true);
    await redis.script('FLUSH');
    expect(await redis.script('EXISTS', '0'.repeat(40))).toEqual([0]);
    expect((await store.reserve(10)).admitted).toBe(true);
  });
});
