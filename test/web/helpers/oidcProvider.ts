import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestIssuer {
  issuer: string;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (oidc-provider, the certified implementation) on loopback, with one public client
 * that must use PKCE, and its development login form (any login and password) and consent page. Every account is
 * `<login>@example.test`.
 */
export async function startIssuer(
  client: { clientId: string; redirectUri: string; postLogoutRedirectUri: string },
  /** Private signing keys (JWK); two issuers given the same keys act like tenants of one multi-tenant provider. */
  keys?: Array<Record<string, unknown>>,
): Promise<TestIssuer> {
  const server = createServer();
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.clientId,
        token_endpoint_auth_method: 'none',
        redirect_uris: [client.redirectUri],
        post_logout_redirect_uris: [client.postLogoutRedirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The ID token carries the claims itself (no userinfo call), as Cognito's does.
    conformIdTokenClaims: false,
    findAccount: (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: () => ({ sub, email: `${sub}@example.test`, email_verified: true, name: sub }),
    }),
    cookies: { keys: ['sign-in-test-only'] },
    ...(keys ? { jwks: { keys } } : {}),
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 3600, IdToken: 3600 },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  });
  // Development-mode warnings (no adapter, dev keys) are expected here.
  provider.on('server_error', (_ctx, error) => {
    throw error;
  });
  server.on('request', provider.callback());
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
