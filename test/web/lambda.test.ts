import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeItem, seedItems } from '../../local/fixtures/catalogueItems.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { buildLambda } from '../../web/build.ts';
import type { LambdaEvent, LambdaResult } from '../../web/lambda.ts';

function event(rawPath: string, rawQueryString = '', method = 'GET', stage?: string): LambdaEvent {
  return {
    rawPath,
    rawQueryString,
    headers: { Accept: 'application/json' },
    requestContext: { http: { method }, stage },
  };
}

/** The bundle `npm run build:web` makes, run as Lambda would run it: imported, `handler` called with v2 events. */
describe('Lambda bundle (web/dist-lambda/index.mjs) against the local stack', () => {
  let stack: LocalStack;
  let out: string;
  let handler: (e: unknown) => Promise<LambdaResult>;

  beforeAll(async () => {
    stack = await startLocalStack({ bedrock: false, bridge: false });
    await seedItems(
      stack.clients.ddbDoc,
      stack.tableName,
      [1, 2, 3].map((n) => makeItem(n)),
    );
    out = mkdtempSync(join(tmpdir(), 'web-lambda-'));
    const { file, bytes } = await buildLambda(out);
    expect(bytes).toBeGreaterThan(10_000);
    // Lambda hands configuration over in the environment; this test runs in its own forked process.
    Object.assign(process.env, stack.env, { LOG_LEVEL: 'silent' });
    ({ handler } = await import(pathToFileURL(file).href));
  });
  afterAll(async () => {
    await stack?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('answers the API', async () => {
    const r = await handler(event('/api/items', 'limit=2'));
    expect(r).toMatchObject({ statusCode: 200, isBase64Encoded: false });
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(r.body);
    expect(body.items.map((i: { key: string }) => i.key)).toEqual(['photos/000003.jpg', 'photos/000002.jpg']);
    expect(body.cursor).toEqual(expect.any(String));
    const next = JSON.parse((await handler(event('/api/items', `limit=2&cursor=${body.cursor}`))).body);
    expect(next.items.map((i: { key: string }) => i.key)).toEqual(['photos/000001.jpg']);
  });

  it('serves the page from its own public/ folder, base64-encoded', async () => {
    const r = await handler(event('/'));
    expect(r).toMatchObject({ statusCode: 200, isBase64Encoded: true });
    expect(Buffer.from(r.body, 'base64').toString()).toContain('<title>Image catalogue</title>');
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await handler(event('/app.js', '', 'HEAD'))).body).toBe('');
  });

  it('strips an HTTP API stage, validates parameters, refuses writes and foreign events', async () => {
    expect((await handler(event('/prod/api/health', '', 'GET', 'prod'))).statusCode).toBe(200);
    const bad = await handler(event('/api/items', 'limit=500'));
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { parameter: 'limit' } });
    expect((await handler(event('/api/items', '', 'DELETE'))).statusCode).toBe(405);
    expect((await handler({ Records: [] })).statusCode).toBe(400);
  });
});
