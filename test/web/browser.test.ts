import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.ts';
import { createWebServer, type WebServer } from '../../web/server.ts';
import { needsRedelivery, type Outcome } from '../../worker/pipeline/outcome.ts';
import { fixture, PHOTOS, type System, startSystem } from '../helpers/system.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-results', 'screenshots');
const COPIES = ['archive/2019', 'archive/2020', 'archive/2021'];

interface ApiItem {
  id: string;
  key: string;
  status: string;
  summary?: string;
  category?: string;
  reason?: string;
  labels: Array<{ name: string; box: { left: number; top: number; width: number; height: number } }>;
  sensitive?: { verdict: string; reason: string };
}

/**
 * The page in headless Chromium against the real system: the local stack, the real worker cataloguing the fixture
 * photos through the Bedrock stand-in, and the web server. `SCREENSHOT_ANALYSER=on-device` makes the stand-in answer
 * with its on-device models (slower; used for the screenshots in docs/screenshots).
 */
describe('catalogue browser in Chromium', () => {
  let system: System;
  let server: WebServer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  const api = async <T>(path: string): Promise<T> => (await (await fetch(`${server.url}${path}`)).json()) as T;
  const cards = () => page.locator('#results a.card');
  const shot = (name: string, target: Page | ReturnType<Page['locator']> = page) =>
    target.screenshot({ path: join(SHOTS, name) });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH`,
      );
    }
    mkdirSync(SHOTS, { recursive: true });
    let bedrock = {};
    if (process.env.SCREENSHOT_ANALYSER === 'on-device') {
      const { createOnDeviceAnalyser } = await import('../../local/bedrock/analysers/onDevice.ts');
      bedrock = { analyser: createOnDeviceAnalyser() };
    }
    system = await startSystem({ bedrock });
    await system.startWorker();
    // Older copies first, so the distinct photos are the newest and lead the grid; 32 catalogued > one page of 24.
    for (const prefix of COPIES) for (const name of PHOTOS) await system.put(`${prefix}/${name}`, fixture(name));
    // Settled: catalogued or rejected (a throttled record comes back later and settles then).
    const settled = (o: Outcome) => !needsRedelivery(o);
    await system.spy.waitForOutcomes(COPIES.length * PHOTOS.length, settled, { timeoutMs: 150_000 });
    for (const name of PHOTOS) await system.put(`photos/${name}`, fixture(name));
    await system.put('photos/notes.jpg', Buffer.from('these are notes, not a photograph\n'));
    await system.spy.waitForOutcomes((COPIES.length + 1) * PHOTOS.length + 1, settled, { timeoutMs: 150_000 });

    server = await createWebServer({
      config: loadConfig(system.stack.env),
      clients: { s3: system.stack.clients.s3, doc: system.stack.clients.ddbDoc },
    });
    profile = mkdtempSync(join(tmpdir(), 'web-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 860 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => {
      throw error;
    });
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await server?.close();
    await system?.close();
  });

  /** Every <img> inside `selector` has loaded (presigned URLs through the S3 stand-in). */
  const imagesLoaded = (selector: string) =>
    page.waitForFunction(
      (sel) => {
        const imgs = Array.from(document.querySelectorAll<HTMLImageElement>(sel));
        return imgs.length > 0 && imgs.every((img) => img.complete && img.naturalWidth > 0);
      },
      selector,
      { timeout: 60_000 },
    );

  it('shows the newest photos as a grid of thumbnails with summary and category, and loads more', async () => {
    await page.goto(server.url);
    await expect.poll(() => cards().count()).toBe(24);
    // Lazy images below the fold would never load in a screenshot-sized window: load them all, then check them.
    await page.evaluate(() => {
      for (const img of Array.from(document.querySelectorAll('img[loading=lazy]'))) img.removeAttribute('loading');
    });
    await imagesLoaded('#results .thumb img');
    const newest = await api<{ items: ApiItem[] }>('/api/items?limit=8');
    expect(newest.items.map((i) => i.key).sort()).toEqual(PHOTOS.map((n) => `photos/${n}`).sort());
    // Alt text is the summary; the card shows the summary and the category.
    const first = newest.items[0]!;
    const card = cards().first();
    await expect.poll(() => card.locator('img').getAttribute('alt')).toBe(first.summary);
    await expect.poll(() => card.locator('.caption').textContent()).toBe(first.summary);
    await expect.poll(() => card.locator('.chip.category').textContent()).toBe(first.category);
    await shot('grid.png');

    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => cards().count()).toBe(32);
    await expect.poll(() => page.getByRole('button', { name: 'Load more' }).isVisible()).toBe(false);
    await expect.poll(() => page.locator('#summary').textContent()).toMatch(/^32 images/);
  });

  it('filters by category through the select, with the counts in its options', async () => {
    const { categories } = await api<{ categories: Array<{ name: string; count: number }> }>('/api/categories');
    const smallest = [...categories].sort((a, b) => a.count - b.count)[0]!;
    await page.goto(server.url);
    await page.getByLabel('Category').selectOption(smallest.name);
    await expect.poll(() => cards().count()).toBe(Math.min(smallest.count, 24));
    const chips = await page.locator('#results .chip.category').allTextContents();
    expect(new Set(chips)).toEqual(new Set([smallest.name]));
    expect(await page.getByLabel('Category').locator('option:checked').textContent()).toBe(
      `${smallest.name} (${smallest.count})`,
    );
    expect(new URL(page.url()).searchParams.get('category')).toBe(smallest.name);
    await shot('category.png');
  });

  it('searches summaries, labels and visible text from the search box', async () => {
    // A word of the newest photo's summary, and what the catalogue holds with it.
    const items = await system.items();
    const word = items
      .find((i) => i.key === 'photos/text.png')!
      .summary!.toLowerCase()
      .split(/[^\p{L}\p{N}×]+/u)
      .filter((w) => w.length > 3)
      .find((w) => {
        const n = items.filter((i) => i.status === 'catalogued' && i.searchText?.includes(w)).length;
        return n > 0 && n < 32;
      })!;
    const expected = items.filter((i) => i.status === 'catalogued' && i.searchText?.includes(word)).length;
    expect(word).toBeTruthy();
    await page.goto(server.url);
    await page.getByLabel('Search').fill(word.toUpperCase());
    await page.getByLabel('Search').press('Enter');
    await expect.poll(() => cards().count()).toBe(Math.min(expected, 24));
    await expect
      .poll(async () => (await page.locator('#summary').textContent())?.toLowerCase())
      .toContain(`matching “${word}”`);
    await shot('search.png');
    await page.getByLabel('Search').fill('zzzz-not-there');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('#summary').textContent()).toBe('No images match.');
  });

  it('opens a detail view that draws each labelled box where the model put it', async () => {
    const id = `${system.stack.bucket}/photos/astronaut.png`;
    const item = await api<ApiItem>(`/api/items/${encodeURIComponent(id)}`);
    expect(item.labels.length).toBeGreaterThan(0);
    await page.goto(server.url);
    const card = page.locator(`a.card[data-id="${id}"]`);
    await card.focus();
    await page.keyboard.press('Enter'); // keyboard only
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await imagesLoaded('#detail-img');
    expect(await page.locator('#detail-title').textContent()).toBe(item.summary);
    expect(await page.locator('#detail-sensitive').textContent()).toContain(item.sensitive!.reason);
    expect(await page.locator('#labels li').count()).toBe(item.labels.length);

    const boxes = page.locator('#boxes .box');
    expect(await boxes.count()).toBe(item.labels.length);
    const img = (await page.locator('#detail-img').boundingBox())!;
    for (const [i, label] of item.labels.entries()) {
      const b = (await boxes.nth(i).boundingBox())!;
      expect(Math.abs(b.x - (img.x + label.box.left * img.width))).toBeLessThan(2);
      expect(Math.abs(b.y - (img.y + label.box.top * img.height))).toBeLessThan(2);
      expect(Math.abs(b.width - label.box.width * img.width)).toBeLessThan(3);
      expect(Math.abs(b.height - label.box.height * img.height)).toBeLessThan(3);
      expect(await boxes.nth(i).locator('.tag').textContent()).toBe(label.name);
    }
    // The display copy, not the thumbnail, and never the original: presigned from the derived-images bucket.
    const src = await page.locator('#detail-img').getAttribute('src');
    expect(src).toMatch(new RegExp(`/${system.stack.thumbnailBucket}/display/[0-9a-f]{64}\\.jpg\\?`));
    expect(src).not.toContain(`/${system.stack.bucket}/`);
    await expect.poll(() => new URL(page.url()).hash).toBe(`#item=${encodeURIComponent(id)}`);
    await shot('detail.png');

    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-id'))).toBe(id);
    // The page clears the hash in the dialog's `close` handler, a task queued after the dialog is hidden (and the
    // browser itself gives focus back to the card, so the focus above does not prove the handler ran): the page's
    // own location.hash is read until the handler has run. Playwright learns of that same-document navigation by an
    // event of its own, so page.url() is read until it has caught up too.
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('');
    await expect.poll(() => new URL(page.url()).hash).toBe('');
  });

  it('shows rejected items with their reason and no thumbnail', async () => {
    await page.goto(`${server.url}/?status=rejected`);
    await expect.poll(() => cards().count()).toBe(1);
    expect(await cards().locator('img').count()).toBe(0);
    expect(await cards().locator('.placeholder').textContent()).toBe('Rejected');
    await cards().first().click();
    await expect.poll(() => page.locator('#detail-reason').textContent()).toMatch(/^Rejected: .+ \(NOT_AN_IMAGE\)$/);
    expect(await page.locator('#detail-img').isVisible()).toBe(false);
    expect(await page.locator('#no-image').textContent()).toContain('not a usable image');
    await shot('rejected.png');
  });
});
