import { describe, expect, it } from 'vitest';
import { makeBmp } from '../../../local/fixtures/oddImages.ts';
import { ImageRejectedError } from '../../../shared/errors.ts';
import { decodeBmp, readBmpHeader } from '../../../worker/image/decodeBmp.ts';

function pixel(image: { data: Buffer; width: number; channels: number }, x: number, y: number): number[] {
  const at = (y * image.width + x) * image.channels;
  return [...image.data.subarray(at, at + image.channels)];
}

describe('decodeBmp', () => {
  it('reads the header without the pixels', () => {
    const header = readBmpHeader(makeBmp({ width: 30, height: 20, topDown: true }));
    expect(header).toMatchObject({ width: 30, height: 20, bitsPerPixel: 24, compression: 0, topDown: true });
  });

  it('decodes a 24-bit bottom-up BMP with padded rows to RGB, top row first', () => {
    // 30 px × 3 bytes = 90, padded to 92 per row.
    const body = makeBmp({ width: 30, height: 20 });
    const image = decodeBmp(body, readBmpHeader(body));
    expect(image).toMatchObject({ width: 30, height: 20, channels: 3 });
    expect(pixel(image, 0, 0)).toEqual([255, 0, 0]);
    expect(pixel(image, 29, 0)).toEqual([0, 255, 0]);
    expect(pixel(image, 0, 19)).toEqual([0, 0, 255]);
    expect(pixel(image, 29, 19)).toEqual([255, 255, 255]);
  });

  it('decodes a 32-bit BI_BITFIELDS BMP with its alpha mask to RGBA', () => {
    const body = makeBmp({ width: 8, height: 4, bitsPerPixel: 32, topDown: true });
    const image = decodeBmp(body, readBmpHeader(body));
    expect(image.channels).toBe(4);
    expect(pixel(image, 0, 0)).toEqual([255, 0, 0, 255]);
    expect(pixel(image, 7, 3)).toEqual([255, 255, 255, 255]);
  });

  it('rejects short pixel data as CORRUPT_IMAGE and paletted BMPs as UNSUPPORTED_FORMAT', () => {
    const short = makeBmp().subarray(0, 500);
    expect(() => decodeBmp(short, readBmpHeader(short))).toThrow(expect.objectContaining({ reason: 'CORRUPT_IMAGE' }));
    const paletted = makeBmp({ bitsPerPixel: 8 });
    expect(() => decodeBmp(paletted, readBmpHeader(paletted))).toThrow(ImageRejectedError);
    expect(() => decodeBmp(paletted, readBmpHeader(paletted))).toThrow(
      expect.objectContaining({ reason: 'UNSUPPORTED_FORMAT' }),
    );
    expect(() => readBmpHeader(Buffer.from('BM'))).toThrow(expect.objectContaining({ reason: 'CORRUPT_IMAGE' }));
  });
});
