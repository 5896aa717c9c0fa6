import { errorName, httpStatusOf } from '../../shared/awsErrors.ts';
import {
  DailyQuotaExhaustedError,
  ImageRejectedError,
  ModelConfigurationError,
  type ModelFaultKind,
  ThrottledError,
  TransientError,
} from '../../shared/errors.ts';
import { describeModelFault } from '../../shared/modelFaults.ts';
import { resolveModel, usabilityProblem } from '../../shared/models.ts';

/**
 * Bedrock's exceptions as the pipeline's typed errors. What a failure means decides what happens to the image:
 * - configuration faults (403, 404, end of life, a bare id that needs a profile, a refused parameter, an invalid
 *   model id): {@link ModelConfigurationError}, the fleet pauses and nothing is rejected;
 * - a ValidationException about the image itself: {@link ImageRejectedError} with our own short message;
 * - "Too many tokens per day": {@link DailyQuotaExhaustedError}, consumption pauses until the budget returns;
 * - other throttles, 5xx, timeouts, model not ready, resets: passing, retried within the budget.
 * The raw AWS text goes only into `cause` (logs); stored and shown messages are ours.
 */
export function translateBedrockError(error: unknown, modelId: string, timedOut = false): Error {
  const name = errorName(error);
  const status = httpStatusOf(error);
  const raw = (error as Error)?.message ?? String(error);
  const message = `Bedrock ${name}${status ? ` (HTTP ${status})` : ''}: ${raw}`;
  const options = { cause: error, context: { awsError: name, httpStatus: status } };
  if (name === 'ThrottlingException' || (status === 429 && name !== 'ModelNotReadyException')) {
    if (/per day/i.test(raw)) return new DailyQuotaExhaustedError(message, options);
    return new ThrottledError(message, options);
  }
  const config = (kind: ModelFaultKind, parameter?: string) =>
    new ModelConfigurationError(
      kind,
      modelId,
      describeModelFault(kind, modelId, faultDetail(kind, modelId, parameter)),
      options,
    );
  if (name === 'AccessDeniedException' || status === 403) return config('access-denied');
  if (name === 'ResourceNotFoundException') {
    return config(
      /end of (its )?life|end-of-life/i.test(raw) || isPastEndOfLife(modelId) ? 'end-of-life' : 'not-found',
    );
  }
  if (name === 'CredentialsProviderError') return config('no-credentials');
  if (name === 'ValidationException') return translateValidation(raw, config, options);
  if (timedOut) return new TransientError(`Bedrock call timed out: ${message}`, options);
  // ModelNotReadyException, 5xx, ModelTimeoutException, ModelErrorException, connection resets, HTTP/2 stream errors:
  // passing faults, retried within the budget.
  return new TransientError(message, options);
}

/** Phrases of a ValidationException about the image sent (its bytes, format, size), not about the request's shape. */
const IMAGE_FAULT =
  /could not process image|image (exceeds|is too|dimensions|format|data)|invalid image|unable to (decode|process) (the )?image|image.*(too large|too small|not supported|unsupported)/i;
const PARAMETER =
  /\b(temperature|top_p|topP|top_k|thinking|tool_choice|toolChoice|strict|output_config|outputConfig|additionalModelRequestFields)\b/;

function translateValidation(
  raw: string,
  config: (kind: ModelFaultKind, parameter?: string) => ModelConfigurationError,
  options: { cause: unknown; context: Record<string, unknown> },
): Error {
  if (/on-demand throughput isn.t supported|inference profile/i.test(raw)) return config('profile-required');
  if (/model identifier is invalid|model id.*(invalid|not (found|supported))/i.test(raw))
    return config('unknown-model');
  if (/end of (its )?life/i.test(raw)) return config('end-of-life');
  if (IMAGE_FAULT.test(raw)) {
    return new ImageRejectedError(
      'MODEL_REJECTED_IMAGE',
      'the model service could not process this image (its size, dimensions or data)',
      options,
    );
  }
  if (/context window|prompt is too long|input is too long/i.test(raw)) {
    return new ImageRejectedError(
      'MODEL_INPUT_TOO_LARGE',
      'the request with this image is over the model context window',
      options,
    );
  }
  // Anything else is about the request's shape: the same for every image, so the configuration's fault.
  return config('parameter-refused', PARAMETER.exec(raw)?.[1]);
}

function faultDetail(kind: ModelFaultKind, modelId: string, parameter?: string): Record<string, string> {
  const problem = usabilityProblem(resolveModel(modelId));
  if (kind === 'end-of-life' && problem?.kind === 'end-of-life') {
    return { date: problem.date, ...(problem.replacement ? { replacement: problem.replacement } : {}) };
  }
  return parameter ? { parameter } : {};
}

function isPastEndOfLife(modelId: string): boolean {
  return usabilityProblem(resolveModel(modelId))?.kind === 'end-of-life';
}
