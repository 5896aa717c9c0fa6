import sharp, { type Metadata } from 'sharp';
import { validationError } from './errors.ts';
import type { ImagePart } from './requests.ts';

/** Bedrock's limits on one image sent to Claude. */
const MAX_IMAGE_BYTES = 3.75 * 1024 * 1024;
const MAX_IMAGE_EDGE = 8000;
const SUPPORTED_FORMATS = ['jpeg', 'png', 'gif', 'webp'] as const;
type SupportedFormat = (typeof SUPPORTED_FORMATS)[number];

export interface CheckedImage {
  format: SupportedFormat;
  width: number;
  height: number;
  bytes: Buffer;
}

/**
 * Checks one image the way Bedrock does: size, declared format, that the bytes really are that format (sharp reads
 * the header), and dimensions. Throws a ValidationException otherwise.
 */
export async function checkImage(part: ImagePart): Promise<CheckedImage> {
  const declared = part.format as SupportedFormat;
  if (!SUPPORTED_FORMATS.includes(declared)) {
    throw validationError(
      `Value '${part.format}' at '${part.path}.format' failed to satisfy constraint: ` +
        `Member must satisfy enum value set: [gif, jpeg, png, webp]`,
    );
  }
  if (part.bytes.length === 0) throw validationError(`${part.path}: the image is empty`);
  if (part.bytes.length > MAX_IMAGE_BYTES) {
    throw validationError(`${part.path}: image exceeds max size: ${part.bytes.length} bytes > 3.75 MB (3932160 bytes)`);
  }
  let meta: Metadata;
  try {
    meta = await sharp(part.bytes).metadata();
  } catch {
    throw validationError(`${part.path}: Could not process image`);
  }
  if (meta.format !== declared) {
    throw validationError(`${part.path}: Image does not match the provided media type image/${declared}`);
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width < 1 || height < 1) throw validationError(`${part.path}: Could not process image`);
  if (width > MAX_IMAGE_EDGE || height > MAX_IMAGE_EDGE) {
    throw validationError(
      `${part.path}: image dimensions exceed max allowed size: ${MAX_IMAGE_EDGE} pixels (got ${width}×${height})`,
    );
  }
  return { format: declared, width, height, bytes: part.bytes };
}
