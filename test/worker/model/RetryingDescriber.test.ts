import { describe, expect, it } from 'vitest';
import { fullJitterDelay } from '../../../shared/backoff.ts';
import {
  ModelOutputError,
  ModelRequestError,
  RetryBudgetExhaustedError,
  ThrottledError,
  TransientError,
} from '../../../shared/errors.ts';
import { RetryingDescriber } from '../../../worker/model/RetryingDescriber.ts';
import { ScriptedDescriber } from '../../helpers/fakes.ts';

const request = { image: { body: Buffer.alloc(1), format: 'jpeg' as const, width: 1, height: 1 }, prompt: 'p' };
const opts = { maxAttempts: 5, outputMaxAttempts: 3, baseMs: 1, maxMs: 2 };

describe('RetryingDescriber', () => {
  it('retries throttling and transient faults, then returns the answer with the attempt count', async () => {
    const inner = new ScriptedDescriber([new ThrottledError('429'), new TransientError('503')]);
    const result = await new RetryingDescriber(inner, opts).describe(request);
    expect(result.attempts).toBe(3);
    expect(inner.calls).toBe(3);
  });

  it('never retries a final error', async () => {
    const inner = new ScriptedDescriber([new ModelRequestError('400')]);
    await expect(new RetryingDescriber(inner, opts).describe(request)).rejects.toBeInstanceOf(ModelRequestError);
    expect(inner.calls).toBe(1);
  });

  it('retries an invalid answer within its own smaller budget, and never returns it', async () => {
    const bad = () => new ModelOutputError('labels.0.box.left: too big');
    const inner = new ScriptedDescriber([bad(), bad(), bad(), bad()]);
    const error = await new RetryingDescriber(inner, opts).describe(request).catch((e) => e);
    expect(error).toBeInstanceOf(RetryBudgetExhaustedError);
    expect(error.message).toMatch(/invalid answers/);
    expect(inner.calls).toBe(3);
  });

  it('stops at maxAttempts for persistent throttling', async () => {
    const inner = new ScriptedDescriber(Array.from({ length: 10 }, () => new ThrottledError('429')));
    await expect(new RetryingDescriber(inner, opts).describe(request)).rejects.toBeInstanceOf(
      RetryBudgetExhaustedError,
    );
    expect(inner.calls).toBe(5);
  });

  it('stops waiting at once when aborted', async () => {
    const inner = new ScriptedDescriber([new ThrottledError('429')]);
    const abort = new AbortController();
    const pending = new RetryingDescriber(inner, {
      ...opts,
      baseMs: 60_000,
      maxMs: 60_000,
      random: () => 0.99,
    }).describe({
      ...request,
      signal: abort.signal,
    });
    abort.abort(new Error('shutdown'));
    await expect(pending).rejects.toThrow('shutdown');
  });
});

describe('fullJitterDelay', () => {
  it('stays within [0, min(cap, base × 2^attempt))', () => {
    expect(fullJitterDelay(0, 100, 10_000, () => 0.999)).toBe(99);
    expect(fullJitterDelay(3, 100, 10_000, () => 0.5)).toBe(400);
    expect(fullJitterDelay(20, 100, 10_000, () => 0.999)).toBe(9990);
    expect(fullJitterDelay(5, 100, 10_000, () => 0)).toBe(0);
  });
});
