import { afterAll, describe, expect, it } from 'vitest';
import { decodeHeic, stopHeicThreads } from '../../../worker/image/decodeHeic.ts';
import { expectRejected, fixture } from './helpers.ts';

describe('decodeHeic (worker thread)', () => {
  afterAll(stopHeicThreads);

  it('decodes HEVC HEIC to RGBA at its displayed size', async () => {
    const image = await decodeHeic(fixture('chelsea.heic'), 100_000_000);
    expect(image).toMatchObject({ width: 451, height: 300, channels: 4 });
    expect(image.data.length).toBe(451 * 300 * 4);
    // Opaque, and not blank: a tabby cat.
    expect(image.data[3]).toBe(255);
    expect(new Set(image.data.subarray(0, 4000)).size).toBeGreaterThan(20);
  });

  it('checks the pixel count itself, before decoding', async () => {
    const error = await expectRejected(decodeHeic(fixture('chelsea.heic'), 1000), 'TOO_MANY_PIXELS');
    expect(error.context).toMatchObject({ width: 451, height: 300, maxInputPixels: 1000 });
  });

  it('rejects what libheif cannot parse as CORRUPT_IMAGE', async () => {
    const heic = fixture('chelsea.heic');
    await expectRejected(decodeHeic(heic.subarray(0, 5000), 100_000_000), 'CORRUPT_IMAGE');
  });

  it('decodes several at once and starts afresh after the threads are stopped', async () => {
    const heic = fixture('chelsea.heic');
    const both = await Promise.all([decodeHeic(heic, 100_000_000), decodeHeic(heic, 100_000_000)]);
    expect(both.map((i) => i.width)).toEqual([451, 451]);
    await stopHeicThreads();
    expect((await decodeHeic(heic, 100_000_000)).height).toBe(300);
  });
});
