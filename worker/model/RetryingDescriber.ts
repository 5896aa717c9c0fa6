import { fullJitterDelay, sleep } from '../../shared/backoff.ts';
import {
  CatalogueError,
  ImageRejectedError,
  ModelOutputError,
  ModelOutputTruncatedError,
  ModelPausedError,
  RetryBudgetExhaustedError,
} from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { DescribeRequest, DescribeResult, Describer } from '../ports.ts';

export interface RetryOptions {
  /** Attempts for throttling and transient errors. Default 8. */
  maxAttempts: number;
  /** Attempts when the answer fails validation; these also count towards maxAttempts. Default 3. */
  outputMaxAttempts: number;
  /**
   * `max_tokens` of the one retry after a `max_tokens` stop (`MAX_TOKENS_RETRY`). At or below the budget that was
   * cut short: no retry, the image is rejected as MODEL_OUTPUT_TRUNCATED at once.
   */
  truncatedMaxTokens?: number;
  /** Backoff base and cap, ms. Defaults 500 and 20000. */
  baseMs: number;
  maxMs: number;
  logger?: Logger;
  random?: () => number;
}

/**
 * Retries what is retryable (throttling, transient faults, an invalid answer) with full-jitter backoff inside a
 * bounded budget; anything final (a configuration fault, a rejected image) passes straight through. A `max_tokens`
 * stop is retried once with the larger budget, never at the same one (it would repeat identically); a second stop
 * rejects the image. An invalid answer is never returned:
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
    let current = request;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const result = await this.inner.describe(current);
        return { ...result, attempts: attempt };
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason ?? error;
        lastError = error;
        if (error instanceof ModelOutputTruncatedError) {
          current = { ...current, maxTokens: this.largerBudget(error) };
          continue;
        }
        // Final errors are not retried; unknown errors are (never lose an image to a surprise). A pause is retried
        // later by the queue, not here: nothing may reach the model until the gate resumes.
        if (error instanceof CatalogueError && !error.retryable) throw error;
        if (error instanceof ModelPausedError) throw error;
        if (error instanceof ModelOutputError && ++outputFailures >= outputMaxAttempts) break;
        if (attempt === maxAttempts) break;
        const wait = fullJitterDelay(attempt - 1, baseMs, maxMs, random);
        logger?.debug({ attempt, wait, err: error }, 'model call failed; retrying');
        await sleep(wait, request.signal);
      }
    }
    if (lastError instanceof ModelOutputTruncatedError) throw truncated(lastError);
    const what = lastError instanceof ModelOutputError ? 'invalid answers' : 'retryable failures';
    throw new RetryBudgetExhaustedError(`gave up after ${what}: ${(lastError as Error)?.message ?? lastError}`, {
      cause: lastError,
      context: { outputFailures },
    });
  }

  /** The budget of the one retry after a `max_tokens` stop; throws the rejection when there is no larger one. */
  private largerBudget(error: ModelOutputTruncatedError): number {
    const larger = this.options.truncatedMaxTokens ?? 0;
    if (larger <= error.maxTokens) throw truncated(error);
    return larger;
  }
}

function truncated(error: ModelOutputTruncatedError): ImageRejectedError {
  return new ImageRejectedError(
    'MODEL_OUTPUT_TRUNCATED',
    `the description did not fit in ${error.maxTokens} output tokens (MAX_TOKENS_RETRY)`,
    { cause: error, context: error.context },
  );
}
