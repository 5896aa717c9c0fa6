import { z } from 'zod';
import { ConfigError } from '../../shared/errors.ts';

/**
 * The sign-in settings of the deployed browser. Lambda@Edge functions have no environment variables, so the Pulumi
 * program writes these as `auth.json` beside the edge bundle; they are public facts (no secret: the app client is a
 * public OIDC client using PKCE).
 */
export const AuthConfig = z.object({
  /** OIDC issuer; its `/.well-known/openid-configuration` gives the endpoints and the signing keys. */
  issuer: z.url(),
  /** The app client's id: the `aud` every accepted ID token must carry. */
  clientId: z.string().min(1),
  scopes: z.array(z.string().min(1)).default(['openid', 'email', 'profile']),
  /**
   * Where the provider ends its own session on sign-out, with its query already filled in (Cognito's `/logout`
   * has no discovery entry). Unset: the discovery document's `end_session_endpoint`, else only the cookie is cleared.
   */
  logoutUrl: z.url().optional(),
  /**
   * The browser's public origin (e.g. https://photos.example.com). Unset: `https://` + the request's Host header,
   * which CloudFront has already matched against the distribution's names.
   */
  origin: z.url().optional(),
  /** Longest a session lasts even if the provider issues longer-lived ID tokens, s. */
  maxSessionSeconds: z.number().int().min(60).max(86_400).default(43_200),
  /** Clock tolerance when checking `exp`/`nbf`, s. */
  clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
});
export type AuthConfig = z.output<typeof AuthConfig>;

/**
 * Validates the sign-in settings.
 * @throws ConfigError naming each bad field.
 */
export function parseAuthConfig(raw: unknown): AuthConfig {
  const parsed = AuthConfig.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => ({
      variable: `auth.${issue.path.join('.') || '(root)'}`,
      message: issue.message,
    })),
  );
}
