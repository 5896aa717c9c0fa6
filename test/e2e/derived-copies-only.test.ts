import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { type BrowserContext, chromium } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.ts';
import { createWebServer, type WebServer } from '../../web/server.ts';
import { makeGpsJpeg, makeHtmlJpegPolyglot, metadataTraces, POLYGLOT_MARKER } from '../fixtures/unsafeImages.ts';
import { type System, startSystem } from '../helpers/system.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const GPS_KEY = 'phone/IMG_0001.jpg';
const POLYGLOT_KEY = 'uploads/page.jpg';

/** Every string in a JSON value that is an http(s) URL. */
function urlsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string' && /^https?:\/\//.test(value)) out.push(value);
  else if (Array.isArray(value)) for (const v of value) urlsIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) urlsIn(v, out);
  return out;
}

/**
 * Issue 13, "Done when" 3: a photo with EXIF GPS and a JPEG/HTML polyglot uploaded as text/html go through the real
 * worker on the local stack; every URL the API then returns serves a metadata-free image with an image content type,
 * none names the image bucket, and the polyglot's URLs run nothing in Chromium (while its original, presigned as
 * uploaded, does: the check can see a script run).
 */
describe('the API serves only worker-made copies', () => {
  let system: System;
  let server: WebServer;
  let context: BrowserContext;
  let profile: string;
  let apiUrls: string[];
  let polyglotUrls: string[];

  const api = async (path: string): Promise<unknown> => {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status, path).toBe(200);
    return response.json();
  };

  beforeAll(async () => {
    system = await startSystem();
    await system.startWorker();
    const s3 = system.stack.clients.s3;
    await s3.send(
      new PutObjectCommand({
        Bucket: system.stack.bucket,
        Key: GPS_KEY,
        Body: await makeGpsJpeg(),
        ContentType: 'image/jpeg',
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: system.stack.bucket,
        Key: POLYGLOT_KEY,
        Body: await makeHtmlJpegPolyglot(),
        ContentType: 'text/html',
      }),
    );
    const outcomes = await system.spy.waitForOutcomes(2, (o) => o.key === GPS_KEY || o.key === POLYGLOT_KEY, {
      timeoutMs: 120_000,
    });
    expect(outcomes.map((o) => o.outcome)).toEqual(['catalogued', 'catalogued']);
    server = await createWebServer({
      config: loadConfig(system.stack.env),
      clients: { s3, doc: system.stack.clients.ddbDoc },
    });
    const list = await api('/api/items?limit=100');
    const gps = await api(`/api/items/${encodeURIComponent(`${system.stack.bucket}/${GPS_KEY}`)}`);
    const polyglot = await api(`/api/items/${encodeURIComponent(`${system.stack.bucket}/${POLYGLOT_KEY}`)}`);
    apiUrls = [...urlsIn(list), ...urlsIn(gps), ...urlsIn(polyglot), ...urlsIn(await api('/api/categories'))];
    polyglotUrls = urlsIn(polyglot);

    profile = mkdtempSync(join(tmpdir(), 'derived-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await server?.close();
    await system?.close();
  });

  it('returns a display copy and a thumbnail for each item, all in the derived-images bucket', () => {
    // A list (2 thumbnails) and two details (thumbnail + display copy each).
    expect(apiUrls.length).toBe(6);
    expect(polyglotUrls.length).toBe(2);
    for (const url of apiUrls) {
      const path = decodeURIComponent(new URL(url).pathname);
      expect(path.startsWith(`/${system.stack.thumbnailBucket}/`), url).toBe(true);
      expect(url, 'names the image bucket').not.toContain(`${system.stack.bucket}/`);
      expect(url).not.toContain('IMG_0001');
    }
  });

  it('serves from every URL a decodable image with an image content type and no EXIF, XMP or GPS', async () => {
    for (const url of apiUrls) {
      const response = await fetch(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toMatch(/^image\/(jpeg|webp)$/);
      expect(response.headers.get('content-disposition'), url).toMatch(/^inline; filename="image\.(jpg|webp)"$/);
      const body = Buffer.from(await response.arrayBuffer());
      expect(await metadataTraces(body), url).toEqual([]);
      const meta = await sharp(body).metadata();
      expect(meta.exif).toBeUndefined();
      expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThanOrEqual(1600);
    }
  });

  it('runs nothing of the polyglot in Chromium through the API URLs, though its original would', async () => {
    const page = await context.newPage();
    const console: string[] = [];
    page.on('console', (message) => console.push(message.text()));

    // The control: the original as uploaded (text/html), presigned directly, is a page whose script runs.
    const original = await getSignedUrl(
      system.stack.clients.s3,
      new GetObjectCommand({ Bucket: system.stack.bucket, Key: POLYGLOT_KEY }),
      { expiresIn: 300 },
    );
    await page.goto(original);
    await expect.poll(() => page.title(), { timeout: 15_000 }).toBe(POLYGLOT_MARKER);
    expect(console).toContain(POLYGLOT_MARKER);
    console.length = 0;

    for (const url of polyglotUrls) {
      const response = await page.goto(url);
      expect(response?.headers()['content-type'], url).toMatch(/^image\//);
      expect(await page.evaluate(() => document.contentType), url).toMatch(/^image\//);
      // An image document holds one <img> and no script; its title is the file name and size, never the marker.
      expect(await page.evaluate(() => document.scripts.length)).toBe(0);
      expect(await page.title()).not.toBe(POLYGLOT_MARKER);
    }
    expect(console).not.toContain(POLYGLOT_MARKER);
    await page.close();
  });

  it("deletes the photo's derived copies when the photo is removed from the bucket", async () => {
    const item = (await system.items()).find((i) => i.key === GPS_KEY);
    const keys = [item?.thumbnailKey, item?.displayKey];
    expect(keys.every(Boolean)).toBe(true);
    const since = system.spy.mark();
    await system.remove(GPS_KEY);
    await system.spy.waitForOutcome(GPS_KEY, (o) => o.outcome === 'removed', { since, timeoutMs: 60_000 });
    for (const key of keys) {
      const head = system.stack.clients.s3.send(
        new HeadObjectCommand({ Bucket: system.stack.thumbnailBucket, Key: key }),
      );
      await expect(head, key).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    }
  });
});
