import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  makeAnimatedGif,
  makeAnimatedWebp,
  makeAvif,
  makeBmp,
  makeJpegWithExifOrientation,
  makeLargeJpeg,
  makePngWithAlpha,
  makeWebp,
} from '../../../local/fixtures/oddImages.ts';
import { prepareImage, prepareOptionsFromConfig } from '../../../worker/image/prepare.ts';
import { BEDROCK_MAX_IMAGE_BYTES } from '../../../worker/image/prepareOptions.ts';
import { DEFAULTS, expectColour, expectRejected, fixture, pixelAt } from './helpers.ts';

const PHOTOS: [file: string, format: string, width: number, height: number][] = [
  ['astronaut.png', 'png', 512, 512],
  ['rocket.jpg', 'jpeg', 640, 427],
  ['grace_hopper.jpg', 'jpeg', 512, 600],
  ['hubble_deep_field.jpg', 'jpeg', 1000, 872],
  ['camera.png', 'png', 512, 512],
  ['coffee.png', 'png', 600, 400],
  ['chelsea.png', 'png', 451, 300],
  ['text.png', 'png', 448, 172],
  ['coffee.tif', 'tiff', 600, 400],
  ['chelsea.heic', 'heic', 451, 300],
  ['chelsea.gif', 'gif', 451, 300],
];

describe('prepareImage: real photographs', () => {
  it.each(PHOTOS)(
    'prepares %s (%s, %ix%i) as a metadata-free JPEG with a WebP thumbnail',
    async (file, format, w, h) => {
      const body = fixture(file);
      const result = await prepareImage(body, DEFAULTS);

      expect(result.original).toMatchObject({ format, width: w, height: h, bytes: body.length, pages: 1 });
      expect(result.contentHash).toBe(createHash('sha256').update(body).digest('hex'));
      // All fixtures are under 1568 px: kept at their size, never enlarged.
      expect(result.image).toMatchObject({ format: 'jpeg', width: w, height: h });
      expect(result.image.body.length).toBeLessThanOrEqual(BEDROCK_MAX_IMAGE_BYTES);
      const out = await sharp(result.image.body).metadata();
      expect(out).toMatchObject({ format: 'jpeg', width: w, height: h, hasProfile: false, hasAlpha: false });
      expect(out.exif).toBeUndefined();
      expect(out.xmp).toBeUndefined();

      const thumb = result.thumbnail!;
      expect(Math.max(thumb.width, thumb.height)).toBe(Math.min(320, Math.max(w, h)));
      expect(Math.abs(thumb.width / thumb.height - w / h)).toBeLessThan(0.02);
      expect((await sharp(thumb.body).metadata()).format).toBe('webp');
    },
  );

  it('shrinks to maxEdge keeping the aspect ratio', async () => {
    const result = await prepareImage(fixture('hubble_deep_field.jpg'), { ...DEFAULTS, maxEdge: 256 });
    expect(result.image).toMatchObject({ width: 256, height: 223 });
    expect(result.original).toMatchObject({ width: 1000, height: 872 });
  });

  it('decodes HEVC HEIC to the same picture as the PNG it was made from', async () => {
    const heic = await prepareImage(fixture('chelsea.heic'), { ...DEFAULTS, format: 'webp', quality: 95 });
    const png = await prepareImage(fixture('chelsea.png'), { ...DEFAULTS, format: 'webp', quality: 95 });
    const [a, b] = await Promise.all([sharp(heic.image.body).stats(), sharp(png.image.body).stats()]);
    a.channels.slice(0, 3).forEach((channel, i) => {
      expect(Math.abs(channel.mean - b.channels[i]!.mean)).toBeLessThan(4);
    });
  });

  it('omits the thumbnail when no thumbnailEdge is given', async () => {
    const { thumbnailEdge: _, ...noThumbnail } = DEFAULTS;
    const result = await prepareImage(fixture('rocket.jpg'), noThumbnail);
    expect(result.thumbnail).toBeUndefined();
  });
});

