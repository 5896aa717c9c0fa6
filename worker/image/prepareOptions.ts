import { z } from 'zod';
import type { Config } from '../../shared/config.ts';
import type { PreparedImage } from '../ports.ts';

/** Bedrock's limits for one image sent to Claude. */
export const BEDROCK_MAX_IMAGE_BYTES = 3_750_000;
const BEDROCK_MAX_IMAGE_EDGE = 8000;

export const PrepareOptions = z.object({
  /** Long edge of the prepared image, px (IMAGE_MAX_EDGE, default 1568); never above Bedrock's 8000. */
  maxEdge: z.number().int().min(1).max(BEDROCK_MAX_IMAGE_EDGE),
  /** Largest source image (width × height) decoded (IMAGE_MAX_INPUT_PIXELS, default 100,000,000). */
  maxInputPixels: z.number().int().min(1),
  /** Format of the prepared image (IMAGE_FORMAT, default jpeg). */
  format: z.enum(['jpeg', 'webp']),
  /** Starting JPEG/WebP quality (IMAGE_QUALITY, default 85); lowered only when the image would not fit. */
  quality: z.number().int().min(1).max(100),
  /** Long edge of the WebP thumbnail, px (THUMBNAIL_EDGE, default 320; never above the prepared image's); unset: none. */
  thumbnailEdge: z.number().int().min(1).max(BEDROCK_MAX_IMAGE_EDGE).optional(),
  /**
   * Long edge of the display copy the browser shows, px (DISPLAY_EDGE, default 1600; never above the prepared
   * image's, which it is made from); unset: none.
   */
  displayEdge: z.number().int().min(1).max(BEDROCK_MAX_IMAGE_EDGE).optional(),
  /** Largest prepared image, bytes (default 3,750,000: Bedrock's 3.75 MB). Lower only for tests. */
  maxOutputBytes: z.number().int().min(1).max(BEDROCK_MAX_IMAGE_BYTES).optional(),
});
export type PrepareOptions = z.input<typeof PrepareOptions>;

/** The source image as stored, dimensions as displayed (EXIF orientation applied). */
export interface OriginalImage {
  /** The real format read from the bytes: jpeg, png, gif, webp, tiff, heic, avif or bmp. */
  format: string;
  width: number;
  height: number;
  bytes: number;
  /** EXIF orientation (1-8) when the file carries one. */
  orientation?: number;
  /** Pages or frames in the file; only the first is used (multi-page TIFFs are rejected). */
  pages: number;
}

interface Thumbnail {
  /** WebP. */
  body: Buffer;
  width: number;
  height: number;
}

/** The copy the browser shows in place of the original: re-encoded by the worker, no metadata. */
interface DisplayCopy {
  body: Buffer;
  format: 'jpeg' | 'webp';
  width: number;
  height: number;
}

export interface PreparedResult {
  /** What goes to the model: no metadata, long edge ≤ maxEdge, ≤ 3.75 MB. */
  image: PreparedImage & { format: 'jpeg' | 'webp' };
  original: OriginalImage;
  thumbnail?: Thumbnail;
  display?: DisplayCopy;
  /** SHA-256 of the original bytes, lower-case hex. */
  contentHash: string;
}

/**
 * The prepare options a worker uses: `config.image`, and the derived copies (thumbnail, display copy) only when the
 * derived-images bucket (THUMBNAIL_BUCKET) is configured.
 */
export function prepareOptionsFromConfig(config: Pick<Config, 'image' | 'thumbnails'>): PrepareOptions {
  const { maxEdge, maxInputPixels, format, quality } = config.image;
  return {
    maxEdge,
    maxInputPixels,
    format,
    quality,
    thumbnailEdge: config.thumbnails.bucket ? config.thumbnails.edge : undefined,
    displayEdge: config.thumbnails.bucket ? config.thumbnails.displayEdge : undefined,
  };
}
