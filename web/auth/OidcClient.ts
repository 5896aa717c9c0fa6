import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import type { AuthConfig } from './config.ts';
import { AuthRefusedError, IdentityProviderError } from './errors.ts';

/** The fields of an OIDC discovery document this client uses. */
const Discovery = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  end_session_endpoint: z.url().optional(),
});
export type Discovery = z.output<typeof Discovery>;

const TokenResponse = z.object({ id_token: z.string().min(1) });

/** The claims of a verified ID token that the browser shows or checks. */
export interface Identity {
  subject: string;
  name?: string;
  email?: string;
  /** Expiry, epoch seconds. */
  expiresAt: number;
  nonce?: string;
}

/**
 * The relying-party side of OIDC authorization code + PKCE: discovery, the code exchange and ID token verification.
 * Verification is jose's (signature against the issuer's published keys, `iss`, `aud`, `exp`, `nbf`), never ours.
 */
export class OidcClient {
  private discovery?: Promise<Discovery>;
  private jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    private readonly config: AuthConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** The provider's endpoints, fetched once (per Lambda container) and kept. A failed fetch is retried next time. */
  endpoints(): Promise<Discovery> {
    this.discovery ??= fetchDiscovery(this.config.issuer).catch((error: unknown) => {
      this.discovery = undefined;
      throw error;
    });
    return this.discovery;
  }

  /**
   * Verifies an ID token: signed by the issuer's current keys, for this client, not expired.
   * @throws AuthRefusedError SESSION_EXPIRED or SESSION_INVALID
   * @throws IdentityProviderError when the keys cannot be fetched
   */
  async verify(token: string): Promise<Identity> {
    const { jwks_uri } = await this.endpoints();
    this.jwks ??= createRemoteJWKSet(new URL(jwks_uri));
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.config.issuer,
        audience: this.config.clientId,
        currentDate: new Date(this.now()),
        clockTolerance: this.config.clockToleranceSeconds,
        // A provider may issue long-lived ID tokens; a session never outlives this, whatever `exp` says.
        maxTokenAge: this.config.maxSessionSeconds,
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new AuthRefusedError('SESSION_EXPIRED', 'the session has expired', { cause: error });
      }
      if (error instanceof joseErrors.JOSEError) {
        throw new AuthRefusedError('SESSION_INVALID', `the session token was refused (${error.code})`, {
          cause: error,
        });
      }
      throw new IdentityProviderError('could not check the session token', { cause: error });
    }
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {
      subject: String(payload.sub),
      name: text(payload.name) ?? text(payload['cognito:username']),
      email: text(payload.email),
      expiresAt: Number(payload.exp),
      nonce: text(payload.nonce),
    };
  }

  /**
   * Exchanges an authorization code for the ID token (public client: the PKCE verifier proves the caller).
   * @throws AuthRefusedError SIGN_IN_FAILED when the provider refuses the code
   */
  async exchange(code: string, verifier: string, redirectUri: string): Promise<string> {
    const { token_endpoint } = await this.endpoints();
    const response = await fetch(token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: redirectUri,
        client_id: this.config.clientId,
      }),
      signal: AbortSignal.timeout(4000),
    }).catch((error: unknown) => {
      throw new IdentityProviderError('the token endpoint could not be reached', { cause: error });
    });
    const body: unknown = await response.json().catch(() => undefined);
    if (response.status >= 500) throw new IdentityProviderError(`the token endpoint answered ${response.status}`);
    const parsed = TokenResponse.safeParse(body);
    if (!response.ok || !parsed.success) {
      const error = (body as { error?: unknown } | undefined)?.error;
      throw new AuthRefusedError(
        'SIGN_IN_FAILED',
        `the provider refused the sign-in (${String(error ?? response.status)})`,
      );
    }
    return parsed.data.id_token;
  }
}

async function fetchDiscovery(issuer: string): Promise<Discovery> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(4000) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw new IdentityProviderError('the identity provider could not be reached', { cause: error });
  }
  const parsed = Discovery.safeParse(body);
  if (!parsed.success) throw new IdentityProviderError(`${url} is not an OIDC discovery document`);
  // A document naming another issuer would make us trust tokens we should refuse (OIDC Discovery 1.0, section 4.3).
  if (parsed.data.issuer !== issuer) {
    throw new IdentityProviderError(`${url} names issuer ${parsed.data.issuer}, not ${issuer}`);
  }
  return parsed.data;
}
