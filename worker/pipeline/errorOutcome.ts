import {
  CatalogueError,
  ImageRejectedError,
  ModelRequestError,
  PoisonMessageError,
  type RejectionReason,
} from '../../shared/errors.ts';
import { redactAwsIdentifiers } from '../../shared/modelFaults.ts';

/**
 * What an error means for the work it interrupted. The one place where errors become outcomes: the pipeline, the
 * message handler and the queue worker all ask here, so a new error type changes behaviour in one place.
 * - abort: our own stop (the caller's signal fired); not an outcome: the caller hands the message back;
 * - rejected: the image's fault; stored as a `rejected` item with the reason code, the message acknowledged;
 * - poison: the message's fault; it goes to the DLQ at once with the reason;
 * - failed: final for this process (a retry budget ran out, or an error no retry can fix that blames no image);
 *   the message is left to SQS redelivery and, in the end, the DLQ;
 * - retry: a passing fault (throttling, 5xx, timeouts, anything unknown); the message is redelivered later.
 */
export type ErrorOutcome =
  | { outcome: 'abort' }
  | { outcome: 'rejected'; reasonCode: RejectionReason; reason: string }
  | { outcome: 'poison' | 'failed' | 'retry'; reasonCode: string; reason: string };

/**
 * Turns an error into an outcome, driven by the typed errors' `code`, `retryable` and `final`. Unknown errors (not a
 * {@link CatalogueError}) are retried: a surprise must never lose an image.
 */
export function outcomeOfError(error: unknown, signal?: AbortSignal): ErrorOutcome {
  const outcome = outcomeOf(error, signal);
  // Outcomes are logged, counted and shown (npm start prints them): never with an ARN or an account id.
  return outcome.outcome === 'abort' ? outcome : { ...outcome, reason: redactAwsIdentifiers(outcome.reason) };
}

function outcomeOf(error: unknown, signal?: AbortSignal): ErrorOutcome {
  if (signal?.aborted) return { outcome: 'abort' };
  if (error instanceof ImageRejectedError) {
    return { outcome: 'rejected', reasonCode: error.reason, reason: error.message };
  }
  if (error instanceof ModelRequestError) {
    // Kept for describers of other services. Bedrock's adapter never raises it: it tells a refusal of the image
    // (ImageRejectedError, our own message) from a configuration fault (ModelConfigurationError: the fleet pauses).
    return {
      outcome: 'rejected',
      reasonCode: 'MODEL_REFUSED',
      reason: 'the model service refused the image',
    };
  }
  if (error instanceof PoisonMessageError) return { outcome: 'poison', reasonCode: error.code, reason: error.message };
  if (!(error instanceof CatalogueError)) {
    return { outcome: 'retry', reasonCode: codeOf(error) ?? 'UNEXPECTED', reason: messageOf(error) };
  }
  return { outcome: error.final ? 'failed' : 'retry', reasonCode: error.code, reason: error.message };
}

/** A `code` an unknown error may carry (Node's system errors: ECONNRESET, ...). */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
