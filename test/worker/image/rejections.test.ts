import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  makeBmp,
  makeDecompressionBomb,
  makeMultiPageTiff,
  makeTruncatedJpeg,
  textFile,
  zeroBytes,
} from '../../../local/fixtures/oddImages.ts';
import { prepareImage } from '../../../worker/image/prepare.ts';
import { DEFAULTS, expectRejected, fixture } from './helpers.ts';

/** The bomb with its pixel data cut to the first 1,000 compressed bytes: any decode of it would fail as corrupt. */
async function bombHeaderOnly(): Promise<Buffer> {
  const bomb = await makeDecompressionBomb(20000, 20000);
  const idat = Buffer.concat([Buffer.from('IDAT', 'latin1'), bomb.subarray(41, 41 + 1000)]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(1000);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(idat));
  return Buffer.concat([bomb.subarray(0, 33), length, idat, crc, bomb.subarray(bomb.length - 12)]);
}

describe('prepareImage: what it refuses', () => {
  it('rejects an empty object as EMPTY_OBJECT', async () => {
    const error = await expectRejected(prepareImage(zeroBytes(), DEFAULTS), 'EMPTY_OBJECT');
    expect(error.message).toMatch(/empty \(0 bytes\)/);
  });

  it.each([
    ['plain text', textFile(), /looks like plain text/],
    [
      'a PDF',
      Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n', 'latin1'),
      /looks like a PDF document/,
    ],
    ['a ZIP', Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'), /looks like a ZIP archive/],
    [
      'an HTML error page',
      Buffer.from('<!DOCTYPE html><html><body>403 Forbidden</body></html>'),
      /looks like an HTML page/,
    ],
    ['JSON', Buffer.from('{"error":"not found"}'), /looks like JSON text/],
    [
      'random binary',
      Buffer.from([0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]),
      /unrecognised binary data \(starts 00 13 37/,
    ],
  ])('rejects %s as NOT_AN_IMAGE, saying what it looks like', async (_name, body, message) => {
    const error = await expectRejected(prepareImage(body, DEFAULTS), 'NOT_AN_IMAGE');
    expect(error.message).toMatch(message);
  });

  it.each([
    [
      'an SVG',
      Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
      /SVG/,
    ],
    ['a Photoshop file', Buffer.from('8BPS\x00\x01\x00\x00\x00\x00\x00\x00', 'latin1'), /Photoshop/],
    ['a paletted BMP', makeBmp({ bitsPerPixel: 8 }), /8-bit/],
  ])('rejects %s as UNSUPPORTED_FORMAT', async (_name, body, message) => {
    const error = await expectRejected(prepareImage(body, DEFAULTS), 'UNSUPPORTED_FORMAT');
    expect(error.message).toMatch(message);
  });

  it('rejects a truncated JPEG as CORRUPT_IMAGE rather than describing half of it', async () => {
    const error = await expectRejected(prepareImage(await makeTruncatedJpeg(), DEFAULTS), 'CORRUPT_IMAGE');
    expect(error.message).toMatch(/JPEG.*premature end/);
  });

  it.each([
    ['HEIC', () => fixture('chelsea.heic').subarray(0, 20_000)],
    ['PNG', () => fixture('coffee.png').subarray(0, 100_000)],
    ['BMP', () => makeBmp().subarray(0, 2000)],
    ['GIF', () => fixture('chelsea.gif').subarray(0, 30)],
  ])('rejects a truncated %s as CORRUPT_IMAGE', async (_name, make) => {
    await expectRejected(prepareImage(make(), DEFAULTS), 'CORRUPT_IMAGE');
  });

  it.each([2, 3])('rejects a %i-page TIFF as MULTI_PAGE, naming the page count', async (pages) => {
    const body = await makeMultiPageTiff(pages);
    expect((await sharp(body).metadata()).pages).toBe(pages);
    const error = await expectRejected(prepareImage(body, DEFAULTS), 'MULTI_PAGE');
    expect(error.message).toContain(`${pages} pages`);
  });

  it('rejects a 20000x20000 decompression bomb as TOO_MANY_PIXELS', async () => {
    const error = await expectRejected(
      prepareImage(await makeDecompressionBomb(20000, 20000), DEFAULTS),
      'TOO_MANY_PIXELS',
    );
    expect(error.message).toMatch(/20000x20000/);
    expect(error.context).toMatchObject({ width: 20000, height: 20000, maxInputPixels: 100_000_000 });
  });

  it('refuses the bomb from its header alone, before decoding any pixel', async () => {
    // A decode of this file would fail as CORRUPT_IMAGE; TOO_MANY_PIXELS shows that none was attempted.
    await expectRejected(prepareImage(await bombHeaderOnly(), DEFAULTS), 'TOO_MANY_PIXELS');
  });

  it.each([
    ['JPEG', () => fixture('rocket.jpg')],
    ['HEIC', () => fixture('chelsea.heic')],
    ['BMP', () => makeBmp({ width: 640, height: 480 })],
  ])('applies maxInputPixels to %s', async (_name, make) => {
    const error = await expectRejected(
      prepareImage(make(), { ...DEFAULTS, maxInputPixels: 100_000 }),
      'TOO_MANY_PIXELS',
    );
    expect(error.message).toMatch(/exceeds the limit of 100000 px/);
  });
});
