import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DailyQuotaExhaustedError,
  ImageRejectedError,
  ModelConfigurationError,
  ModelOutputError,
  ModelRequestError,
  PoisonMessageError,
  RetryBudgetExhaustedError,
  ThrottledError,
  TransientError,
} from '../../../shared/errors.ts';
import { outcomeOfError } from '../../../worker/pipeline/errorOutcome.ts';

describe('outcomeOfError', () => {
  it('an image the worker cannot use is rejected with its reason code', () => {
    expect(outcomeOfError(new ImageRejectedError('CORRUPT_IMAGE', 'corrupt JPEG'))).toEqual({
      outcome: 'rejected',
      reasonCode: 'CORRUPT_IMAGE',
      reason: 'corrupt JPEG',
    });
  });

  it('a request the model service refuses is a rejection of the image (MODEL_REFUSED), without its raw text', () => {
    const raw = 'Bedrock ValidationException: bad image for arn:aws:iam::123456789012:role/worker';
    const o = outcomeOfError(new ModelRequestError(raw));
    expect(o).toMatchObject({ outcome: 'rejected', reasonCode: 'MODEL_REFUSED' });
    expect(o.outcome !== 'abort' && o.reason).not.toMatch(/arn:|\d{12}/);
  });

  it('a configuration fault or a spent daily budget is retried later, never final', () => {
    const denied = new ModelConfigurationError('access-denied', 'm', 'Access to MODEL_ID m is denied');
    expect(outcomeOfError(denied)).toMatchObject({ outcome: 'retry', reasonCode: 'MODEL_CONFIGURATION' });
    const day = new DailyQuotaExhaustedError('Too many tokens per day');
    expect(outcomeOfError(day)).toMatchObject({ outcome: 'retry', reasonCode: 'QUOTA_DAILY_EXHAUSTED' });
  });

  it('a poison message goes to the DLQ', () => {
    expect(outcomeOfError(new PoisonMessageError('not JSON'))).toEqual({
      outcome: 'poison',
      reasonCode: 'POISON_MESSAGE',
      reason: 'not JSON',
    });
  });

  it.each([
    ['throttling', new ThrottledError('429'), 'THROTTLED'],
    ['a passing fault', new TransientError('503'), 'TRANSIENT'],
    ['an invalid answer', new ModelOutputError('bad json'), 'MODEL_OUTPUT_INVALID'],
  ])('%s is retried later, keeping its code', (_what, error, code) => {
    expect(outcomeOfError(error)).toEqual({ outcome: 'retry', reasonCode: code, reason: error.message });
  });

  it('a spent retry budget is final for this process: failed (retryable, yet final)', () => {
    const error = new RetryBudgetExhaustedError('gave up');
    expect(error.retryable).toBe(true);
    expect(error.final).toBe(true);
    expect(outcomeOfError(error)).toEqual({
      outcome: 'failed',
      reasonCode: 'RETRY_BUDGET_EXHAUSTED',
      reason: 'gave up',
    });
  });

  it('a final error that blames no image or message fails rather than retrying at once', () => {
    const error = new ConfigError([{ variable: 'X', message: 'bad' }]);
    expect(outcomeOfError(error)).toMatchObject({ outcome: 'failed', reasonCode: 'CONFIG_INVALID' });
  });

  it('an unknown error is retried (never lose an image to a surprise), with its system code when it has one', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(outcomeOfError(reset)).toEqual({ outcome: 'retry', reasonCode: 'ECONNRESET', reason: 'socket hang up' });
    expect(outcomeOfError('a string')).toEqual({ outcome: 'retry', reasonCode: 'UNEXPECTED', reason: 'a string' });
  });

  it('an aborted signal wins over the error: our own stop is not an outcome', () => {
    const stop = new AbortController();
    stop.abort();
    expect(outcomeOfError(new ImageRejectedError('CORRUPT_IMAGE', 'x'), stop.signal)).toEqual({ outcome: 'abort' });
    expect(outcomeOfError(new TransientError('x'), new AbortController().signal)).toMatchObject({ outcome: 'retry' });
  });
});
