import { CatalogueError } from '../../shared/errors.ts';

/** An error the API answers with its own status and a JSON body `{ error: { code, message, parameter? } }`. */
export abstract class ApiError extends CatalogueError {
  abstract readonly status: number;

  /** The JSON body sent to the client: nothing beyond what the client itself sent or may know. */
  body(): { error: { code: string; message: string; parameter?: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** A query or path parameter is missing, malformed or out of range. Names the parameter. */
export class InvalidParameterError extends ApiError {
  readonly code = 'INVALID_PARAMETER';
  readonly retryable = false;
  readonly status = 400;
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`, { context: { parameter } });
  }

  override body() {
    return { error: { code: this.code, message: this.message, parameter: this.parameter } };
  }
}

export class NotFoundError extends ApiError {
  readonly code = 'NOT_FOUND';
  readonly retryable = false;
  readonly status = 404;
}

export class MethodNotAllowedError extends ApiError {
  readonly code = 'METHOD_NOT_ALLOWED';
  readonly retryable = false;
  readonly status = 405;
}

/** The catalogue table (or S3, for signing) could not be read. Worth retrying. */
export class UpstreamError extends ApiError {
  readonly code = 'UPSTREAM_UNAVAILABLE';
  readonly retryable = true;
  readonly status = 503;
}

/** A stored item does not match the catalogue schema: a bug or a foreign writer, not something to retry. */
export class MalformedItemError extends ApiError {
  readonly code = 'ITEM_MALFORMED';
  readonly retryable = false;
  readonly status = 500;
}
