import {
  AccessDeniedException,
  InternalServerException,
  ModelNotReadyException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import {
  DailyQuotaExhaustedError,
  ImageRejectedError,
  ModelConfigurationError,
  ThrottledError,
  TransientError,
} from '../../../shared/errors.ts';
import { DEFAULT_MODEL_ID } from '../../../shared/models.ts';
import { translateBedrockError } from '../../../worker/adapters/bedrockErrors.ts';

// Bedrock's exceptions (the SDK's own classes, with the status codes and messages Bedrock sends) as the pipeline's
// typed errors: what each one means decides whether the image is rejected, the fleet pauses, or the call is retried.

const meta = (status: number) => ({ $metadata: { httpStatusCode: status } });
const EOL_MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';

const kindOf = (e: Error) => (e instanceof ModelConfigurationError ? e.kind : undefined);

describe('translateBedrockError', () => {
  it('a throttle is a passing ThrottledError; "Too many tokens per day" is the daily budget', () => {
    const minute = translateBedrockError(
      new ThrottlingException({ message: 'Too many requests, please wait before trying again.', ...meta(429) }),
      DEFAULT_MODEL_ID,
    );
    expect(minute).toBeInstanceOf(ThrottledError);
    expect(minute.message).toBe(
      'Bedrock ThrottlingException (HTTP 429): Too many requests, please wait before trying again.',
    );
    const day = translateBedrockError(
      new ThrottlingException({ message: 'Too many tokens per day, please wait before trying again.', ...meta(429) }),
      DEFAULT_MODEL_ID,
    );
    expect(day).toBeInstanceOf(DailyQuotaExhaustedError);
  });

  it('a bare 429 is a throttle too, but a 429 ModelNotReadyException is a passing fault, not a throttle', () => {
    const bare = Object.assign(new Error('rate exceeded'), { name: 'TooManyRequests', ...meta(429) });
    expect(translateBedrockError(bare, DEFAULT_MODEL_ID)).toBeInstanceOf(ThrottledError);
    const notReady = translateBedrockError(
      new ModelNotReadyException({ message: 'Model is not ready to serve inference requests.', ...meta(429) }),
      DEFAULT_MODEL_ID,
    );
    expect(notReady).toBeInstanceOf(TransientError);
    expect(notReady).not.toBeInstanceOf(ThrottledError);
  });

  it('keeps the AWS error as the cause and its name and status as context, never in our own messages', () => {
    const aws = new ServiceUnavailableException({ message: 'Service unavailable', ...meta(503) });
    const e = translateBedrockError(aws, DEFAULT_MODEL_ID) as TransientError;
    expect(e).toBeInstanceOf(TransientError);
    expect(e.cause).toBe(aws);
    expect(e.context).toMatchObject({ awsError: 'ServiceUnavailableException', httpStatus: 503 });
    expect(e.message).toBe('Bedrock ServiceUnavailableException (HTTP 503): Service unavailable');
  });

  it('names an error without a status or a message plainly', () => {
    const e = translateBedrockError('socket hang up', DEFAULT_MODEL_ID);
    expect(e).toBeInstanceOf(TransientError);
    expect(e.message).toBe('Bedrock Error: socket hang up');
  });

  it.each([
    [
      'access denied (the exception)',
      new AccessDeniedException({ message: 'not authorized', ...meta(403) }),
      'access-denied',
    ],
    [
      'access denied (any 403)',
      Object.assign(new Error('Forbidden'), { name: 'UnknownError', ...meta(403) }),
      'access-denied',
    ],
    [
      'a model that is not there',
      new ResourceNotFoundException({ message: 'Model not found', ...meta(404) }),
      'not-found',
    ],
    [
      'a model past its end of life, by the message',
      new ResourceNotFoundException({ message: 'This model version has reached the end of its life.', ...meta(404) }),
      'end-of-life',
    ],
    [
      'end of life, spelt with hyphens',
      new ResourceNotFoundException({ message: 'Model is end-of-life.', ...meta(404) }),
      'end-of-life',
    ],
    [
      'no credentials',
      Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }),
      'no-credentials',
    ],
    [
      'a bare id that needs an inference profile',
      new ValidationException({
        message:
          "Invocation of model ID anthropic.claude-haiku-4-5-20251001-v1:0 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
        ...meta(400),
      }),
      'profile-required',
    ],
    [
      'an invalid model id',
      new ValidationException({ message: 'The provided model identifier is invalid.', ...meta(400) }),
      'unknown-model',
    ],
    [
      'end of life in a ValidationException',
      new ValidationException({ message: 'This model has reached the end of its life.', ...meta(400) }),
      'end-of-life',
    ],
    [
      'a refused parameter',
      new ValidationException({
        message: 'temperature and top_p cannot both be specified for this model.',
        ...meta(400),
      }),
      'parameter-refused',
    ],
  ])('%s pauses the fleet as a configuration fault (%s)', (_, error, kind) => {
    const e = translateBedrockError(error, DEFAULT_MODEL_ID);
    expect(e).toBeInstanceOf(ModelConfigurationError);
    expect(kindOf(e)).toBe(kind);
    expect((e as ModelConfigurationError).modelId).toBe(DEFAULT_MODEL_ID);
  });

  it('names the refused parameter, and says so when it cannot tell', () => {
    const named = translateBedrockError(
      new ValidationException({
        message: 'temperature and top_p cannot both be specified for this model.',
        ...meta(400),
      }),
      DEFAULT_MODEL_ID,
    );
    expect(named.message).toContain("refused the request's parameters (temperature): ");
    const unnamed = translateBedrockError(
      new ValidationException({
        message: 'Malformed input request, please reformat your input and try again.',
        ...meta(400),
      }),
      DEFAULT_MODEL_ID,
    );
    expect(kindOf(unnamed)).toBe('parameter-refused');
    expect(unnamed.message).toContain("refused the request's parameters: ");
  });

  it('a 404 for a model the table knows to be past its end of life says since when and what to use', () => {
    const e = translateBedrockError(
      new ResourceNotFoundException({ message: 'Model not found', ...meta(404) }),
      EOL_MODEL,
    );
    expect(kindOf(e)).toBe('end-of-life');
    expect(e.message).toContain('since 2026-09-10');
    expect(e.message).toContain('Set MODEL_ID to');
  });

  it('an image the model cannot read rejects the image, with our own message and the AWS text only as cause', () => {
    const aws = new ValidationException({
      message: 'The model returned the following errors: Could not process image',
      ...meta(400),
    });
    const e = translateBedrockError(aws, DEFAULT_MODEL_ID);
    expect(e).toBeInstanceOf(ImageRejectedError);
    expect((e as ImageRejectedError).reason).toBe('MODEL_REJECTED_IMAGE');
    expect(e.message).toBe('the model service could not process this image (its size, dimensions or data)');
    expect(e.cause).toBe(aws);
  });

  it('a request over the context window rejects the image as too large for the model', () => {
    const e = translateBedrockError(
      new ValidationException({ message: 'Input is too long for requested model.', ...meta(400) }),
      DEFAULT_MODEL_ID,
    );
    expect((e as ImageRejectedError).reason).toBe('MODEL_INPUT_TOO_LARGE');
    expect(e.message).toBe('the request with this image is over the model context window');
  });

  it('5xx, model timeouts and our own timeout are passing faults, retried', () => {
    for (const aws of [
      new InternalServerException({ message: 'Internal error', ...meta(500) }),
      new ModelTimeoutException({ message: 'Model has timed out', ...meta(408) }),
    ]) {
      expect(translateBedrockError(aws, DEFAULT_MODEL_ID)).toBeInstanceOf(TransientError);
    }
    const ours = translateBedrockError(
      Object.assign(new Error('aborted'), { name: 'AbortError' }),
      DEFAULT_MODEL_ID,
      true,
    );
    expect(ours).toBeInstanceOf(TransientError);
    expect(ours.message).toBe('Bedrock call timed out: Bedrock AbortError: aborted');
  });
});
