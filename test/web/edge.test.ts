import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthGate } from '../../web/auth/AuthGate.ts';
import { parseAuthConfig } from '../../web/auth/config.ts';
import { LOGIN_COOKIE } from '../../web/auth/cookies.ts';
import { buildEdge } from '../../web/build.ts';
import type { CloudFrontEvent, EdgeResult } from '../../web/edge.ts';
import { startIssuer, type TestIssuer } from './helpers/oidcProvider.ts';

const ORIGIN = 'https://photos.example.test';

function viewerRequest(uri: string, querystring = '', cookie?: string): CloudFrontEvent {
  const headers: Record<string, Array<{ key: string; value: string }>> = {
    host: [{ key: 'Host', value: 'photos.example.test' }],
  };
  if (cookie) headers.cookie = [{ key: 'Cookie', value: cookie }];
  return { Records: [{ cf: { request: { method: 'GET', uri, querystring, headers } } }] };
}

const isResponse = (r: EdgeResult): r is Extract<EdgeResult, { status: string }> => 'status' in r;

/** The Lambda@Edge bundle `npm run build:web` makes, run as CloudFront runs it, with the auth.json the stack writes. */
describe('sign-in edge bundle (web/dist-edge/index.mjs)', () => {
  let issuer: TestIssuer;
  let out: string;
  let handler: (event: unknown) => Promise<EdgeResult>;

  beforeAll(async () => {
    issuer = await startIssuer({
      clientId: 'catalogue',
      redirectUri: `${ORIGIN}/auth/callback`,
      postLogoutRedirectUri: `${ORIGIN}/auth/signed-out`,
    });
    out = mkdtempSync(join(tmpdir(), 'web-edge-'));
    const { file, bytes } = await buildEdge(out);
    // Lambda@Edge refuses a viewer-request package over 1 MB (zipped); the bundle alone stays well below.
    expect(bytes).toBeLessThan(1_000_000);
    writeFileSync(join(out, 'auth.json'), JSON.stringify({ issuer: issuer.issuer, clientId: 'catalogue' }));
    ({ handler } = await import(pathToFileURL(file).href));
  });
  afterAll(async () => {
    await issuer?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('answers a request without a session itself, with the refusal page, never passing it on', async () => {
    const result = await handler(viewerRequest('/index.html'));
    if (!isResponse(result)) throw new Error('the request was let through');
    expect(result.status).toBe('401');
    expect(result.headers['content-type']?.[0]?.value).toMatch(/^text\/html/);
    expect(result.body).toContain('href="/auth/login?return=%2Findex.html"');
    // Never cached (a refusal must not be served to the next viewer, nor a page to this one later), loads nothing.
    expect(result.headers['cache-control']?.[0]?.value).toBe('no-store');
    expect(result.headers['content-security-policy']?.[0]?.value).toMatch(
      /^default-src 'none'; frame-ancestors 'none'/,
    );
  });

  it('starts a sign-in: PKCE S256 at the discovered endpoint, callback on the Host CloudFront matched', async () => {
    const result = await handler(viewerRequest('/auth/login', 'return=%2F%3Fq%3Dcat'));
    if (!isResponse(result)) throw new Error('the request was let through');
    expect(result.status).toBe('302');
    const location = new URL(result.headers.location![0]!.value);
    expect(location.origin).toBe(issuer.issuer);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'catalogue',
      redirect_uri: `${ORIGIN}/auth/callback`,
      code_challenge_method: 'S256',
    });
    const cookie = result.headers['set-cookie']![0]!.value;
    expect(cookie).toMatch(new RegExp(`^${LOGIN_COOKIE}=[^;]+; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600$`));
  });

  it('refuses a malformed event', async () => {
    const result = await handler({ Records: [] });
    expect(isResponse(result) && result.status).toBe('400');
  });
});

describe('AuthGate', () => {
  let issuer: TestIssuer;
  let gate: AuthGate;
  const request = (path: string, query = '', cookie?: string) => ({
    method: 'GET',
    path,
    query: new URLSearchParams(query),
    headers: { host: 'photos.example.test', cookie },
  });

  beforeAll(async () => {
    issuer = await startIssuer({
      clientId: 'catalogue',
      redirectUri: `${ORIGIN}/auth/callback`,
      postLogoutRedirectUri: `${ORIGIN}/auth/signed-out`,
    });
    gate = new AuthGate(parseAuthConfig({ issuer: issuer.issuer, clientId: 'catalogue' }));
  });
  afterAll(() => issuer?.close());

  it('returns only to a path of this site after sign-in (no open redirect)', async () => {
    for (const target of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const result = await gate.handle(request('/auth/login', `return=${encodeURIComponent(target)}`));
      if (result.allow) throw new Error('let through');
      const login = result.response.cookies[0]!.split(';')[0]!.split('=')[1]!;
      expect(JSON.parse(Buffer.from(login, 'base64url').toString()).returnTo, target).toBe('/');
    }
  });

  it('refuses a callback whose state is not the one this browser started with', async () => {
    const started = await gate.handle(request('/auth/login'));
    if (started.allow) throw new Error('let through');
    const cookie = started.response.cookies[0]!.split(';')[0]!;
    const result = await gate.handle(request('/auth/callback', 'code=abc&state=forged', cookie));
    expect(result.allow).toBe(false);
    if (result.allow) return;
    expect(result.response.status).toBe(401);
    expect(result.response.body).toContain('The sign-in did not complete.');
  });

  it('answers the API with JSON and a page request with a page when the provider is unreachable', async () => {
    const down = new AuthGate(parseAuthConfig({ issuer: 'http://127.0.0.1:9/', clientId: 'catalogue' }));
    const cookie = 'x=1; __Host-catalogue-session=a.b.c';
    const api = await down.handle(request('/api/items', '', cookie));
    const page = await down.handle(request('/', '', cookie));
    expect(!api.allow && api.response.status).toBe(503);
    expect(!api.allow && JSON.parse(api.response.body)).toMatchObject({ error: { code: 'SIGN_IN_UNAVAILABLE' } });
    expect(!page.allow && page.response.status).toBe(503);
  });

  it('signs out at a configured logout URL (Cognito has none in its discovery document), clearing the session', async () => {
    const logoutUrl = 'https://team.auth.us-east-1.amazoncognito.com/logout?client_id=c&logout_uri=x';
    const cognitoLike = new AuthGate(parseAuthConfig({ issuer: issuer.issuer, clientId: 'catalogue', logoutUrl }));
    const result = await cognitoLike.handle(request('/auth/logout', '', '__Host-catalogue-session=a.b.c'));
    if (result.allow) throw new Error('let through');
    expect(result.response).toMatchObject({ status: 302, headers: { location: logoutUrl } });
    expect(result.response.cookies).toEqual([expect.stringMatching(/^__Host-catalogue-session=; .*Max-Age=0$/)]);
  });
});
