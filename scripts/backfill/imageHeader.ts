import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { imageSize } from 'image-size';
import sharp from 'sharp';

/** Bytes read first: enough for the header of nearly every JPEG, PNG, GIF, WebP, HEIC, AVIF and BMP. */
const HEADER_BYTES = 64 * 1024;

export type HeaderResult =
  | { ok: true; width: number; height: number; format: string; bytesRead: number; fullRead: boolean }
  | { ok: false; reason: string; bytesRead: number };

/**
 * The pixel size of an image object, read cheaply: a ranged GetObject of the first 64 KB and a header parse
 * (`image-size`). When the header lies further in (a TIFF whose directory is at the end, a JPEG with a large
 * embedded preview), the whole object is read (up to `maxBytes`) and parsed again, with sharp as the last resort.
 */
export async function readImageSize(
  s3: S3Client,
  bucket: string,
  key: string,
  size: number,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<HeaderResult> {
  const head = await getBytes(s3, bucket, key, size > HEADER_BYTES ? `bytes=0-${HEADER_BYTES - 1}` : undefined, signal);
  const first = parse(head);
  if (first) return { ok: true, ...first, bytesRead: head.length, fullRead: size <= HEADER_BYTES };
  if (size <= HEADER_BYTES) return { ok: false, reason: 'not a readable image header', bytesRead: head.length };
  if (size > maxBytes)
    return {
      ok: false,
      reason: `header not in the first ${HEADER_BYTES} bytes and object over ${maxBytes} bytes`,
      bytesRead: head.length,
    };
  const whole = await getBytes(s3, bucket, key, undefined, signal);
  const second = parse(whole) ?? (await parseWithSharp(whole));
  const bytesRead = head.length + whole.length;
  return second
    ? { ok: true, ...second, bytesRead, fullRead: true }
    : { ok: false, reason: 'not a readable image', bytesRead };
}

async function getBytes(
  s3: S3Client,
  bucket: string,
  key: string,
  range: string | undefined,
  signal?: AbortSignal,
): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }), { abortSignal: signal });
  const bytes = await out.Body?.transformToByteArray();
  return Buffer.from(bytes ?? new Uint8Array());
}

function parse(buffer: Buffer): { width: number; height: number; format: string } | undefined {
  if (buffer.length === 0) return undefined;
  try {
    const r = imageSize(buffer);
    if (!r.width || !r.height) return undefined;
    // EXIF orientations 5-8 swap the axes; the token count (w × h, fitted in a square) does not change, but the
    // reported size should be the one shown.
    const swap = (r.orientation ?? 1) >= 5;
    return { width: swap ? r.height : r.width, height: swap ? r.width : r.height, format: r.type ?? 'unknown' };
  } catch {
    return undefined;
  }
}

async function parseWithSharp(buffer: Buffer): Promise<{ width: number; height: number; format: string } | undefined> {
  try {
    const m = await sharp(buffer, { failOn: 'none' }).metadata();
    if (!m.width || !m.height) return undefined;
    const swap = (m.orientation ?? 1) >= 5;
    return { width: swap ? m.height : m.width, height: swap ? m.width : m.height, format: m.format ?? 'unknown' };
  } catch {
    return undefined;
  }
}
