import { afterEach, describe, expect, it, vi } from 'vitest';
import { isAbortError, isGoneMessageError, waitUntil } from '../../../worker/consumer/stopping.ts';

describe('isAbortError', () => {
  it("knows the SDK's abort, sqs-consumer's wrapping of it, and an abort anywhere down the causes", () => {
    const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    expect(isAbortError(abort)).toBe(true);
    expect(isAbortError({ name: 'SQSError', message: 'SQS receive message failed: Request aborted' })).toBe(true);
    expect(isAbortError(new Error('wrapped', { cause: new Error('wrapped again', { cause: abort }) }))).toBe(true);
  });

  it('says no to other errors, to nothing, and to an error that is its own cause', () => {
    expect(isAbortError(undefined)).toBe(false);
    expect(isAbortError(null)).toBe(false);
    expect(isAbortError(new Error('SQS receive message failed: connect ECONNREFUSED'))).toBe(false);
    expect(isAbortError({ name: 'SQSError', message: 42 })).toBe(false);
    const loop = new Error('loops');
    (loop as { cause?: unknown }).cause = loop;
    expect(isAbortError(loop)).toBe(false);
  });
});

describe('isGoneMessageError', () => {
  it("knows SQS's answer to a heartbeat on a message already deleted or handed back", () => {
    const gone = [
      'Value AQEB... for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.',
      'Error changing visibility timeout: ReceiptHandleIsInvalid',
      'Could not change the visibility timeout: the receipt handle has expired',
    ];
    for (const message of gone) expect(isGoneMessageError(new Error(message)), message).toBe(true);
  });

  it('says no to other visibility errors and to other errors', () => {
    expect(isGoneMessageError(new Error('visibility timeout change failed: throttled'))).toBe(false);
    expect(isGoneMessageError(new Error('Message does not exist'))).toBe(false);
    expect(isGoneMessageError({ message: 7 })).toBe(false);
    expect(isGoneMessageError(undefined)).toBe(false);
  });
});

describe('waitUntil', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is true at once when the condition already holds', async () => {
    vi.useFakeTimers();
    await expect(waitUntil(() => true, 0)).resolves.toBe(true);
  });

  it('is true as soon as the condition holds, false once the time is up', async () => {
    vi.useFakeTimers();
    let ready = false;
    const soon = waitUntil(() => ready, 1000);
    const never = waitUntil(() => false, 1000);
    let neverDone = false;
    void never.then(() => {
      neverDone = true;
    });
    await vi.advanceTimersByTimeAsync(500);
    ready = true;
    await vi.advanceTimersByTimeAsync(50);
    await expect(soon).resolves.toBe(true);
    expect(neverDone).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    await expect(never).resolves.toBe(false);
  });
});
