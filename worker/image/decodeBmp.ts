import { ImageRejectedError } from '../../shared/errors.ts';

/**
 * A small BMP decoder. sharp's prebuilt libvips has no BMP loader (libvips reads BMP only through ImageMagick, which
 * sharp's build leaves out), so the common case is decoded here: uncompressed 24-bit and 32-bit BMPs (BI_RGB, and
 * BI_BITFIELDS with any 8-bit channel masks, alpha included). Paletted (1/4/8-bit), 16-bit, RLE-compressed and
 * embedded JPEG/PNG BMPs are rejected as UNSUPPORTED_FORMAT.
 */

export interface BmpHeader {
  width: number;
  height: number;
  bitsPerPixel: number;
  /** 0 BI_RGB, 1 BI_RLE8, 2 BI_RLE4, 3 BI_BITFIELDS, 4 BI_JPEG, 5 BI_PNG, 6 BI_ALPHABITFIELDS. */
  compression: number;
  /** Rows stored top row first (negative height in the file); the usual order is bottom row first. */
  topDown: boolean;
  dataOffset: number;
  headerSize: number;
}

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

function corrupt(message: string): ImageRejectedError {
  return new ImageRejectedError('CORRUPT_IMAGE', `corrupt BMP: ${message}`);
}

/** Reads the BMP headers only (no pixels), so the pixel count can be checked before anything is allocated. */
export function readBmpHeader(body: Buffer): BmpHeader {
  if (body.length < 26) throw corrupt('file shorter than its headers');
  const dataOffset = body.readUInt32LE(10);
  const headerSize = body.readUInt32LE(14);
  if (headerSize === 12) {
    // OS/2 BITMAPCOREHEADER: 16-bit unsigned dimensions, no compression field.
    return {
      width: body.readUInt16LE(18),
      height: body.readUInt16LE(20),
      bitsPerPixel: body.readUInt16LE(24),
      compression: BI_RGB,
      topDown: false,
      dataOffset,
      headerSize,
    };
  }
  if (body.length < 14 + 40) throw corrupt('file shorter than its headers');
  const width = body.readInt32LE(18);
  const rawHeight = body.readInt32LE(22);
  if (width <= 0 || rawHeight === 0 || rawHeight === -2147483648) {
    throw corrupt(`impossible dimensions ${width}x${rawHeight}`);
  }
  return {
    width,
    height: Math.abs(rawHeight),
    bitsPerPixel: body.readUInt16LE(28),
    compression: body.readUInt32LE(30),
    topDown: rawHeight < 0,
    dataOffset,
    headerSize,
  };
}

interface Mask {
  shift: number;
  max: number;
}

function toMask(mask: number): Mask | undefined {
  if (mask === 0) return undefined;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/** The channel masks of a BI_BITFIELDS image: inside a V2+ header, or just after a 40-byte one. */
function readMasks(body: Buffer, header: BmpHeader): { r: Mask; g: Mask; b: Mask; a?: Mask } {
  const at = 14 + 40;
  const hasAlphaMask = header.headerSize >= 56 || header.compression === BI_ALPHABITFIELDS;
  if (body.length < at + (hasAlphaMask ? 16 : 12)) throw corrupt('colour masks missing');
  const [r, g, b] = [
    toMask(body.readUInt32LE(at)),
    toMask(body.readUInt32LE(at + 4)),
    toMask(body.readUInt32LE(at + 8)),
  ];
  if (!r || !g || !b) throw corrupt('empty colour mask');
  const a = hasAlphaMask ? toMask(body.readUInt32LE(at + 12)) : undefined;
  return { r, g, b, a };
}

/**
 * Decodes the pixels to RGB or RGBA, top row first. Call {@link readBmpHeader} first and check the pixel count.
 * @throws ImageRejectedError UNSUPPORTED_FORMAT for variants not handled here, CORRUPT_IMAGE for short pixel data.
 */
export function decodeBmp(body: Buffer, header: BmpHeader): RawImage {
  const { width, height, bitsPerPixel: bpp, compression } = header;
  const bitfields = compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS;
  const supported = (bpp === 24 && compression === BI_RGB) || (bpp === 32 && (compression === BI_RGB || bitfields));
  if (!supported) {
    throw new ImageRejectedError(
      'UNSUPPORTED_FORMAT',
      `BMP variant not supported: ${bpp}-bit, compression ${compression} (only uncompressed 24- and 32-bit BMPs are)`,
      { context: { bitsPerPixel: bpp, compression } },
    );
  }
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (header.dataOffset + stride * height > body.length) {
    throw corrupt(`pixel data truncated (${body.length} bytes, need ${header.dataOffset + stride * height})`);
  }
  const masks = bitfields ? readMasks(body, header) : undefined;
  const channels = masks?.a ? 4 : 3;
  const out = Buffer.allocUnsafe(width * height * channels);
  const step = bpp / 8;
  for (let y = 0; y < height; y++) {
    const row = header.dataOffset + stride * (header.topDown ? y : height - 1 - y);
    let o = y * width * channels;
    for (let x = 0; x < width; x++) {
      const p = row + x * step;
      if (masks) {
        const v = body.readUInt32LE(p);
        out[o++] = scale(v, masks.r);
        out[o++] = scale(v, masks.g);
        out[o++] = scale(v, masks.b);
        if (masks.a) out[o++] = scale(v, masks.a);
      } else {
        // BI_RGB stores BGR(X); the fourth byte of a 32-bit BI_RGB pixel is unused by the format.
        out[o++] = body[p + 2]!;
        out[o++] = body[p + 1]!;
        out[o++] = body[p]!;
      }
    }
  }
  return { data: out, width, height, channels };
}

function scale(value: number, mask: Mask): number {
  const v = (value >>> mask.shift) & mask.max;
  return mask.max === 255 ? v : Math.round((v * 255) / mask.max);
}
