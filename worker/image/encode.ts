import sharp, { type Sharp } from 'sharp';
import { ImageRejectedError, TransientError } from '../../shared/errors.ts';
import { oneLine, type Source } from './source.ts';

/**
 * Decoding once and encoding from the decoded pixels. The source is decoded, oriented and shrunk to the model's size
 * in one sharp pipeline (JPEG shrink-on-load makes this cheap for large photos) into raw pixels; the model's image,
 * any smaller retry of it and the thumbnail are all encoded from those pixels, so no path decodes the source twice.
 */

/** Decoded, oriented pixels at most `maxEdge` on the long edge. */
export interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/**
 * Decodes `source`, applies the EXIF orientation and fits it inside maxEdge × maxEdge (never enlarging).
 * @throws ImageRejectedError CORRUPT_IMAGE (bad or truncated pixel data) or TOO_MANY_PIXELS.
 */
export async function decodeToFit(source: Source, maxEdge: number): Promise<Pixels> {
  try {
    const { data, info } = await sharp(source.input, source.options)
      .autoOrient()
      .resize({ width: maxEdge, height: maxEdge, fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (cause) {
    throw decodeError(cause, source.original.format);
  }
}

function decodeError(cause: unknown, format: string): Error {
  const message = oneLine((cause as Error).message);
  if (/exceeds pixel limit/i.test(message)) {
    return new ImageRejectedError('TOO_MANY_PIXELS', `${format.toUpperCase()} exceeds the pixel limit`, { cause });
  }
  // Running out of memory says nothing about the image: let the message be retried rather than reject the image.
  if (/out of memory|cannot allocate|ENOMEM/i.test(message)) {
    return new TransientError(`decoding ${format.toUpperCase()} ran out of memory: ${message}`, { cause });
  }
  return new ImageRejectedError('CORRUPT_IMAGE', `corrupt ${format.toUpperCase()}: ${message}`, { cause });
}

function fromPixels(pixels: Pixels): Sharp {
  const { data, width, height, channels } = pixels;
  return sharp(data, { raw: { width, height, channels } });
}

export interface Encoded {
  body: Buffer;
  width: number;
  height: number;
  quality: number;
}

/** Attempts in order, each cheaper in bytes than the last: lower quality first, then fewer pixels. */
function attempts(quality: number): { scale: number; quality: number }[] {
  const qualities = [quality, quality - 15, quality - 30].filter((q, i) => i === 0 || q >= 40);
  const list = qualities.map((q) => ({ scale: 1, quality: q }));
  for (const scale of [0.75, 0.5, 0.35, 0.25]) list.push({ scale, quality: Math.min(quality, 70) });
  return list;
}

/**
 * Encodes the pixels as JPEG (alpha flattened onto white) or WebP, lowering the quality and then the size until the
 * body fits in `maxBytes`. Metadata is never written: sharp strips it unless asked to keep it.
 */
export async function encodeWithinLimit(
  pixels: Pixels,
  format: 'jpeg' | 'webp',
  quality: number,
  maxBytes: number,
): Promise<Encoded> {
  let last: Encoded | undefined;
  for (const attempt of attempts(quality)) {
    let pipeline = fromPixels(pixels);
    if (attempt.scale < 1) {
      const edge = Math.max(1, Math.round(Math.max(pixels.width, pixels.height) * attempt.scale));
      pipeline = pipeline.resize({ width: edge, height: edge, fit: 'inside' });
    }
    pipeline =
      format === 'jpeg'
        ? pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: attempt.quality })
        : pipeline.webp({ quality: attempt.quality });
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    last = { body: data, width: info.width, height: info.height, quality: attempt.quality };
    if (data.length <= maxBytes) return last;
  }
  throw new ImageRejectedError(
    'OBJECT_TOO_LARGE',
    `prepared image still ${last?.body.length} bytes at ${last?.width}x${last?.height}, over the ${maxBytes}-byte limit`,
  );
}

/** A WebP thumbnail, long edge at most `edge`, from the already decoded pixels. */
export async function encodeThumbnail(
  pixels: Pixels,
  edge: number,
): Promise<{ body: Buffer; width: number; height: number }> {
  const { data, info } = await fromPixels(pixels)
    .resize({ width: edge, height: edge, fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 75 })
    .toBuffer({ resolveWithObject: true });
  return { body: data, width: info.width, height: info.height };
}
