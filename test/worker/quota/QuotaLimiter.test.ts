import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalTokenBucket } from '../../../worker/quota/LocalTokenBucket.ts';
import { QuotaLimitedDescriber } from '../../../worker/quota/QuotaLimitedDescriber.ts';
import { QuotaLimiter } from '../../../worker/quota/QuotaLimiter.ts';
import type { BucketShape } from '../../../worker/quota/rates.ts';
import { drive, FakeBedrock, TEST_USAGE } from './fakes.ts';

// On a fake clock: compressed minutes of 1,000 ms run in a blink and the figures are exact, whatever the machine's
// load. Calls take 50 ms, i.e. 3 s of a real minute. The Redis tests (fleet.test.ts) run on real time.

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const MINUTE = 1000;
const QUOTA = { rpm: 1000, tpm: 120_000 };
const TARGET = 0.98;
const MAX_TOKENS = 1024;

function limiterFor(shape: Partial<BucketShape> = {}, maxConcurrency = 64) {
  const store = new LocalTokenBucket({
    rates: { requestsPerMinute: QUOTA.rpm * TARGET, tokensPerMinute: QUOTA.tpm * TARGET },
    shape: { minuteMs: MINUTE, ...shape },
  });
  return new QuotaLimiter({ store, maxConcurrency });
}

/** Runs the fake clock, timer by timer, until `promise` settles. */
async function until<T>(promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let i = 0; i < 100_000 && !settled; i++) await vi.advanceTimersToNextTimerAsync();
  return promise;
}

/** Advances the fake clock in steps, calling `each` after every step. */
async function run(ms: number, each?: () => void, step = 50) {
  for (let t = 0; t < ms; t += step) {
    await vi.advanceTimersByTimeAsync(step);
    each?.();
  }
}

describe('QuotaLimiter against a Bedrock-like quota', () => {
  it('admits at least 90% of the tokens quota and never more than the quota, without a throttle', async () => {
    const bedrock = new FakeBedrock({ ...QUOTA, minuteMs: MINUTE, maxTokens: MAX_TOKENS, latencyMs: 50 });
    const limiter = limiterFor();
    const describer = new QuotaLimitedDescriber(bedrock, limiter, { maxTokens: MAX_TOKENS });
    const load = drive(describer, 20);
    const start = Date.now();
    await run(5 * MINUTE);
    await until(load.stop());

    // The first minute also pays the deposit Bedrock holds for calls in flight (their max_tokens, returned when they
    // end); measure from the second.
    const perMinute = bedrock.tokensBetween(start + MINUTE, start + 5 * MINUTE) / 4;
    expect(perMinute).toBeGreaterThanOrEqual(0.9 * QUOTA.tpm);
    expect(bedrock.maxTokensInWindow(MINUTE)).toBeLessThanOrEqual(QUOTA.tpm);
    expect(bedrock.throttles).toBe(0);
    const stats = limiter.stats();
    expect(stats).toMatchObject({ throttles: 0, failures: 0, inFlight: 0, waiting: 0, queued: 0, rateFactor: 1 });
    expect(stats.tokensUsed).toBe(bedrock.served.length * (TEST_USAGE.inputTokens + TEST_USAGE.outputTokens));
    expect(stats.tokensReserved).toBe(bedrock.served.length * describer.estimate(testImage()));
  });

  it('binds on requests per minute when calls are small', async () => {
    const quota = { rpm: 120, tpm: 1_000_000 };
    const bedrock = new FakeBedrock({
      ...quota,
      minuteMs: MINUTE,
      maxTokens: 64,
      latencyMs: 100,
      usage: () => ({ inputTokens: 50, outputTokens: 10 }),
    });
    const store = new LocalTokenBucket({
      rates: { requestsPerMinute: quota.rpm * TARGET, tokensPerMinute: quota.tpm * TARGET },
      shape: { minuteMs: MINUTE },
    });
    const limiter = new QuotaLimiter({ store });
    const describer = new QuotaLimitedDescriber(bedrock, limiter, { maxTokens: 64 });
    const load = drive(describer, 20);
    const start = Date.now();
    await run(4 * MINUTE);
    await until(load.stop());
    const calls = bedrock.callsBetween(start, start + 4 * MINUTE) / 4;
    expect(calls).toBeGreaterThanOrEqual(0.9 * quota.rpm);
    expect(calls).toBeLessThanOrEqual(quota.rpm);
    expect(bedrock.throttles).toBe(0);
  });

  it('backs the whole limiter off after throttles, then probes back up when the quota returns', async () => {
    // Bedrock grants only 60% of what the limiter was told (another client shares the account).
    const bedrock = new FakeBedrock({
      rpm: QUOTA.rpm * 0.6,
      tpm: QUOTA.tpm * 0.6,
      minuteMs: MINUTE,
      maxTokens: MAX_TOKENS,
      latencyMs: 50,
    });
    const limiter = limiterFor({ increasePerMinute: 0.25 });
    const describer = new QuotaLimitedDescriber(bedrock, limiter, { maxTokens: MAX_TOKENS });
    const load = drive(describer, 20);
    let lowest = 1;
    const watch = () => {
      lowest = Math.min(lowest, limiter.currentRate().factor);
    };
    const start = Date.now();
    await run(6 * MINUTE, watch);

    expect(limiter.stats().throttles).toBeGreaterThan(0);
    expect(lowest).toBeLessThanOrEqual(0.6);
    // Settled near what Bedrock grants, with few throttles once backed off.
    const late = bedrock.tokensBetween(start + 3 * MINUTE, start + 6 * MINUTE) / 3;
    expect(late).toBeGreaterThanOrEqual(0.7 * 0.6 * QUOTA.tpm);
    expect(late).toBeLessThanOrEqual(0.6 * QUOTA.tpm * 1.1);
    const throttlesBefore = bedrock.throttles;
    const callsLate = bedrock.callsBetween(start + 3 * MINUTE, start + 6 * MINUTE);
    expect(callsLate).toBeGreaterThan(0);

    // The other client leaves: the factor climbs back (additive increase) and the rate with it.
    bedrock.setQuota(QUOTA.rpm, QUOTA.tpm);
    const back = Date.now();
    await run(5 * MINUTE);
    expect(limiter.currentRate().factor).toBe(1);
    expect(limiter.currentRate().tokensPerMinute).toBeCloseTo(QUOTA.tpm * TARGET, 6);
    expect(bedrock.tokensBetween(back + 4 * MINUTE, back + 5 * MINUTE)).toBeGreaterThanOrEqual(0.9 * QUOTA.tpm);
    expect(bedrock.throttles).toBe(throttlesBefore);
    await until(load.stop());
  });
});

