import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AuthConfig } from './config.ts';
import { clearCookie, LOGIN_COOKIE, readCookie, SESSION_COOKIE, setCookie } from './cookies.ts';
import { AuthRefusedError, IdentityProviderError, type RefusalReason } from './errors.ts';
import { type Identity, OidcClient } from './OidcClient.ts';
import { reasonText, refusedPage, signedOutPage, unavailablePage } from './pages.ts';

/** A viewer request as the edge sees it. */
export interface GateRequest {
  method: string;
  /** The URI path, percent-encoded as sent. */
  path: string;
  query: URLSearchParams;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
}

/** A response the gate answers itself; `cookies` are Set-Cookie values (one header each). */
export interface GateResponse {
  status: number;
  headers: Record<string, string>;
  cookies: string[];
  body: string;
}

export type GateResult = { allow: true; identity: Identity } | { allow: false; response: GateResponse };

/** Time a sign-in may take between leaving for the provider and coming back, s. */
const LOGIN_TTL_SECONDS = 600;
const LoginState = z.object({ state: z.string(), nonce: z.string(), verifier: z.string(), returnTo: z.string() });
type LoginState = z.output<typeof LoginState>;

const random = () => randomBytes(32).toString('base64url');
/** Only a same-site path may be returned to after sign-in: `//evil.example` or `https://...` would be an open redirect. */
const safeReturn = (value: string | null | undefined) =>
  value && /^\/(?![/\\])/.test(value) && !/[\r\n]/.test(value) ? value : '/';

/**
 * Sign-in in front of everything the distribution serves: the page, the API and anything else. A request passes only
 * with a session cookie holding an ID token that the configured issuer signed for this client and that has not
 * expired; `/auth/*` is the sign-in itself (authorization code + PKCE), the sign-out and a "who am I".
 * Transport-free: the Lambda@Edge handler (web/edge.ts) adapts CloudFront events to it.
 */
export class AuthGate {
  readonly client: OidcClient;

  constructor(
    private readonly config: AuthConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.client = new OidcClient(config, now);
  }

  async handle(request: GateRequest): Promise<GateResult> {
    try {
      switch (request.path) {
        case '/auth/login':
          return deny(await this.login(request));
        case '/auth/callback':
          return deny(await this.callback(request));
        case '/auth/logout':
          return deny(await this.logout(request));
        case '/auth/signed-out':
          return deny(html(200, signedOutPage(), [clearCookie(SESSION_COOKIE)]));
        case '/auth/me': {
          const identity = await this.session(request);
          const { name, email, expiresAt } = identity;
          return deny(json(200, { name, email, expiresAt }));
        }
        default:
          return { allow: true, identity: await this.session(request) };
      }
    } catch (error) {
      return deny(this.refusal(request, error));
    }
  }

