import { createHash } from 'node:crypto';
import { ImageRejectedError } from '../../shared/errors.ts';
import { sniff } from './detect.ts';
import { encodeDisplay, encodeForModel, encodeThumbnail } from './encode.ts';
import { BEDROCK_MAX_IMAGE_BYTES, type PreparedResult, PrepareOptions } from './prepareOptions.ts';
import { openSource } from './source.ts';

const SUPPORTED = 'JPEG, PNG, GIF, WebP, TIFF, HEIC, AVIF or uncompressed BMP';

/**
 * Turns the bytes of an object into the image the model sees, the facts about the original, a thumbnail and a
 * display copy (both derived from the prepared image, never from the source).
 *
 * In order: refuse empty objects; tell the real format from the bytes (never the key or content type); read the
 * headers and refuse decompression bombs and multi-page TIFFs before decoding anything; decode once, applying the
 * EXIF orientation and shrinking to `maxEdge` on the way, and encode as JPEG (alpha flattened onto white) or WebP with
 * no metadata (no EXIF, no GPS), lowering quality and then size until it fits in 3.75 MB. Animated GIF/WebP use their
 * first frame.
 *
 * @throws ImageRejectedError (final) with reason EMPTY_OBJECT, NOT_AN_IMAGE, UNSUPPORTED_FORMAT, CORRUPT_IMAGE,
 *   TOO_MANY_PIXELS, MULTI_PAGE or OBJECT_TOO_LARGE, and a message that says what was found.
 * @throws TransientError when decoding ran out of memory (nothing wrong with the image itself).
 */
export async function prepareImage(body: Buffer, options: PrepareOptions): Promise<PreparedResult> {
  const opts = PrepareOptions.parse(options);
  if (body.length === 0) throw new ImageRejectedError('EMPTY_OBJECT', 'the object is empty (0 bytes)');
  const contentHash = createHash('sha256').update(body).digest('hex');

  const sniffed = sniff(body);
  if (sniffed.kind === 'not-image') {
    throw new ImageRejectedError('NOT_AN_IMAGE', `not an image: the content looks like ${sniffed.looksLike}`, {
      context: { looksLike: sniffed.looksLike },
    });
  }
  if (sniffed.kind === 'unsupported-image') {
    throw new ImageRejectedError('UNSUPPORTED_FORMAT', `${sniffed.name} is not supported (only ${SUPPORTED} are)`, {
      context: { format: sniffed.format },
    });
  }

  const source = await openSource(body, sniffed.format, opts.maxInputPixels);
  const image = await encodeForModel(source, {
    maxEdge: opts.maxEdge,
    format: opts.format,
    quality: opts.quality,
    maxBytes: opts.maxOutputBytes ?? BEDROCK_MAX_IMAGE_BYTES,
  });
  const thumbnail =
    opts.thumbnailEdge === undefined ? undefined : await encodeThumbnail(image.body, opts.thumbnailEdge);
  const display =
    opts.displayEdge === undefined ? undefined : await encodeDisplay(image, opts.format, opts.displayEdge);
  return {
    image: { body: image.body, format: opts.format, width: image.width, height: image.height },
    original: source.original,
    ...(thumbnail ? { thumbnail } : {}),
    ...(display ? { display } : {}),
    contentHash,
  };
}

export { toPixelBox } from './boxes.ts';

export type { PreparedResult } from './prepareOptions.ts';
export { PrepareOptions, prepareOptionsFromConfig } from './prepareOptions.ts';