function testImage() {
  return {
    image: { body: Buffer.alloc(0), format: 'jpeg' as const, width: 1000, height: 750 },
    prompt: 'x'.repeat(400),
  };
}

describe('QuotaLimiter reservations', () => {
  const RATES = { requestsPerMinute: 60_000, tokensPerMinute: 60_000 }; // 1,000 tokens/s
  // A burst large enough not to hide a refund; 2 s of debt ahead.
  const SHAPE = { minuteMs: 60_000, burstMs: 60_000, maxDebtMs: 2_000 };

  it('settles to the real usage: the unused part of the estimate is credited back', async () => {
    const store = new LocalTokenBucket({ rates: RATES, shape: SHAPE });
    const limiter = new QuotaLimiter({ store });
    const start = Date.now();
    await expect(until(limiter.schedule(5000, async () => ({ result: 'ok', usedTokens: 1000 })))).resolves.toBe('ok');
    // The bucket starts 2 s (2,000 tokens) in debt: 7,000 tokens take 7 s.
    expect(Date.now() - start).toBeGreaterThanOrEqual(7000);
    // Level now 0 + 4,000 credited: 5,000 more tokens owe only 1,000.
    expect(await store.reserve(5000)).toMatchObject({ admitted: true, waitMs: 1000 });
    expect(limiter.stats()).toMatchObject({ admitted: 1, tokensReserved: 5000, tokensUsed: 1000 });
  });

  it('settles a failed call to 0 tokens (or usedOnError) and rethrows', async () => {
    const store = new LocalTokenBucket({ rates: RATES, shape: SHAPE });
    const limiter = new QuotaLimiter({ store });
    const failed = limiter.schedule(5000, async () => {
      throw new Error('boom');
    });
    await expect(until(failed)).rejects.toThrow('boom');
    // Level back at +5,000: the next 5,000 go at once.
    expect(await store.reserve(5000)).toMatchObject({ waitMs: 0 });
    const partly = limiter.schedule(
      1000,
      async () => {
        throw new Error('bad answer');
      },
      { usedOnError: () => 600 },
    );
    await expect(until(partly)).rejects.toThrow('bad answer');
    expect(limiter.stats()).toMatchObject({ admitted: 2, failures: 2, tokensUsed: 600 });
  });

  it('bounds the calls in flight and queues the rest', async () => {
    const store = new LocalTokenBucket({ rates: RATES, shape: { ...SHAPE, burstMs: 60_000 } });
    const limiter = new QuotaLimiter({ store, maxConcurrency: 3 });
    let running = 0;
    let most = 0;
    const calls = Array.from({ length: 10 }, () =>
      limiter.schedule(0, async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 100));
        running -= 1;
        return { result: true, usedTokens: 0 };
      }),
    );
    await vi.advanceTimersByTimeAsync(2010); // the bucket starts 2 s in debt
    expect(limiter.stats()).toMatchObject({ inFlight: 3, queued: 7 });
    await until(Promise.all(calls));
    expect(most).toBe(3);
    expect(limiter.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 10 });
  });

  it('an abort before the call is sent gives the whole reservation back', async () => {
    const store = new LocalTokenBucket({ rates: RATES, shape: SHAPE });
    const limiter = new QuotaLimiter({ store });
    const controller = new AbortController();
    const fn = vi.fn(async () => ({ result: 1, usedTokens: 0 }));
    const call = limiter.schedule(5000, fn, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(1000);
    expect(limiter.stats().waiting).toBe(1);
    controller.abort(new Error('gone'));
    await expect(until(call)).rejects.toThrow('gone');
    expect(fn).not.toHaveBeenCalled();
    expect(limiter.stats()).toMatchObject({ waiting: 0, admitted: 0 });
    // Back to the initial 2 s of debt less 1 s of refill (7 s without the refund). The reservation was made a tick
    // after the start, hence the tolerance.
    const next = await store.reserve(1000);
    expect(Math.abs(next.waitMs - 2000)).toBeLessThanOrEqual(5);
  });

  it('rejects a nonsensical estimate', async () => {
    const limiter = new QuotaLimiter({ store: new LocalTokenBucket({ rates: RATES }) });
    await expect(limiter.schedule(Number.NaN, async () => ({ result: 1, usedTokens: 0 }))).rejects.toThrow(RangeError);
    expect(() => new QuotaLimiter({ store: new LocalTokenBucket({ rates: RATES }), maxConcurrency: 0 })).toThrow(
      RangeError,
    );
  });
});