  /** The verified identity of the session cookie. */
  private async session(request: GateRequest): Promise<Identity> {
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!token) throw new AuthRefusedError('NO_SESSION', 'not signed in');
    return this.client.verify(token);
  }

  private async login(request: GateRequest): Promise<GateResponse> {
    const { authorization_endpoint } = await this.client.endpoints();
    const login: LoginState = {
      state: random(),
      nonce: random(),
      verifier: random(),
      returnTo: safeReturn(request.query.get('return')),
    };
    const url = new URL(authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.config.clientId,
      redirect_uri: this.callbackUri(request),
      scope: this.config.scopes.join(' '),
      state: login.state,
      nonce: login.nonce,
      code_challenge: createHash('sha256').update(login.verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const cookie = setCookie(LOGIN_COOKIE, Buffer.from(JSON.stringify(login)).toString('base64url'), LOGIN_TTL_SECONDS);
    return redirect(url.toString(), [cookie]);
  }

  private async callback(request: GateRequest): Promise<GateResponse> {
    const login = readLoginState(request.headers.cookie);
    const state = request.query.get('state');
    if (!login || !state || state !== login.state) {
      throw new AuthRefusedError('SIGN_IN_FAILED', 'the sign-in state does not match this browser');
    }
    const code = request.query.get('code');
    if (!code) {
      const error = request.query.get('error') ?? 'no code';
      throw new AuthRefusedError('SIGN_IN_FAILED', `the provider ended the sign-in (${error.slice(0, 80)})`);
    }
    const token = await this.client.exchange(code, login.verifier, this.callbackUri(request));
    const identity = await this.client.verify(token);
    if (identity.nonce !== login.nonce)
      throw new AuthRefusedError('SIGN_IN_FAILED', 'the ID token nonce does not match');
    const lifetime = Math.min(identity.expiresAt - this.now() / 1000, this.config.maxSessionSeconds);
    return redirect(login.returnTo, [setCookie(SESSION_COOKIE, token, lifetime), clearCookie(LOGIN_COOKIE)]);
  }

  private async logout(request: GateRequest): Promise<GateResponse> {
    const cookies = [clearCookie(SESSION_COOKIE)];
    const signedOut = `${this.origin(request)}/auth/signed-out`;
    if (this.config.logoutUrl) return redirect(this.config.logoutUrl, cookies);
    const { end_session_endpoint } = await this.client.endpoints().catch(() => ({ end_session_endpoint: undefined }));
    if (!end_session_endpoint) return redirect('/auth/signed-out', cookies);
    // RP-initiated logout: the provider ends its own session too, so "sign in" afterwards asks for credentials again.
    const url = new URL(end_session_endpoint);
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('post_logout_redirect_uri', signedOut);
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (token) url.searchParams.set('id_token_hint', token);
    return redirect(url.toString(), cookies);
  }

  /** The response for a refused or failed request: JSON for the API, a page for anything else. */
  private refusal(request: GateRequest, error: unknown): GateResponse {
    const isApi = request.path === '/api' || request.path.startsWith('/api/') || request.path === '/auth/me';
    if (error instanceof AuthRefusedError) {
      // A cookie that failed verification is dropped, so the next page load starts clean.
      const cookies = error.reason === 'NO_SESSION' ? [] : [clearCookie(SESSION_COOKIE)];
      if (isApi) return json(401, errorBody('UNAUTHENTICATED', reasonText(error.reason), error.reason), cookies);
      return html(401, refusedPage(error.reason, loginHref(request)), cookies);
    }
    const unavailable = error instanceof IdentityProviderError;
    if (isApi) return json(503, errorBody('SIGN_IN_UNAVAILABLE', 'the identity provider could not be reached'));
    return html(unavailable ? 503 : 500, unavailablePage(), []);
  }

  private origin(request: GateRequest): string {
    return (this.config.origin ?? `https://${request.headers.host ?? ''}`).replace(/\/$/, '');
  }

  private callbackUri(request: GateRequest): string {
    return `${this.origin(request)}/auth/callback`;
  }
}

function readLoginState(header: string | undefined): LoginState | undefined {
  const raw = readCookie(header, LOGIN_COOKIE);
  if (!raw) return undefined;
  try {
    const parsed = LoginState.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString()));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Where "Sign in" leads: back to the page that was refused (API calls return to the page itself). */
function loginHref(request: GateRequest): string {
  const back = request.path.startsWith('/auth/') ? '/' : request.path;
  return `/auth/login?return=${encodeURIComponent(back)}`;
}

const deny = (response: GateResponse): GateResult => ({ allow: false, response });
/**
 * Every answer of the gate is its own: never cached, never framed or sniffed, and (a page with no script and no
 * style of its own) allowed to load nothing, whether or not CloudFront adds its headers policy to generated responses.
 */
const NO_STORE = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
};

function redirect(location: string, cookies: string[]): GateResponse {
  return { status: 302, headers: { location, ...NO_STORE }, cookies, body: '' };
}

function html(status: number, body: string, cookies: string[]): GateResponse {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...NO_STORE }, cookies, body };
}

function json(status: number, body: unknown, cookies: string[] = []): GateResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...NO_STORE },
    cookies,
    body: JSON.stringify(body),
  };
}

function errorBody(code: string, message: string, reason?: RefusalReason) {
  return { error: { code, message, ...(reason ? { reason } : {}) } };
}
