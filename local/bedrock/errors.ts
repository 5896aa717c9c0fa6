/**
 * The errors the stand-in answers with, as Bedrock Runtime sends them: a status code, a JSON body `{"message"}` and
 * the header `x-amzn-errortype`. The SDK's REST-JSON deserialiser reads that header first to pick the exception
 * class, so clients get the real `ThrottlingException`, `ValidationException`, etc.
 */
const BEDROCK_ERRORS = {
  ValidationException: 400,
  // Control plane (batch inference): both are 400 in the Bedrock API model.
  ConflictException: 400,
  ServiceQuotaExceededException: 400,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  ModelTimeoutException: 408,
  ModelErrorException: 424,
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
} as const;

export type BedrockErrorName = keyof typeof BEDROCK_ERRORS;

/** An error the stand-in sends to the client as a Bedrock error response. Analysers may throw it too. */
export class BedrockError extends Error {
  readonly status: number;

  constructor(
    readonly errorType: BedrockErrorName,
    message: string,
  ) {
    super(message);
    this.name = errorType;
    this.status = BEDROCK_ERRORS[errorType];
  }
}

/** Shorthand for the most common one: the request itself is wrong (400, never worth retrying). */
export function validationError(message: string): BedrockError {
  return new BedrockError('ValidationException', message);
}
