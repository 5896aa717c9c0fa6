import { CatalogueError } from '../../shared/errors.ts';

/** Why a request was refused: decides the page the viewer sees. */
export type RefusalReason = 'NO_SESSION' | 'SESSION_EXPIRED' | 'SESSION_INVALID' | 'SIGN_IN_FAILED';

/** The viewer is not (or no longer) signed in. Never retried: the viewer signs in again. */
export class AuthRefusedError extends CatalogueError {
  readonly code = 'AUTH_REFUSED';
  readonly retryable = false;
  constructor(
    readonly reason: RefusalReason,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { ...options, context: { reason } });
  }
}

/** The identity provider could not be reached or answered nonsense (discovery, keys, token endpoint). */
export class IdentityProviderError extends CatalogueError {
  readonly code = 'IDP_UNAVAILABLE';
  readonly retryable = true;
}
