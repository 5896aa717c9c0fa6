import sharp from 'sharp';
import { ImageRejectedError, TransientError } from '../../shared/errors.ts';
import { oneLine, type Source } from './source.ts';

/**
 * Encoding for the model. One sharp pipeline decodes the source, applies the EXIF orientation, shrinks it to the
 * model's size and encodes it, so libvips streams the pixels through without holding a full-size copy, and JPEG
 * shrink-on-load makes large photos cheap (18 MP in ~90 ms). The thumbnail is made from the prepared image, never
 * from the source, so the source is decoded once. The alternative measured on 2 cores, decoding once to raw pixels
 * and encoding both outputs from them, cost 10-25 % more (the copy to and from JavaScript), thumbnail included.
 */

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

async function encodeOnce(source: Source, edge: number, format: 'jpeg' | 'webp', quality: number): Promise<Encoded> {
  const pipeline = sharp(source.input, source.options)
    .autoOrient()
    .resize({ width: edge, height: edge, fit: 'inside', withoutEnlargement: true });
  const encoder =
    format === 'jpeg' ? pipeline.flatten({ background: '#ffffff' }).jpeg({ quality }) : pipeline.webp({ quality });
  // No withMetadata/keepExif: sharp writes no EXIF, XMP or ICC profile, and converts to sRGB.
  const { data, info } = await encoder.toBuffer({ resolveWithObject: true });
  return { body: data, width: info.width, height: info.height, quality };
}

/**
 * Decodes the source, orients it, fits it inside maxEdge × maxEdge (never enlarging) and encodes it as JPEG (alpha
 * flattened onto white) or WebP. When the result is over `maxBytes`, tries again at lower quality, then at fewer
 * pixels: a rare path (3.75 MB is far above a 1568 px photo), so it simply decodes the source again.
 * @throws ImageRejectedError CORRUPT_IMAGE (bad or truncated pixel data), TOO_MANY_PIXELS, or OBJECT_TOO_LARGE when
 *   not even a quarter of the size fits.
 */
export async function encodeForModel(
  source: Source,
  options: { maxEdge: number; format: 'jpeg' | 'webp'; quality: number; maxBytes: number },
): Promise<Encoded> {
  let first: Encoded | undefined;
  let last: Encoded | undefined;
  try {
    for (const attempt of attempts(options.quality)) {
      const edge = first
        ? Math.max(1, Math.round(Math.max(first.width, first.height) * attempt.scale))
        : options.maxEdge;
      last = await encodeOnce(source, edge, options.format, attempt.quality);
      first ??= last;
      if (last.body.length <= options.maxBytes) return last;
    }
  } catch (cause) {
    throw decodeError(cause, source.original.format);
  }
  throw new ImageRejectedError(
    'OBJECT_TOO_LARGE',
    `prepared image still ${last?.body.length} bytes at ${last?.width}x${last?.height}, over the ${options.maxBytes}-byte limit`,
  );
}

/**
 * A WebP thumbnail, long edge at most `edge`, made from the prepared image (already oriented, small, and cheap to
 * decode: JPEG shrink-on-load again). WebP effort 2 instead of 4 halves its encoding time for no visible loss at
 * this size.
 */
export async function encodeThumbnail(
  prepared: Buffer,
  edge: number,
): Promise<{ body: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(prepared)
    .resize({ width: edge, height: edge, fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 75, effort: 2 })
    .toBuffer({ resolveWithObject: true });
  return { body: data, width: info.width, height: info.height };
}

/**
 * The display copy the browser shows instead of the original: made from the prepared image (already oriented,
 * re-encoded and free of metadata), so it costs nothing when the prepared image is no larger than `edge` (the default
 * 1568 px model image is the display copy as it is) and one cheap resize otherwise. Never made from the source: the
 * source's bytes (EXIF GPS, a script appended to a JPEG) must not reach a viewer.
 */
export async function encodeDisplay(
  prepared: { body: Buffer; width: number; height: number },
  format: 'jpeg' | 'webp',
  edge: number,
): Promise<{ body: Buffer; format: 'jpeg' | 'webp'; width: number; height: number }> {
  if (Math.max(prepared.width, prepared.height) <= edge) {
    return { body: prepared.body, format, width: prepared.width, height: prepared.height };
  }
  const resized = sharp(prepared.body).resize({ width: edge, height: edge, fit: 'inside', withoutEnlargement: true });
  const encoder = format === 'jpeg' ? resized.jpeg({ quality: 82 }) : resized.webp({ quality: 80, effort: 2 });
  const { data, info } = await encoder.toBuffer({ resolveWithObject: true });
  return { body: data, format, width: info.width, height: info.height };
}
