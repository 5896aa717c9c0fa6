import { describe, expect, it, vi } from 'vitest';
import { ModelOutputError, ModelRequestError, ThrottledError, TransientError } from '../../../shared/errors.ts';
import type { DescribeRequest, DescribeResult, Describer } from '../../../worker/ports.ts';
import { estimateTokens } from '../../../worker/quota/estimate.ts';
import { LocalTokenBucket } from '../../../worker/quota/LocalTokenBucket.ts';
import { QuotaLimitedDescriber } from '../../../worker/quota/QuotaLimitedDescriber.ts';
import { QuotaLimiter } from '../../../worker/quota/QuotaLimiter.ts';
import { DEFAULT_BUCKET_SHAPE } from '../../../worker/quota/rates.ts';
import { testRequest } from './fakes.ts';

// A bucket so large and so fast that nothing waits: these tests are about what the decorator reserves and settles.
function setup(inner: Describer, outputBurndown = 1) {
  const store = new LocalTokenBucket({
    rates: { requestsPerMinute: 1e9, tokensPerMinute: 1e12 },
    // No climb after a cut: a test reads the factor a throttle left, however long it takes.
    shape: { minuteMs: 60_000, maxDebtMs: 0, increasePerMinute: 0 },
  });
  const limiter = new QuotaLimiter({ store });
  const describer = new QuotaLimitedDescriber(inner, limiter, { maxTokens: 1024, outputBurndown });
  return { limiter, describer, store };
}

const RESULT: DescribeResult = {
  description: { summary: 's', category: 'c', labels: [], sensitive: { verdict: 'none', reason: 'r' }, text: '' },
  usage: { inputTokens: 1700, outputTokens: 150 },
  modelId: 'm',
  attempts: 1,
};

function failing(error: Error): Describer {
  return {
    describe: async () => {
      throw error;
    },
  };
}

describe('QuotaLimitedDescriber', () => {
  it('reserves the estimate of the prepared image, prompt, tool and max_tokens', () => {
    const { describer } = setup({ describe: async () => RESULT });
    const request = testRequest();
    expect(describer.estimate(request)).toBe(
      estimateTokens({ width: 1000, height: 750, promptChars: request.prompt.length, maxTokens: 1024 }),
    );
  });

  it('passes the request through and settles to the usage reported, output × burndown', async () => {
    const inner = { describe: vi.fn(async (_r: DescribeRequest) => RESULT) };
    const { describer, limiter } = setup(inner, 5);
    const request = testRequest();
    await expect(describer.describe(request)).resolves.toBe(RESULT);
    expect(inner.describe).toHaveBeenCalledWith(request);
    expect(limiter.stats()).toMatchObject({
      admitted: 1,
      tokensReserved: describer.estimate(request),
      tokensUsed: 1700 + 150 * 5,
      failures: 0,
    });
  });

  it('a throttle slows the whole limiter down and is rethrown for the retrying layer', async () => {
    const { describer, limiter } = setup(failing(new ThrottledError('429')));
    await expect(describer.describe(testRequest())).rejects.toBeInstanceOf(ThrottledError);
    expect(limiter.stats()).toMatchObject({ throttles: 1, failures: 1, tokensUsed: 0 });
    expect(limiter.currentRate().factor).toBeCloseTo(DEFAULT_BUCKET_SHAPE.decrease, 6);
  });

  it.each([
    ['TransientError', new TransientError('503')],
    ['ModelRequestError', new ModelRequestError('400')],
    ['an unknown error', new Error('socket hang up')],
  ])('%s: the reservation is released (0 tokens), the request counted, the error rethrown', async (_n, error) => {
    const { describer, limiter } = setup(failing(error));
    await expect(describer.describe(testRequest())).rejects.toBe(error);
    expect(limiter.stats()).toMatchObject({ admitted: 1, throttles: 0, failures: 1, tokensUsed: 0 });
    expect(limiter.currentRate().factor).toBe(1);
  });

  it('an invalid answer still spent its tokens: its usage when attached, else the whole reservation', async () => {
    const withUsage = setup(
      failing(new ModelOutputError('bad', { context: { usage: { inputTokens: 1700, outputTokens: 300 } } })),
      2,
    );
    await expect(withUsage.describer.describe(testRequest())).rejects.toBeInstanceOf(ModelOutputError);
    expect(withUsage.limiter.stats().tokensUsed).toBe(1700 + 300 * 2);

    const without = setup(failing(new ModelOutputError('bad')));
    await expect(without.describer.describe(testRequest())).rejects.toBeInstanceOf(ModelOutputError);
    expect(without.limiter.stats().tokensUsed).toBe(without.describer.estimate(testRequest()));
  });

  it("honours the request's abort signal while waiting for the quota", async () => {
    const inner = { describe: vi.fn(async () => RESULT) };
    const store = new LocalTokenBucket({ rates: { requestsPerMinute: 1, tokensPerMinute: 1 } });
    const limiter = new QuotaLimiter({ store });
    const describer = new QuotaLimitedDescriber(inner, limiter, { maxTokens: 1024 });
    const controller = new AbortController();
    const call = describer.describe(testRequest(controller.signal));
    controller.abort(new Error('shutting down'));
    await expect(call).rejects.toThrow('shutting down');
    expect(inner.describe).not.toHaveBeenCalled();
  });
});
