import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeItem, seedItems } from '../../local/fixtures/catalogueItems.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { loadConfig } from '../../shared/config.ts';
import { AuthGate } from '../../web/auth/AuthGate.ts';
import { parseAuthConfig } from '../../web/auth/config.ts';
import { SESSION_COOKIE } from '../../web/auth/cookies.ts';
import { createEdgeHandler, type EdgeResult } from '../../web/edge.ts';
import { createWebApp } from '../../web/http/app.ts';
import { startEdgeFront } from './helpers/edgeFront.ts';
import { startIssuer, type TestIssuer } from './helpers/oidcProvider.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CLIENT_ID = 'catalogue-browser';
const HOUR = 3_600_000;

/**
 * The deployed browser's sign-in, end to end: a real OIDC provider (oidc-provider) and a real Chromium, the
 * Lambda@Edge handler in front of the browser app as CloudFront would run it, the catalogue on the local stack.
 */
describe('sign-in in front of the deployed browser', () => {
  let stack: LocalStack;
  let issuer: TestIssuer;
  let front: Awaited<ReturnType<typeof startEdgeFront>>;
  /** Another catalogue's issuer and front: it signs with the same keys, so only `iss` tells its tokens apart. */
  let otherIssuer: TestIssuer;
  let otherFront: Awaited<ReturnType<typeof startEdgeFront>>;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  /** The edge's clock runs this far ahead of the real one: how a test ages a real token past its expiry. */
  let clockAheadMs = 0;

  const heading = () => page.locator('h1').first().textContent();
  const cards = () => page.locator('#results a.card');

  async function signIn(login: string, at = { issuer: () => issuer, front: () => front }) {
    const issuer = at.issuer();
    const front = at.front();
    await page.locator('#sign-in').click();
    // The provider's own pages: its login form on a first visit, then a consent page; neither once remembered.
    await page.waitForURL((url) => url.origin === issuer.issuer || url.origin === front.url, { timeout: 15_000 });
    if (new URL(page.url()).origin === issuer.issuer) {
      if (await page.locator('input[name=login]').count()) {
        await page.locator('input[name=login]').fill(login);
        await page.locator('input[name=password]').fill('any password');
        await page.locator('button[type=submit]').click();
      }
      const consent = page.getByRole('button', { name: 'Continue' });
      await page.waitForURL((url) => url.origin === front.url || url.pathname.startsWith('/interaction/'));
      if (new URL(page.url()).origin !== front.url && (await consent.count())) await consent.click();
    }
    await page.waitForURL((url) => url.origin === front.url && url.pathname === '/', { timeout: 15_000 });
  }

  async function useToken(token: string) {
    await context.addCookies([
      {
        name: SESSION_COOKIE,
        value: token,
        domain: '127.0.0.1',
        path: '/',
        secure: true,
        httpOnly: true,
        sameSite: 'Lax',
      },
    ]);
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium or set CHROMIUM_PATH`);
    stack = await startLocalStack({ bedrock: false, bridge: false });
    await seedItems(
      stack.clients.ddbDoc,
      stack.tableName,
      [1, 2, 3].map((n) => makeItem(n)),
    );
    const app = createWebApp({
      config: loadConfig(stack.env),
      clients: { s3: stack.clients.s3, doc: stack.clients.ddbDoc },
    });
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const sharedKeys = [{ ...(await exportJWK(privateKey)), kid: 'shared', alg: 'RS256', use: 'sig' }];
    const site = async (keys?: Array<Record<string, unknown>>) => {
      // The front's address goes into the provider's client registration, the provider's into the edge's settings.
      let edge: ((event: unknown) => Promise<EdgeResult>) | undefined;
      const f = await startEdgeFront((event) => edge!(event), app);
      const i = await startIssuer(
        {
          clientId: CLIENT_ID,
          redirectUri: `${f.url}/auth/callback`,
          postLogoutRedirectUri: `${f.url}/auth/signed-out`,
        },
        keys,
      );
      const config = parseAuthConfig({ issuer: i.issuer, clientId: CLIENT_ID, origin: f.url });
      edge = createEdgeHandler(new AuthGate(config, () => Date.now() + clockAheadMs));
      return { f, i };
    };
    ({ f: front, i: issuer } = await site(sharedKeys));
    ({ f: otherFront, i: otherIssuer } = await site(sharedKeys));

    profile = mkdtempSync(join(tmpdir(), 'sign-in-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    // Loopback only: the provider's page asks for a web font, which must not leave the machine.
    await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
    page = context.pages()[0] ?? (await context.newPage());
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await front?.close();
    await issuer?.close();
    await otherFront?.close();
    await otherIssuer?.close();
    await stack?.close();
  });

  it('refuses the page, its script and the API without a session, with a page that says why', async () => {
    const response = await page.goto(front.url);
    expect(response?.status()).toBe(401);
    expect(await heading()).toBe('Sign in to open the image catalogue');
    expect(await page.locator('main').textContent()).toContain('You are not signed in.');
    expect(await page.locator('#results').count()).toBe(0);
    const script = await context.request.get(`${front.url}/app.js`);
    expect(script.status()).toBe(401);
    const api = await context.request.get(`${front.url}/api/items`);
    expect(api.status()).toBe(401);
    expect(await api.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED', reason: 'NO_SESSION' } });
    expect(JSON.stringify(await api.json())).not.toContain('photos/');
  });

  it('signs in at the provider and then sees the grid', async () => {
    await signIn('alice');
    await expect.poll(() => cards().count(), { timeout: 15_000 }).toBe(3);
    expect(await page.locator('#who').textContent()).toBe('alice@example.test');
    const [session] = (await context.cookies(front.url)).filter((c) => c.name === SESSION_COOKIE);
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
    const api = await context.request.get(`${front.url}/api/items?limit=2`);
    expect(api.status()).toBe(200);
    expect((await api.json()).items).toHaveLength(2);
  });

  it('refuses a session whose token has expired, and lets the viewer sign in again', async () => {
    clockAheadMs = 2 * HOUR;
    try {
      const response = await page.goto(front.url);
      expect(response?.status()).toBe(401);
      expect(await page.locator('main').textContent()).toContain('Your session has expired.');
      // The refused cookie is gone, not sent again and again.
      expect((await context.cookies(front.url)).map((c) => c.name)).not.toContain(SESSION_COOKIE);
    } finally {
      clockAheadMs = 0;
    }
    await signIn('alice');
    await expect.poll(() => cards().count(), { timeout: 15_000 }).toBe(3);
  });

  it('refuses a real token from another issuer that signs with the same keys', async () => {
    // Cookies are per host, not per port: a session made at the other front reaches this one.
    await page.goto(otherFront.url);
    await signIn('mallory', { issuer: () => otherIssuer, front: () => otherFront });
    await expect.poll(() => cards().count(), { timeout: 15_000 }).toBe(3);
    const response = await page.goto(front.url);
    expect(response?.status()).toBe(401);
    expect(await page.locator('main').textContent()).toContain('Your session is not valid for this catalogue.');
  });

  it('refuses tokens signed with a key the issuer does not publish, whatever issuer they name', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forge = (iss: string) =>
      new SignJWT({ email: 'mallory@example.test' })
        .setProtectedHeader({ alg: 'RS256', kid: 'not-the-issuers' })
        .setIssuer(iss)
        .setAudience(CLIENT_ID)
        .setSubject('mallory')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
    for (const token of [await forge('https://login.other.example'), await forge(issuer.issuer)]) {
      await useToken(token);
      const response = await page.goto(front.url);
      expect(response?.status()).toBe(401);
      expect(await page.locator('main').textContent()).toContain('Your session is not valid for this catalogue.');
      const api = await context.request.get(`${front.url}/api/items`);
      expect(await api.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    }
  });

  it('signs out, at the provider too, and is refused afterwards', async () => {
    await page.goto(front.url);
    await signIn('alice');
    await expect.poll(() => cards().count(), { timeout: 15_000 }).toBe(3);
    await page.locator('#sign-out').click();
    // oidc-provider asks whether to end its own session as well.
    await page.waitForURL((url) => url.origin === issuer.issuer || url.pathname === '/auth/signed-out');
    if (new URL(page.url()).origin === issuer.issuer) await page.locator('button[name=logout][value=yes]').click();
    await page.waitForURL(`${front.url}/auth/signed-out`);
    expect(await heading()).toBe('You have signed out');

    const response = await page.goto(front.url);
    expect(response?.status()).toBe(401);
    expect(await page.locator('main').textContent()).toContain('You are not signed in.');
    expect((await context.request.get(`${front.url}/api/items`)).status()).toBe(401);
    // The provider's session ended too: signing in asks for credentials again.
    await page.locator('#sign-in').click();
    await page.waitForURL((url) => url.origin === issuer.issuer);
    await expect.poll(() => page.locator('input[name=login]').count()).toBe(1);
  });
});