describe('prepareImage: formats and transforms', () => {
  it('applies EXIF orientation 6: width and height swap, the picture turns, EXIF and GPS are stripped', async () => {
    const body = await makeJpegWithExifOrientation(6);
    expect((await sharp(body).metadata()).exif).toBeDefined();
    const result = await prepareImage(body, DEFAULTS);

    expect(result.original).toMatchObject({ format: 'jpeg', width: 200, height: 300, orientation: 6 });
    expect(result.image).toMatchObject({ width: 200, height: 300 });
    // The red block stored top-left shows top-right once turned 90° clockwise.
    expectColour(await pixelAt(result.image.body, 185, 15), [255, 0, 0]);
    expectColour(await pixelAt(result.image.body, 15, 15), [0, 0, 255]);
    const out = await sharp(result.image.body).metadata();
    expect(out.exif).toBeUndefined();
    expect(out.orientation).toBeUndefined();
  });

  it.each([
    ['AVIF', makeAvif, 'avif'],
    ['WebP', makeWebp, 'webp'],
  ])('converts %s', async (_name, make, format) => {
    const result = await prepareImage(await make(), DEFAULTS);
    expect(result.original).toMatchObject({ format, width: 300, height: 200, pages: 1 });
    expect(result.image).toMatchObject({ format: 'jpeg', width: 300, height: 200 });
    expect((await sharp(result.image.body).metadata()).format).toBe('jpeg');
  });

  it.each([
    ['GIF', makeAnimatedGif, 'gif'],
    ['WebP', makeAnimatedWebp, 'webp'],
  ])('uses the first frame of an animated %s', async (_name, make, format) => {
    const result = await prepareImage(await make(), DEFAULTS);
    expect(result.original).toMatchObject({ format, width: 80, height: 60, pages: 2 });
    expect(result.image).toMatchObject({ width: 80, height: 60 });
    expectColour(await pixelAt(result.image.body, 40, 30), [255, 0, 0]);
  });

  it('flattens alpha onto white for JPEG', async () => {
    const result = await prepareImage(await makePngWithAlpha(), DEFAULTS);
    expect(result.image).toMatchObject({ format: 'jpeg', width: 200, height: 100 });
    expectColour(await pixelAt(result.image.body, 50, 50), [255, 0, 0]);
    expectColour(await pixelAt(result.image.body, 150, 50), [255, 255, 255], 4);
  });

  it('keeps alpha for WebP', async () => {
    const result = await prepareImage(await makePngWithAlpha(), { ...DEFAULTS, format: 'webp' });
    expect(result.image.format).toBe('webp');
    expect(result.image.body.subarray(8, 12).toString('latin1')).toBe('WEBP');
    expect((await pixelAt(result.image.body, 150, 50))[3]).toBe(0);
    expect((await pixelAt(result.image.body, 50, 50))[3]).toBe(255);
  });

  it.each([
    ['24-bit bottom-up', { bitsPerPixel: 24 as const }],
    ['32-bit top-down with alpha mask', { bitsPerPixel: 32 as const, topDown: true }],
  ])('decodes a %s BMP the right way up', async (_name, options) => {
    const result = await prepareImage(makeBmp({ width: 64, height: 48, ...options }), DEFAULTS);
    expect(result.original).toMatchObject({ format: 'bmp', width: 64, height: 48, pages: 1 });
    const image = result.image.body;
    expectColour(await pixelAt(image, 8, 8), [255, 0, 0]);
    expectColour(await pixelAt(image, 56, 8), [0, 255, 0]);
    expectColour(await pixelAt(image, 8, 40), [0, 0, 255]);
    expectColour(await pixelAt(image, 56, 40), [255, 255, 255]);
  });

  it('downscales an 18 MP JPEG to 1568 px on the long edge', async () => {
    const body = await makeLargeJpeg(18);
    const result = await prepareImage(body, DEFAULTS);
    expect(result.original).toMatchObject({ format: 'jpeg', width: 5196, height: 3464 });
    expect(result.image).toMatchObject({ width: 1568, height: 1045 });
    expect(result.image.body.length).toBeLessThanOrEqual(BEDROCK_MAX_IMAGE_BYTES);
    expect(result.thumbnail).toMatchObject({ width: 320, height: 213 });
  });

  it('lowers quality, then size, until the image fits the byte limit', async () => {
    const body = fixture('hubble_deep_field.jpg');
    const full = await prepareImage(body, DEFAULTS);
    const limit = Math.floor(full.image.body.length / 4);
    const fitted = await prepareImage(body, { ...DEFAULTS, maxOutputBytes: limit });
    expect(fitted.image.body.length).toBeLessThanOrEqual(limit);
    expect(fitted.image.width / fitted.image.height).toBeCloseTo(1000 / 872, 1);
  });

  it('rejects as OBJECT_TOO_LARGE when nothing fits the byte limit', async () => {
    const error = await expectRejected(
      prepareImage(fixture('rocket.jpg'), { ...DEFAULTS, maxOutputBytes: 100 }),
      'OBJECT_TOO_LARGE',
    );
    expect(error.message).toMatch(/over the 100-byte limit/);
  });
});

describe('prepareOptionsFromConfig', () => {
  const image = { maxEdge: 1568, maxInputPixels: 100_000_000, maxBytes: 1, format: 'webp' as const, quality: 80 };

  it('asks for thumbnails and display copies only when a derived-images bucket is configured', () => {
    expect(prepareOptionsFromConfig({ image, thumbnails: { bucket: 'thumbs', edge: 256, displayEdge: 1600 } })).toEqual(
      {
        maxEdge: 1568,
        maxInputPixels: 100_000_000,
        format: 'webp',
        quality: 80,
        thumbnailEdge: 256,
        displayEdge: 1600,
      },
    );
    const none = prepareOptionsFromConfig({ image, thumbnails: { edge: 256, displayEdge: 1600 } });
    expect(none.thumbnailEdge).toBeUndefined();
    expect(none.displayEdge).toBeUndefined();
  });
});
