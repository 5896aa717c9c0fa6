import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogueItem, ImageDescription } from '../../shared/catalogue.ts';
import { fixture, PHOTOS, type System, startSystem } from '../helpers/system.ts';

/** Issue 2, done-when 1 and 2: photos in, one catalogued item each; duplicated, reordered events change nothing. */
describe('end to end: S3 upload → event → worker → catalogue (fauxqs, dynalite, Bedrock stand-in)', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system?.close());

  it('catalogues each public-domain photo exactly once, every field present and valid', async () => {
    const handle = await system.startWorker({ METRICS_PORT: '0' });
    for (const name of PHOTOS) await system.put(`photos/${name}`, fixture(name));
    await system.spy.waitForOutcomes(PHOTOS.length, (o) => o.outcome === 'catalogued');

    const items = await system.items();
    expect(items.map((i) => i.key)).toEqual(PHOTOS.map((n) => `photos/${n}`).sort());
    for (const item of items) {
      // (system.items() parsed each item with the CatalogueItem schema already.)
      expect(item).toMatchObject({ status: 'catalogued', bucket: system.stack.bucket });
      expect(item.size).toBe(fixture(item.key.slice('photos/'.length)).length);
      expect(item.modelId).toBe(system.config().model.id);
      // Boxes in original pixels lie inside the original image.
      expect(item.labels?.length).toBeGreaterThan(0);
      for (const { boxPx } of item.labels ?? []) {
        expect(boxPx.left + boxPx.width).toBeLessThanOrEqual((item.image?.width ?? 0) + 1);
        expect(boxPx.top + boxPx.height).toBeLessThanOrEqual((item.image?.height ?? 0) + 1);
      }
      // Every field of the model's entry is there and valid.
      ImageDescription.parse({ ...item, labels: item.labels?.map(({ name, box }) => ({ name, box })) });
      expect(item.eTag).toMatch(/^[0-9a-f]{32}$/);
      expect(item.sequencer).toMatch(/^[0-9A-F]+$/);
      expect(item.analysisVersion).toMatch(/^v1-/);
      expect(item.image?.width).toBeGreaterThan(0);
      expect(item.thumbnailKey).toMatch(/^thumbnails\/[0-9a-f]{64}\.webp$/);
      expect(item.inputTokens).toBeGreaterThan(0);
    }
    // One model call per photo, no more, plus the worker's one start-up probe of the model (the stand-in counts
    // what it accepted).
    expect(system.stack.bedrock?.stats().totals.accepted).toBe(PHOTOS.length + 1);
    const catalogued = system.outcomes.filter((o) => o.outcome === 'catalogued');
    expect(catalogued).toHaveLength(PHOTOS.length);
    // Operators read the same in Prometheus format: outcomes, and the quota limiter every call went through.
    const metrics = await (await fetch(`${handle.metricsUrl}/metrics`)).text();
    expect(metrics).toContain(`catalogue_records_total{outcome="catalogued"} ${PHOTOS.length}`);
    expect(metrics).toMatch(new RegExp(`quota_requests_admitted_total\\{model="[^"]+"\\} ${PHOTOS.length}`));
  });

  it('every event delivered twice and out of order leaves the same table and calls the model no more', async () => {
    const before = await system.items();
    const callsBefore = system.outcomes.reduce((n, o) => n + (o.modelCalls ?? 0), 0);
    // Capture the events of a second batch of uploads instead of delivering them.
    system.stack.bridge.pause();
    // New content (mirrored photos), so that each needs one model call.
    for (const name of PHOTOS.slice(0, 4)) {
      await system.put(`again/${name}.jpg`, await sharp(fixture(name)).flop().jpeg().toBuffer());
    }
    const bodies = system.stack.bridge.drain();
    expect(bodies).toHaveLength(4);
    system.stack.bridge.resume();
    const shuffled = [...bodies, ...bodies].reverse();
    const seen = system.spy.mark();
    await system.stack.bridge.send(shuffled);
    const outcomes = (await system.spy.waitForOutcomes(8, () => true, { since: seen })).map((o) => o.outcome).sort();
    expect(outcomes.filter((o) => o === 'catalogued')).toHaveLength(4);
    expect(outcomes.filter((o) => o === 'skipped' || o === 'stale')).toHaveLength(4);
    const callsAfter = system.outcomes.reduce((n, o) => n + (o.modelCalls ?? 0), 0);
    expect(callsAfter - callsBefore).toBe(4);

    // And the original events once more: nothing changes, no model call.
    const again = system.spy.mark();
    for (const name of PHOTOS) await system.put(`photos/${name}`, fixture(name)); // same bytes: same eTag
    const reuploads = await system.spy.waitForOutcomes(PHOTOS.length, () => true, { since: again });
    expect(reuploads.map((o) => o.outcome)).toEqual(PHOTOS.map(() => 'skipped'));
    const after = await system.items();
    const strip = (items: CatalogueItem[]) =>
      items.filter((i) => i.key.startsWith('photos/')).map(({ seq, sequencer, updatedAt, ...rest }) => rest);
    expect(strip(after)).toEqual(strip(before));
  });

  it('reuses the analysis of identical bytes under another key, without a model call', async () => {
    const seen = system.spy.mark();
    await system.put('copies/rocket copy.jpg', fixture('rocket.jpg'));
    const copied = await system.spy.waitForOutcome('copies/rocket copy.jpg', () => true, { since: seen });
    expect(copied).toMatchObject({ outcome: 'catalogued', reused: true, modelCalls: 0 });
    const items = await system.items();
    const copy = items.find((i) => i.key === 'copies/rocket copy.jpg');
    const original = items.find((i) => i.key === 'photos/rocket.jpg');
    expect(copy).toMatchObject({ summary: original?.summary, reusedFrom: original?.id, inputTokens: 0 });
  });
});
