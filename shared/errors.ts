/**
 * Typed errors. Every error the system raises on purpose is a {@link CatalogueError}: a constant `code`, a
 * `retryable` flag that the pipeline uses to choose between "retry later" and "final", structured `context` for the
 * logs, and the original exception as `cause`. Adapters translate SDK exceptions into these, so nothing above an
 * adapter ever inspects an AWS error name.
 */
export abstract class CatalogueError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;
  readonly context: Record<string, unknown>;

  /**
   * True when no retry within this delivery can help: the work on the record ends here. Final and not retryable:
   * settled for good (a rejected image, a poison message). Final and retryable: this process gave up (its retry
   * budget ran out) and leaves the message to SQS redelivery. Not final: retry later. Defaults to `!retryable`.
   */
  get final(): boolean {
    return !this.retryable;
  }

  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.context = options.context ?? {};
  }

  /** A plain object for structured logs. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      retryable: this.retryable,
      final: this.final,
      message: this.message,
      ...this.context,
    };
  }
}

/** One problem found in the configuration: which variable, and what is wrong with it. */
export interface ConfigIssue {
  variable: string;
  message: string;
}

/** The configuration is unusable. Lists every problem at once, each naming its variable. */
export class ConfigError extends CatalogueError {
  readonly code = 'CONFIG_INVALID';
  readonly retryable = false;
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i.variable}: ${i.message}`).join('\n')}`, {
      context: { issues },
    });
  }
}

/** A queue message that no retry can fix: not JSON, not a known shape. Goes to the DLQ at once. */
export class PoisonMessageError extends CatalogueError {
  readonly code = 'POISON_MESSAGE';
  readonly retryable = false;
}

/** Why an image cannot be catalogued. Stored on the `rejected` item. */
export type RejectionReason =
  | 'EMPTY_OBJECT'
  | 'NOT_AN_IMAGE'
  | 'UNSUPPORTED_FORMAT'
  | 'CORRUPT_IMAGE'
  | 'OBJECT_TOO_LARGE'
  | 'TOO_MANY_PIXELS'
  | 'MULTI_PAGE'
  | 'MODEL_REFUSED';

/** The object is not a usable image. Final: the item is stored as `rejected` with this reason. */
export class ImageRejectedError extends CatalogueError {
  readonly code = 'IMAGE_REJECTED';
  readonly retryable = false;
  constructor(
    readonly reason: RejectionReason,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, { ...options, context: { reason, ...options.context } });
  }
}

/** The model service refused for lack of quota (429). Retry later, and slow the whole limiter down. */
export class ThrottledError extends CatalogueError {
  readonly code = 'THROTTLED';
  readonly retryable = true;
}

/** A passing fault: 5xx, model not ready, connection reset, timeout. Retry with backoff. */
export class TransientError extends CatalogueError {
  readonly code = 'TRANSIENT';
  readonly retryable = true;
}

/** The model answered, but not with a valid catalogue entry. Retried within a small budget, never stored as is. */
export class ModelOutputError extends CatalogueError {
  readonly code = 'MODEL_OUTPUT_INVALID';
  readonly retryable = true;
}

/** The model service rejected the request itself (400 validation, 424 model error): retrying the same request is futile. */
export class ModelRequestError extends CatalogueError {
  readonly code = 'MODEL_REQUEST_REJECTED';
  readonly retryable = false;
}

/** The retry budget ran out. The message is left for SQS redelivery and, in the end, the DLQ. */
export class RetryBudgetExhaustedError extends CatalogueError {
  readonly code = 'RETRY_BUDGET_EXHAUSTED';
  readonly retryable = true;
  /** This process is done with the record (retrying again here would only burn quota); SQS may redeliver it. */
  override get final(): boolean {
    return true;
  }
}
