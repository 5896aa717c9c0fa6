import { createRequire } from 'node:module';
import { ImageRejectedError } from '../../shared/errors.ts';
import type { RawImage } from './decodeBmp.ts';

/**
 * HEVC-coded HEIF (the iPhone's HEIC). sharp's prebuilt libvips reads HEIF headers but cannot decode HEVC (patents),
 * so the pixels come from `heic-decode` (libheif compiled to WebAssembly) as RGBA and go on to sharp as raw input.
 * libheif applies the HEIF rotation and mirror properties itself, so the pixels arrive as displayed.
 * The decode is synchronous WebAssembly work on the calling thread: ~35 ms for 0.14 MP here.
 */

interface HeicImage {
  width: number;
  height: number;
  decode(): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}
type HeicImages = HeicImage[] & { dispose(): void };
interface HeicDecode {
  all(input: { buffer: Buffer }): Promise<HeicImages>;
}

let loaded: HeicDecode | undefined;

/** Loaded on first use: the WebAssembly bundle takes ~100 ms to load and most buckets hold no HEIC. */
function heicDecode(): HeicDecode {
  loaded ??= createRequire(import.meta.url)('heic-decode') as HeicDecode;
  return loaded;
}

/**
 * Decodes the first top-level image of a HEIC file to RGBA. Its dimensions are read before any pixel is decoded and
 * checked against `maxInputPixels`.
 * @throws ImageRejectedError TOO_MANY_PIXELS, or CORRUPT_IMAGE when libheif cannot parse or decode the file.
 */
export async function decodeHeic(body: Buffer, maxInputPixels: number): Promise<RawImage> {
  let images: HeicImages;
  try {
    images = await heicDecode().all({ buffer: body });
  } catch (cause) {
    throw new ImageRejectedError('CORRUPT_IMAGE', `corrupt HEIC: ${(cause as Error).message}`, { cause });
  }
  try {
    const first = images[0];
    if (!first) throw new ImageRejectedError('CORRUPT_IMAGE', 'corrupt HEIC: no image in the file');
    if (first.width * first.height > maxInputPixels) {
      throw new ImageRejectedError(
        'TOO_MANY_PIXELS',
        `HEIC of ${first.width}x${first.height} px exceeds the limit of ${maxInputPixels} px`,
        { context: { width: first.width, height: first.height, maxInputPixels } },
      );
    }
    let decoded: Awaited<ReturnType<HeicImage['decode']>>;
    try {
      decoded = await first.decode();
    } catch (cause) {
      throw new ImageRejectedError('CORRUPT_IMAGE', `corrupt HEIC: ${(cause as Error).message}`, { cause });
    }
    const { data, width, height } = decoded;
    return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height, channels: 4 };
  } finally {
    images.dispose();
  }
}
