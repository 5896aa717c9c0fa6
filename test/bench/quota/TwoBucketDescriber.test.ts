import { describe, expect, it } from 'vitest';
import { TwoBucketDescriber, TwoBucketGate } from '../../../bench/quota/TwoBucketDescriber.ts';
import { ModelRequestError, ThrottledError, TransientError } from '../../../shared/errors.ts';
import type { DescribeRequest, DescribeResult, Describer } from '../../../worker/ports.ts';

// The baseline's two buckets on a clock the test moves by hand: a minute of 60,000 ms, 60 requests and 6,000 tokens
// a minute (one request and 100 tokens a second), 15 s pause after a throttle.

function gate(overrides: Partial<ConstructorParameters<typeof TwoBucketGate>[0]> = {}) {
  let t = 0;
  const g = new TwoBucketGate({
    requestsPerMinute: 60,
    tokensPerMinute: 6_000,
    minuteMs: 60_000,
    pauseMs: 15_000,
    now: () => t,
    ...overrides,
  });
  return { g, advance: (ms: number) => (t += ms) };
}

describe('TwoBucketGate', () => {
  it('starts with a full minute of both buckets, as the original does, then refills continuously', () => {
    const { g, advance } = gate();
    for (let i = 0; i < 60; i++) expect(g.take(100)).toBe(0);
    // Empty: the next request waits for one request's worth of refill (1 s).
    expect(g.take(100)).toBe(1000);
    advance(1000);
    expect(g.take(100)).toBe(0);
  });

  it('waits until both buckets hold the estimate: the tokens bucket binds large calls', () => {
    const { g, advance } = gate();
    expect(g.take(5_000)).toBe(0);
    // 1,000 tokens left: 2,500 more need 1,500 of refill at 100 a second.
    expect(g.take(2_500)).toBe(15_000);
    advance(15_000);
    expect(g.take(2_500)).toBe(0);
    expect(g.levels().tokens).toBeCloseTo(0, 6);
  });

  it('never credits anything back: the estimate (input + max_tokens) is spent for good', () => {
    const { g } = gate();
    g.take(6_000);
    expect(g.levels()).toMatchObject({ tokens: 0, requests: 59 });
  });

  it('after a throttle nobody sends for the pause, then the buckets (refilled meanwhile) serve again', () => {
    const { g, advance } = gate();
    expect(g.take(100)).toBe(0);
    g.throttled();
    expect(g.take(100)).toBe(15_000);
    advance(10_000);
    expect(g.take(100)).toBe(5_000);
    advance(5_000);
    expect(g.take(100)).toBe(0);
    expect(g.levels().throttles).toBe(1);
  });

  it('caps an estimate above a whole minute at the minute (the original would wait for ever)', () => {
    const { g } = gate();
    expect(g.take(1_000_000)).toBe(0);
  });

  it('refuses rates that are not positive', () => {
    expect(() => gate({ requestsPerMinute: 0 })).toThrow(RangeError);
  });
});

function request(signal?: AbortSignal): DescribeRequest {
  return { image: { body: Buffer.alloc(0), format: 'jpeg', width: 100, height: 100 }, prompt: 'p', signal };
}

const ANSWER: DescribeResult = {
  description: { summary: 's', category: 'c', labels: [], sensitive: { verdict: 'none', reason: 'r' }, text: '' },
  usage: { inputTokens: 10, outputTokens: 5 },
  modelId: 'm',
  attempts: 1,
};

/** A model that answers from a script: an error to throw, or the answer. */
function scripted(outcomes: (Error | 'ok')[]): Describer & { calls: number } {
  return {
    calls: 0,
    async describe() {
      const next = outcomes[this.calls++] ?? 'ok';
      if (next !== 'ok') throw next;
      return ANSWER;
    },
  };
}

/** A describer on a fake clock whose sleeps advance it at once, recording them. */
function describer(inner: Describer, maxAttempts = 5) {
  let t = 0;
  const sleeps: number[] = [];
  const d = new TwoBucketDescriber(inner, {
    requestsPerMinute: 60,
    tokensPerMinute: 6_000,
    minuteMs: 60_000,
    pauseMs: 15_000,
    maxAttempts,
    now: () => t,
    estimate: () => 100,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  });
  return { d, sleeps };
}

describe('TwoBucketDescriber', () => {
  it('retries a throttle after the pause, first in line, and counts the attempts', async () => {
    const inner = scripted([new ThrottledError('429'), 'ok']);
    const { d, sleeps } = describer(inner);
    const result = await d.describe(request());
    expect(result.attempts).toBe(2);
    expect(inner.calls).toBe(2);
    expect(sleeps).toEqual([15_000]);
    expect(d.gate.levels().throttles).toBe(1);
  });

  it('gives up after maxAttempts and rethrows the throttle for the layer above (SQS redelivery)', async () => {
    const inner = scripted(Array.from({ length: 3 }, () => new ThrottledError('429')));
    const { d } = describer(inner, 3);
    await expect(d.describe(request())).rejects.toBeInstanceOf(ThrottledError);
    expect(inner.calls).toBe(3);
  });

  it('retries transient faults without a pause, and rethrows final errors at once', async () => {
    const transient = scripted([new TransientError('503'), 'ok']);
    const a = describer(transient);
    await expect(a.d.describe(request())).resolves.toMatchObject({ attempts: 2 });
    expect(a.sleeps).toEqual([]);
    const final = scripted([new ModelRequestError('400')]);
    const b = describer(final);
    await expect(b.d.describe(request())).rejects.toBeInstanceOf(ModelRequestError);
    expect(final.calls).toBe(1);
  });

  it('serves waiting calls first come, first served, at the buckets pace', async () => {
    const inner = scripted([]);
    const { d, sleeps } = describer(inner);
    // 60 calls empty the requests bucket; the next three wait a second each.
    await Promise.all(Array.from({ length: 63 }, () => d.describe(request())));
    expect(inner.calls).toBe(63);
    expect(sleeps).toEqual([1000, 1000, 1000]);
  });

  it('an aborted call leaves the line without taking anything', async () => {
    let release: () => void = () => {};
    const inner = scripted([]);
    const d = new TwoBucketDescriber(inner, {
      requestsPerMinute: 1,
      tokensPerMinute: 6_000,
      minuteMs: 60_000,
      pauseMs: 0,
      estimate: () => 100,
      now: () => 0,
      sleep: () => new Promise<void>((resolve) => (release = resolve)),
    });
    await d.describe(request());
    const controller = new AbortController();
    const waiting = d.describe(request(controller.signal));
    expect(d.waiting()).toBe(1);
    controller.abort(new Error('shutdown'));
    await expect(waiting).rejects.toThrow('shutdown');
    expect(d.waiting()).toBe(0);
    release();
    expect(inner.calls).toBe(1);
  });
});
