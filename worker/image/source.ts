import sharp, { type Metadata, type SharpOptions } from 'sharp';
import { ImageRejectedError } from '../../shared/errors.ts';
import { decodeBmp, type RawImage, readBmpHeader } from './decodeBmp.ts';
import { decodeHeic } from './decodeHeic.ts';
import type { ImageFormat } from './detect.ts';
import type { OriginalImage } from './prepareOptions.ts';

/**
 * Opens a source image for decoding, after reading its headers only: nothing is decoded before the pixel count and
 * the page count have been checked, so a decompression bomb costs a header read.
 */

/** What to hand to sharp: the input and its options, and what is known about the original. */
export interface Source {
  input: Buffer;
  options: SharpOptions;
  original: OriginalImage;
}

/**
 * Reads the headers of an image whose format has been sniffed, refuses what must not be decoded, and returns the
 * sharp input to decode it from (raw pixels for HEIC and BMP, which sharp cannot decode itself).
 * @throws ImageRejectedError TOO_MANY_PIXELS, MULTI_PAGE, CORRUPT_IMAGE or UNSUPPORTED_FORMAT.
 */
export async function openSource(body: Buffer, format: ImageFormat, maxInputPixels: number): Promise<Source> {
  if (format === 'bmp') {
    const header = readBmpHeader(body);
    checkPixels('bmp', header.width, header.height, maxInputPixels);
    const raw = decodeBmp(body, header);
    return fromRaw(raw, { format, width: raw.width, height: raw.height, bytes: body.length, pages: 1 }, maxInputPixels);
  }
  const metadata = await readMetadata(body, format);
  // For animated GIF/WebP, metadata.height is the height of one frame (sharp reads one page unless told otherwise).
  checkPixels(format, metadata.width, metadata.height, maxInputPixels);
  const pages = metadata.pages ?? 1;
  if (pages > 1 && format === 'tiff') {
    throw new ImageRejectedError(
      'MULTI_PAGE',
      `multi-page TIFF (${pages} pages): only single-page images are catalogued`,
      {
        context: { pages },
      },
    );
  }
  // sharp reads every HEIF header, but its libvips decodes only AV1 (AVIF), not HEVC: those pixels come from libheif.
  const heifCompression = format === 'heic' || format === 'avif' ? metadata.compression : undefined;
  const realFormat = heifCompression === 'av1' ? 'avif' : heifCompression === 'hevc' ? 'heic' : format;
  if (realFormat === 'heic') {
    const raw = await decodeHeic(body, maxInputPixels);
    return fromRaw(
      raw,
      { format: 'heic', width: raw.width, height: raw.height, bytes: body.length, pages },
      maxInputPixels,
    );
  }
  return {
    input: body,
    // 'error' rejects truncated and broken pixel data (a truncated JPEG fails with "premature end of JPEG image") but
    // not the libjpeg warnings many real cameras' files raise ("extraneous bytes before marker"), which 'warning'
    // (sharp's default) would turn into rejections of perfectly viewable photos.
    options: { failOn: 'error', limitInputPixels: maxInputPixels },
    original: {
      format: realFormat,
      width: metadata.autoOrient.width,
      height: metadata.autoOrient.height,
      bytes: body.length,
      ...(metadata.orientation === undefined ? {} : { orientation: metadata.orientation }),
      pages,
    },
  };
}

function fromRaw(raw: RawImage, original: OriginalImage, maxInputPixels: number): Source {
  const { data, width, height, channels } = raw;
  return { input: data, options: { raw: { width, height, channels }, limitInputPixels: maxInputPixels }, original };
}

async function readMetadata(body: Buffer, format: ImageFormat): Promise<Metadata> {
  try {
    // The pixel limit is checked by the caller with the real dimensions, for a clearer message.
    return await sharp(body, { limitInputPixels: false }).metadata();
  } catch (cause) {
    const message = (cause as Error).message;
    if (/unsupported image format/i.test(message)) {
      throw new ImageRejectedError(
        'UNSUPPORTED_FORMAT',
        `${format.toUpperCase()} file that cannot be read: ${message}`,
        {
          cause,
        },
      );
    }
    throw new ImageRejectedError('CORRUPT_IMAGE', `corrupt ${format.toUpperCase()} header: ${oneLine(message)}`, {
      cause,
    });
  }
}

/** Refuses decompression bombs: a few KB of PNG can claim 20000×20000 px (1.2 GB once decoded). */
function checkPixels(format: string, width: number, height: number, maxInputPixels: number): void {
  if (width * height > maxInputPixels) {
    throw new ImageRejectedError(
      'TOO_MANY_PIXELS',
      `${format.toUpperCase()} of ${width}x${height} px (${width * height} px) exceeds the limit of ${maxInputPixels} px`,
      { context: { width, height, maxInputPixels } },
    );
  }
}

/** libvips messages run over several lines (often repeating themselves): one line, no repeats, at most 300 chars. */
export function oneLine(message: string): string {
  const lines = [...new Set(message.split('\n').map((l) => l.trim()))].filter(Boolean);
  return lines.join('; ').slice(0, 300);
}
