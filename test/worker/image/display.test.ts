import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { prepareImage } from '../../../worker/image/prepare.ts';
import { makeGpsJpeg, makeHtmlJpegPolyglot, metadataTraces } from '../../fixtures/unsafeImages.ts';
import { DEFAULTS } from './helpers.ts';

describe('prepareImage: the display copy', () => {
  it('is the metadata-free model image when that is no larger than the display edge (no second encode)', async () => {
    const original = await makeGpsJpeg();
    expect(await metadataTraces(original)).toContain('exif');

    const result = await prepareImage(original, { ...DEFAULTS, displayEdge: 1600 });

    expect(result.display).toMatchObject({ format: 'jpeg', width: 1568, height: 1045 });
    expect(result.display?.body).toBe(result.image.body);
    expect(await metadataTraces(result.display!.body)).toEqual([]);
    expect(await metadataTraces(result.thumbnail!.body)).toEqual([]);
  });

  it('is resized from the prepared image, never the source, when the model image is larger', async () => {
    const original = await makeGpsJpeg();

    const result = await prepareImage(original, { ...DEFAULTS, maxEdge: 2400, format: 'webp', displayEdge: 1600 });

    expect(result.image.width).toBe(2400);
    expect(result.display).toMatchObject({ format: 'webp', width: 1600, height: 1067 });
    const meta = await sharp(result.display!.body).metadata();
    expect(meta.format).toBe('webp');
    expect(await metadataTraces(result.display!.body)).toEqual([]);
  });

  it('drops the HTML of a JPEG/HTML polyglot', async () => {
    const polyglot = await makeHtmlJpegPolyglot();
    expect(await metadataTraces(polyglot)).toEqual(['bytes contain "<script"']);

    const result = await prepareImage(polyglot, { ...DEFAULTS, displayEdge: 1600 });

    expect(await metadataTraces(result.display!.body)).toEqual([]);
    expect((await sharp(result.display!.body).metadata()).format).toBe('jpeg');
  });

  it('is not made without a display edge (no derived-images bucket)', async () => {
    const result = await prepareImage(await makeGpsJpeg(600, 400), DEFAULTS);
    expect(result.display).toBeUndefined();
  });
});
