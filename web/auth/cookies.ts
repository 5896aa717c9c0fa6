/**
 * The two cookies of the sign-in. `__Host-` names force Secure, Path=/ and no Domain, so no other site (not even a
 * sibling subdomain) can plant or read them; HttpOnly keeps the page's script away from the token.
 */
export const SESSION_COOKIE = '__Host-catalogue-session';
/** The state, nonce and PKCE verifier of a sign-in under way, for the callback to check. */
export const LOGIN_COOKIE = '__Host-catalogue-login';

/** The value of one cookie in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A Set-Cookie value. SameSite=Lax, not Strict: the provider's redirect back to /auth/callback is a cross-site
 * navigation, and a Strict login cookie would not come with it.
 */
export function setCookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`;
}

export function clearCookie(name: string): string {
  return setCookie(name, '', 0);
}
