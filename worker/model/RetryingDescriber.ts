import { fullJitterDelay, sleep } from '../../shared/backoff.ts';
import { CatalogueError, ModelOutputError, RetryBudgetExhaustedError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { DescribeRequest, DescribeResult, Describer } from '../ports.ts';

export interface RetryOptions {
  /** Attempts for throttling and transient errors. Default 8. */
  maxAttempts: number;
  /** Attempts when the answer fails validation; these also count towards maxAttempts. Default 3. */
  outputMaxAttempts: number;
  /** Backoff base and cap, ms. Defaults 500 and 20000. */
  baseMs: number;
  maxMs: number;
  logger?: Logger;
  random?: () => number;
}

/**
 * Retries what is retryable (throttling, transient faults, an invalid answer) with full-jitter backoff inside a
 * bounded budget; anything final (ModelRequestError) passes straight through. An invalid answer is never returned:
 * after its budget it becomes a RetryBudgetExhaustedError, and the message goes back to SQS (then the DLQ).
 */
export class RetryingDescriber implements Describer {
  constructor(
    private readonly inner: Describer,
    private readonly options: RetryOptions,
  ) {}

  async describe(request: DescribeRequest): Promise<DescribeResult> {
    const { maxAttempts, outputMaxAttempts, baseMs, maxMs, random, logger } = this.options;
    let outputFailures = 0;
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const result = await this.inner.describe(request);
        return { ...result, attempts: attempt };
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason ?? error;
        lastError = error;
        // Final errors are not retried; unknown errors are (never lose an image to a surprise).
        if (error instanceof CatalogueError && !error.retryable) throw error;
        if (error instanceof ModelOutputError && ++outputFailures >= outputMaxAttempts) break;
        if (attempt === maxAttempts) break;
        const wait = fullJitterDelay(attempt - 1, baseMs, maxMs, random);
        logger?.debug({ attempt, wait, err: error }, 'model call failed; retrying');
        await sleep(wait, request.signal);
      }
    }
    const what = lastError instanceof ModelOutputError ? 'invalid answers' : 'retryable failures';
    throw new RetryBudgetExhaustedError(`gave up after ${what}: ${(lastError as Error)?.message ?? lastError}`, {
      cause: lastError,
      context: { outputFailures },
    });
  }
}
