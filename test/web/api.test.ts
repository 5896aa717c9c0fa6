import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeItem, makeRejected, makeRemoved, seedItems } from '../../local/fixtures/catalogueItems.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { loadConfig } from '../../shared/config.ts';
import { CatalogueReader } from '../../web/api/CatalogueReader.ts';
import { loadWebConfig } from '../../web/config.ts';
import { createWebServer, type WebServer } from '../../web/server.ts';
import { fixture } from '../helpers/system.ts';

const CATEGORIES = ['portrait', 'landscape', 'food'] as const;
const SPECIAL_KEY = 'albums/été 2024/a+b #1?.png';

interface Page {
  items: Array<Record<string, unknown> & { id: string; status: string; updatedAt: string; category?: string }>;
  cursor?: string;
  scanned: number;
  budgetSpent: boolean;
}

describe('browser API against the local stack (dynalite, fauxqs S3)', () => {
  let stack: LocalStack;
  let server: WebServer;
  let smallBudget: WebServer;

  const get = async (path: string, base = server.url) => {
    const response = await fetch(`${base}${path}`);
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const page = async (query: string, base = server.url) => {
    const r = await get(`/api/items${query}`, base);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as unknown as Page;
  };
  /** Follows cursors to the end; returns every row and the number of requests. */
  const walk = async (query: string, base = server.url) => {
    const rows: Page['items'] = [];
    let cursor: string | undefined;
    let requests = 0;
    do {
      const sep = query ? '&' : '?';
      const p = await page(`${query}${cursor ? `${sep}cursor=${cursor}` : ''}`, base);
      rows.push(...p.items);
      cursor = p.cursor;
      requests++;
    } while (cursor && requests < 100);
    return { rows, requests };
  };

  beforeAll(async () => {
    stack = await startLocalStack({ bedrock: false, bridge: false });
    const items = Array.from({ length: 60 }, (_, i) =>
      makeItem(i + 1, {
        category: CATEGORIES[(i + 1) % 3],
        text: (i + 1) % 10 === 0 ? 'EXIT sign' : '',
        summary: (i + 1) % 10 === 0 ? `A corridor with a green sign, number ${i + 1}` : undefined,
      }),
    ).map((item) => ({ ...item, searchText: `${item.summary} ${item.category} thing ${item.text}`.toLowerCase() }));
    const special = makeItem(100, {
      key: SPECIAL_KEY,
      summary: 'An astronaut in a white suit beside a flag',
      category: 'portrait',
      text: 'NASA',
      labels: [
        {
          name: 'person',
          box: { left: 0.2, top: 0.1, width: 0.5, height: 0.9 },
          boxPx: { left: 102, top: 51, width: 256, height: 461 },
        },
        {
          name: 'flag',
          box: { left: 0.75, top: 0.05, width: 0.2, height: 0.3 },
          boxPx: { left: 384, top: 26, width: 102, height: 154 },
        },
      ],
      sensitive: { verdict: 'sensitive', reason: 'an identifiable face' },
      image: {
        format: 'png',
        width: 512,
        height: 512,
        bytes: 1,
        preparedWidth: 512,
        preparedHeight: 512,
        preparedFormat: 'jpeg',
        preparedBytes: 1,
      },
      thumbnailKey: 'thumbnails/special.webp',
      displayKey: 'display/special.jpg',
      searchText: 'an astronaut in a white suit beside a flag portrait person flag nasa',
    });
    const tiff = makeItem(101, {
      key: 'scans/coffee.tif',
      image: {
        format: 'tiff',
        width: 600,
        height: 400,
        bytes: 1,
        preparedWidth: 600,
        preparedHeight: 400,
        preparedFormat: 'jpeg',
        preparedBytes: 1,
      },
    });
    await seedItems(stack.clients.ddbDoc, stack.tableName, [
      ...items,
      special,
      tiff,
      makeRejected(200),
      makeRejected(201),
      makeRejected(202),
      makeRemoved(300),
      makeRemoved(301),
    ]);
    // A row some other writer got wrong: no bucket, no key. The oldest row, so it sits on the last page.
    await stack.clients.ddbDoc.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { id: 'images/malformed', status: 'catalogued', updatedAt: '2000-01-01T00:00:00.000Z' },
      }),
    );
    await stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: stack.bucket,
        Key: SPECIAL_KEY,
        Body: fixture('astronaut.png'),
        ContentType: 'image/png',
      }),
    );
    // Stored with a type no browser would render: the URL itself must say what the bytes are.
    await stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: stack.thumbnailBucket,
        Key: 'display/special.jpg',
        Body: Buffer.from('jpeg-bytes'),
        ContentType: 'application/octet-stream',
      }),
    );
    await stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: stack.thumbnailBucket,
        Key: 'thumbnails/special.webp',
        Body: Buffer.from('webp-bytes'),
        ContentType: 'image/webp',
      }),
    );
    const config = loadConfig(stack.env);
    const clients = { s3: stack.clients.s3, doc: stack.clients.ddbDoc };
    server = await createWebServer({ config, clients });
    smallBudget = await createWebServer({ config, clients, web: loadWebConfig({ WEB_SEARCH_BUDGET: '100' }) });
  });
  afterAll(async () => {
    await server?.close();
    await smallBudget?.close();
    await stack?.close();
  });

  describe('validation: 400 with a JSON error naming the parameter', () => {
    it.each([
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?limit=abc', 'limit'],
      ['?limit=1.5', 'limit'],
      ['?limit=5&limit=6', 'limit'],
      ['?status=deleted', 'status'],
      ['?category=', 'category'],
      [`?category=${'x'.repeat(41)}`, 'category'],
      ['?q=', 'q'],
      [`?q=${'a '.repeat(9)}`, 'q'],
      ['?cursor=not*base64', 'cursor'],
      ['?cursor=eyJ2IjoxfQ', 'cursor'],
      ['?sort=name', 'sort'],
    ])('GET /api/items%s → parameter %s', async (query, parameter) => {
      const r = await get(`/api/items${query}`);
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(r.body).toMatchObject({ error: { code: 'INVALID_PARAMETER', parameter } });
      expect((r.body.error as { message: string }).message).toMatch(new RegExp(`^${parameter}: .+`));
    });

    it('refuses a cursor replayed against another query, and a doctored one', async () => {
      const first = await page('?limit=5&category=food');
      expect(first.cursor).toBeTruthy();
      const other = await get(`/api/items?limit=5&category=portrait&cursor=${first.cursor}`);
      expect(other.status).toBe(400);
      expect(other.body).toMatchObject({
        error: { parameter: 'cursor', message: expect.stringMatching(/another query/) },
      });
      const body = JSON.parse(Buffer.from(first.cursor!, 'base64url').toString());
      body.k = { id: 'x' };
      const doctored = Buffer.from(JSON.stringify(body)).toString('base64url');
      expect((await get(`/api/items?limit=5&category=food&cursor=${doctored}`)).body).toMatchObject({
        error: { parameter: 'cursor' },
      });
    });

    it('validates the other routes too', async () => {
      expect((await get('/api/categories?x=1')).body).toMatchObject({ error: { parameter: 'x' } });
      expect((await get('/api/items/images%2Fa.jpg?includeRemoved=yes')).body).toMatchObject({
        error: { parameter: 'includeRemoved' },
      });
      expect((await get('/api/items/%E0%A4%A')).body).toMatchObject({ error: { parameter: 'id' } });
      expect((await get('/api/nothing')).status).toBe(404);
      const post = await fetch(`${server.url}/api/items`, { method: 'POST', body: '{}' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
    });
  });

  describe('listing', () => {
    it('pages through every catalogued item exactly once, newest first, hiding rejected and removed', async () => {
      const { rows, requests } = await walk('?limit=7');
      expect(rows).toHaveLength(62);
      expect(requests).toBe(9); // 62 / 7 → 9 pages, and the last one carries no cursor
      expect(new Set(rows.map((r) => r.id)).size).toBe(62);
      expect(rows.every((r) => r.status === 'catalogued')).toBe(true);
      const times = rows.map((r) => r.updatedAt);
      expect(times).toEqual([...times].sort().reverse());
      expect(rows[0]).toMatchObject({ key: 'scans/coffee.tif' });
    });

    it('defaults to 24 rows and hands out no cursor on an exact last page', async () => {
      expect((await page('')).items).toHaveLength(24);
      const all = await page('?limit=62');
      expect(all.items).toHaveLength(62);
      expect(all.cursor).toBeUndefined();
    });

    it('filters by category (case-insensitively) through the index, paging within it', async () => {
      const { rows } = await walk('?category=FOOD&limit=4');
      expect(rows).toHaveLength(20);
      expect(rows.every((r) => r.category === 'food')).toBe(true);
      expect((await page('?category=unknown')).items).toEqual([]);
    });

    it('filters by status: rejected rows carry their reason and no thumbnail; tombstones only when asked', async () => {
      const rejected = await page('?status=rejected');
      expect(rejected.items).toHaveLength(3);
      for (const row of rejected.items) {
        expect(row).toMatchObject({ status: 'rejected', reason: expect.any(String), reasonCode: 'NOT_AN_IMAGE' });
        expect(row.thumbnailUrl).toBeUndefined();
      }
      const removed = await page('?status=removed');
      expect(removed.items.map((r) => r.id)).toEqual(['images/gone/301.jpg', 'images/gone/300.jpg']);
      expect((await page('?status=rejected&category=food')).items).toEqual([]);
    });
  });

  describe('search', () => {
    it('finds every word in summary, labels and visible text, case-insensitively', async () => {
      const exit = await walk('?q=Exit+SIGN&limit=4');
      expect(exit.rows.map((r) => r.id).sort()).toEqual(
        [10, 20, 30, 40, 50, 60].map((n) => `images/photos/${String(n).padStart(6, '0')}.jpg`).sort(),
      );
      expect((await page('?q=astronaut+flag')).items.map((r) => r.key)).toEqual([SPECIAL_KEY]);
      expect((await page('?q=nasa')).items.map((r) => r.key)).toEqual([SPECIAL_KEY]); // visible text
      expect((await page('?q=person')).items.map((r) => r.key)).toEqual([SPECIAL_KEY]); // a label
      expect((await page('?q=astronaut+banana')).items).toEqual([]);
      expect((await page('?q=exit&category=food')).items.every((r) => r.category === 'food')).toBe(true);
    });

    it('stops at its scan budget with a cursor, and the cursors together find everything', async () => {
      const reader = new CatalogueReader(stack.clients.ddbDoc, stack.tableName, { filterBudget: 10 });
      const query = { limit: 24, status: 'catalogued' as const, q: 'corridor' };
      // Newest first: 101, 100, 60, 59 ... 53 are the first ten rows; only 60 matches among them.
      const first = await reader.list(query);
      expect(first).toMatchObject({ scanned: 10, budgetSpent: true, cursor: expect.any(String) });
      expect(first.items.map((r) => r.key)).toEqual(['photos/000060.jpg']);
      const found = [...first.items];
      let cursor = first.cursor;
      let requests = 1;
      while (cursor) {
        const next = await reader.list({ ...query, cursor });
        expect(next.scanned).toBeLessThanOrEqual(10);
        found.push(...next.items);
        cursor = next.cursor;
        requests++;
      }
      expect(found.map((r) => r.key)).toEqual([60, 50, 40, 30, 20, 10].map((n) => `photos/0000${n}.jpg`));
      expect(requests).toBe(7); // 62 rows, 10 per request
    });

    it('scans to the end and hands out no cursor when nothing matches', async () => {
      const r = await page('?q=no-such-word', smallBudget.url);
      expect(r).toMatchObject({ items: [], scanned: 63, budgetSpent: false }); // 62 good rows and the malformed one
      expect(r.cursor).toBeUndefined();
    });
  });

  describe('one item', () => {
    it('returns the labels, visible text, sensitive verdict, and presigned URLs of the derived copies', async () => {
      const r = await get(`/api/items/${encodeURIComponent(`images/${SPECIAL_KEY}`)}`);
      expect(r.status).toBe(200);
      const item = r.body as Record<string, unknown> & { labels: unknown[]; imageUrl: string; thumbnailUrl: string };
      expect(item).toMatchObject({
        id: `images/${SPECIAL_KEY}`,
        key: SPECIAL_KEY,
        text: 'NASA',
        sensitive: { verdict: 'sensitive', reason: 'an identifiable face' },
        labels: [
          { name: 'person', box: { left: 0.2, top: 0.1, width: 0.5, height: 0.9 } },
          { name: 'flag', box: { left: 0.75 } },
        ],
      });
      expect(item.searchText).toBeUndefined();
      expect(item.seq).toBeUndefined();
      // Only the derived-images bucket is ever presigned, never the uploaded original.
      for (const url of [item.imageUrl, item.thumbnailUrl]) {
        expect(new URL(url).pathname.startsWith(`/${stack.thumbnailBucket}/`), url).toBe(true);
        expect(url).not.toContain(`/${stack.bucket}/`);
      }
      const image = await fetch(item.imageUrl);
      expect(image.status).toBe(200);
      expect(await image.text()).toBe('jpeg-bytes');
      expect(image.headers.get('content-type')).toBe('image/jpeg');
      expect(image.headers.get('content-disposition')).toBe('inline; filename="image.jpg"');
      const thumb = await fetch(item.thumbnailUrl);
      expect(thumb.status).toBe(200);
      expect(await thumb.text()).toBe('webp-bytes');
      expect(thumb.headers.get('content-type')).toBe('image/webp');
      expect(new URL(item.thumbnailUrl).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      // Stable within the signing window, so the browser's cache works across requests.
      const again = await get(`/api/items/${encodeURIComponent(`images/${SPECIAL_KEY}`)}`);
      expect(again.body.thumbnailUrl).toBe(item.thumbnailUrl);
    });

    it('accepts an id whose slashes are not encoded', async () => {
      expect((await get('/api/items/images/photos/000010.jpg')).body).toMatchObject({ text: 'EXIT sign' });
    });

    it('gives no imageUrl for an item without a display copy (the page uses the thumbnail)', async () => {
      const r = await get(`/api/items/${encodeURIComponent('images/scans/coffee.tif')}`);
      expect(r.body.imageUrl).toBeUndefined();
      expect(r.body.thumbnailUrl).toEqual(expect.any(String));
    });

    it('is 404 for unknown ids and, unless asked, for tombstones', async () => {
      expect((await get('/api/items/images%2Fnope.jpg')).status).toBe(404);
      expect((await get('/api/items/images%2Fgone%2F300.jpg')).status).toBe(404);
      const tomb = await get('/api/items/images%2Fgone%2F300.jpg?includeRemoved=true');
      expect(tomb.body).toMatchObject({ status: 'removed', labels: [] });
      expect(tomb.body.imageUrl).toBeUndefined();
    });

    it('shows a rejected item with its reason and no image', async () => {
      const r = await get('/api/items/images%2Fbroken%2F200.jpg');
      expect(r.body).toMatchObject({ status: 'rejected', reasonCode: 'NOT_AN_IMAGE', labels: [], text: '' });
      expect(r.body.imageUrl).toBeUndefined();
      expect(r.body.thumbnailUrl).toBeUndefined();
    });
  });

  describe('failures', () => {
    it('skips a malformed row in a list and answers 500 for it alone', async () => {
      const { rows } = await walk('?limit=50');
      expect(rows.map((r) => r.id)).not.toContain('images/malformed');
      const r = await get('/api/items/images%2Fmalformed');
      expect(r.status).toBe(500);
      expect(r.body).toMatchObject({ error: { code: 'ITEM_MALFORMED' } });
    });

    it('answers 503 when the table cannot be reached', async () => {
      const dynamodb = new DynamoDBClient({
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:9',
        maxAttempts: 1,
        credentials: stack.credentials,
      });
      const down = await createWebServer({
        config: loadConfig(stack.env),
        clients: { s3: stack.clients.s3, doc: DynamoDBDocumentClient.from(dynamodb) },
      });
      try {
        const r = await get('/api/items', down.url);
        expect(r.status).toBe(503);
        expect(r.body).toMatchObject({ error: { code: 'UPSTREAM_UNAVAILABLE' } });
      } finally {
        await down.close();
        dynamodb.destroy();
      }
    });
  });

  it('counts categories of catalogued items, largest first', async () => {
    const r = await get('/api/categories');
    expect(r.body).toMatchObject({
      categories: [
        { name: 'portrait', count: 21 },
        { name: 'food', count: 20 },
        { name: 'landscape', count: 20 },
        { name: 'photo', count: 1 },
      ],
      total: 62,
      complete: true,
    });
  });

  describe('the page', () => {
    it('serves the static files with ETags, a CSP and nosniff, and nothing outside the folder', async () => {
      const index = await fetch(`${server.url}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(index.headers.get('content-security-policy')).toContain(
        `img-src 'self' data: ${new URL(stack.endpoints.s3).origin}`,
      );
      expect(index.headers.get('x-content-type-options')).toBe('nosniff');
      const etag = index.headers.get('etag')!;
      const cached = await fetch(`${server.url}/index.html`, { headers: { 'if-none-match': etag } });
      expect(cached.status).toBe(304);
      for (const name of ['app.js', 'style.css']) expect((await fetch(`${server.url}/${name}`)).status).toBe(200);
      const head = await fetch(`${server.url}/app.js`, { method: 'HEAD' });
      expect(head.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await head.text()).toBe('');
    });

    it.each([
      '/../package.json',
      '/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/public/index.html',
      '//etc/passwd',
      '/index.html%00',
    ])('404 for %s', async (path) => {
      // fetch() would normalise the path; send it raw.
      const { request } = await import('node:http');
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${server.url}${path}`, { path }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(404);
    });
  });
});
