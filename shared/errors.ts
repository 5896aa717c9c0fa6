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
  /** Bedrock refused this image (its dimensions, its bytes): a ValidationException about the image. */
  | 'MODEL_REJECTED_IMAGE'
  /** The description did not fit in the largest output budget allowed (`max_tokens` stop, after one larger try). */
  | 'MODEL_OUTPUT_TRUNCATED'
  /** The model declined to describe the image (`content_filtered`, a guardrail, a refusal). */
  | 'MODEL_CONTENT_FILTERED'
  /** The request with this image is over the model's context window. */
  | 'MODEL_INPUT_TOO_LARGE'
  /** Stored by versions before the model table: a refusal of any kind, configuration faults included. */
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

/** What is wrong with the model configuration: each kind names its own fix (see describeModelFault). */
export type ModelFaultKind =
  | 'end-of-life'
  | 'access-denied'
  | 'not-found'
  | 'profile-required'
  | 'profile-not-offered'
  | 'unknown-model'
  | 'parameter-refused'
  | 'no-credentials';

/**
 * The model cannot be called as configured: no access, end of life, an id that needs an inference profile, a
 * parameter the model refuses. No image is to blame: the worker pauses (rejects nothing, deletes nothing) and
 * probes until the fault is gone; at start-up the command exits 3. `message` says what is wrong and what to do.
 */
export class ModelConfigurationError extends CatalogueError {
  readonly code = 'MODEL_CONFIGURATION';
  /** Retrying the call cannot help... */
  readonly retryable = false;
  /** ...but nothing about the record is settled: it waits for the fix (the fleet pauses; see ModelGate). */
  override get final(): boolean {
    return false;
  }
  constructor(
    readonly kind: ModelFaultKind,
    readonly modelId: string,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, { ...options, context: { kind, modelId, ...options.context } });
  }
}

/**
 * The model's tokens-per-day budget is spent (Bedrock: 429 "Too many tokens per day"). Not a passing throttle:
 * retrying burns receive counts into the DLQ. The worker pauses consumption until the budget returns.
 */
export class DailyQuotaExhaustedError extends CatalogueError {
  readonly code = 'QUOTA_DAILY_EXHAUSTED';
  readonly retryable = false;
  /** The record waits for the budget to return: never failed, never dead-lettered. */
  override get final(): boolean {
    return false;
  }
}

/** The answer stopped at `max_tokens`: retrying at the same budget repeats it. Carries the budget it hit. */
export class ModelOutputTruncatedError extends CatalogueError {
  readonly code = 'MODEL_OUTPUT_TRUNCATED';
  readonly retryable = false;
  constructor(
    readonly maxTokens: number,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, { ...options, context: { maxTokens, ...options.context } });
  }
}

/** The model calls are paused (configuration fault or daily budget): leave the message for later, spend nothing. */
export class ModelPausedError extends CatalogueError {
  readonly code = 'MODEL_PAUSED';
  readonly retryable = true;
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
