/**
 * Tells what a byte string really is from its first bytes (magic numbers). The object key and its content type are
 * never trusted: a `.jpg` may hold a PDF, an HTML error page or nothing at all.
 */

/** The formats prepareImage can read. `heic` covers every HEVC-coded HEIF; `avif` every AV1-coded one. */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'heic' | 'avif' | 'bmp';

export type Sniffed =
  /** A format we decode. */
  | { kind: 'image'; format: ImageFormat }
  /** An image, but in a format we do not decode; `name` says which, for the rejection message. */
  | { kind: 'unsupported-image'; format: string; name: string }
  /** Not an image; `looksLike` names what it appears to be ("a PDF document", "plain text"). */
  | { kind: 'not-image'; looksLike: string };

interface Signature {
  offset: number;
  bytes: string | number[];
}

const sig = (offset: number, bytes: string | number[]): Signature => ({ offset, bytes });

function matches(body: Buffer, s: Signature): boolean {
  const want = typeof s.bytes === 'string' ? Buffer.from(s.bytes, 'latin1') : Buffer.from(s.bytes);
  return body.length >= s.offset + want.length && body.subarray(s.offset, s.offset + want.length).equals(want);
}

const IMAGES: [ImageFormat, Signature[]][] = [
  ['jpeg', [sig(0, [0xff, 0xd8, 0xff])]],
  ['png', [sig(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])]],
  ['gif', [sig(0, 'GIF87a'), sig(0, 'GIF89a')]],
  // Classic TIFF and BigTIFF, both byte orders.
  ['tiff', [sig(0, 'II*\0'), sig(0, 'MM\0*'), sig(0, 'II+\0'), sig(0, 'MM\0+')]],
];

const UNSUPPORTED_IMAGES: [string, string, Signature[]][] = [
  ['psd', 'a Photoshop document (PSD)', [sig(0, '8BPS')]],
  ['jp2', 'a JPEG 2000 image', [sig(0, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20]), sig(0, [0xff, 0x4f, 0xff, 0x51])]],
  ['jxl', 'a JPEG XL image', [sig(0, [0xff, 0x0a]), sig(0, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20])]],
  ['ico', 'a Windows icon (ICO)', [sig(0, [0, 0, 1, 0])]],
  ['exr', 'an OpenEXR image', [sig(0, [0x76, 0x2f, 0x31, 0x01])]],
  ['qoi', 'a QOI image', [sig(0, 'qoif')]],
  ['dds', 'a DirectDraw surface (DDS)', [sig(0, 'DDS ')]],
];

const NOT_IMAGES: [string, Signature[]][] = [
  ['a PDF document', [sig(0, '%PDF-')]],
  ['a ZIP archive (or a ZIP-based document such as .docx or .epub)', [sig(0, 'PK\x03\x04'), sig(0, 'PK\x05\x06')]],
  ['a gzip archive', [sig(0, [0x1f, 0x8b])]],
  ['a 7-Zip archive', [sig(0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])]],
  ['a RAR archive', [sig(0, 'Rar!\x1a\x07')]],
  ['a bzip2 archive', [sig(0, 'BZh')]],
  ['an xz archive', [sig(0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])]],
  ['a Zstandard archive', [sig(0, [0x28, 0xb5, 0x2f, 0xfd])]],
  ['an ELF executable', [sig(0, [0x7f, 0x45, 0x4c, 0x46])]],
  ['a Windows executable', [sig(0, 'MZ')]],
  ['a SQLite database', [sig(0, 'SQLite format 3\0')]],
  ['an MP3 audio file', [sig(0, 'ID3')]],
  ['an Ogg media file', [sig(0, 'OggS')]],
  ['a FLAC audio file', [sig(0, 'fLaC')]],
  ['a Matroska/WebM video', [sig(0, [0x1a, 0x45, 0xdf, 0xa3])]],
  ['a WAVE audio file', [sig(8, 'WAVE')]],
  ['an AVI video', [sig(8, 'AVI ')]],
];

// ISO base media brands (the `ftyp` box). HEIF images carry one of the first two sets; everything else is a video,
// audio or camera-raw container.
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1', 'mif2']);

/** Says what `body` is. Never throws; an empty body is the caller's case. */
export function sniff(body: Buffer): Sniffed {
  for (const [format, signatures] of IMAGES) {
    if (signatures.some((s) => matches(body, s))) return { kind: 'image', format };
  }
  if (matches(body, sig(0, 'RIFF')) && matches(body, sig(8, 'WEBP'))) return { kind: 'image', format: 'webp' };
  const iso = sniffIsoMedia(body);
  if (iso) return iso;
  if (isBmp(body)) return { kind: 'image', format: 'bmp' };
  for (const [format, name, signatures] of UNSUPPORTED_IMAGES) {
    if (signatures.some((s) => matches(body, s))) return { kind: 'unsupported-image', format, name };
  }
  for (const [looksLike, signatures] of NOT_IMAGES) {
    if (signatures.some((s) => matches(body, s))) return { kind: 'not-image', looksLike };
  }
  return sniffText(body) ?? { kind: 'not-image', looksLike: `unrecognised binary data (starts ${hexStart(body)})` };
}

function sniffIsoMedia(body: Buffer): Sniffed | undefined {
  if (!matches(body, sig(4, 'ftyp')) || body.length < 16) return undefined;
  const boxSize = Math.min(body.readUInt32BE(0), body.length, 256);
  const brands = [body.toString('latin1', 8, 12)];
  for (let at = 16; at + 4 <= boxSize; at += 4) brands.push(body.toString('latin1', at, at + 4));
  if (brands.some((b) => AVIF_BRANDS.has(b))) return { kind: 'image', format: 'avif' };
  if (brands.some((b) => HEIF_BRANDS.has(b))) return { kind: 'image', format: 'heic' };
  if (brands[0] === 'crx ') return { kind: 'unsupported-image', format: 'cr3', name: 'a Canon raw image (CR3)' };
  return { kind: 'not-image', looksLike: `an MP4/QuickTime media file (brand "${brands[0]?.trim()}")` };
}

/** 'BM' alone is too weak (text can start with it): also require a known DIB header size. */
function isBmp(body: Buffer): boolean {
  if (!matches(body, sig(0, 'BM')) || body.length < 18) return false;
  return [12, 40, 52, 56, 64, 108, 124].includes(body.readUInt32LE(14));
}

const TEXT_WINDOW = 4096;

function sniffText(body: Buffer): Sniffed | undefined {
  const head = body.subarray(0, TEXT_WINDOW);
  let text: string;
  try {
    // `stream` tolerates a multi-byte character cut at the end of the window.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return undefined;
  }
  // Control characters other than tab, newline, carriage return and form feed mark binary data.
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d) || c === 0x7f) controls++;
  }
  if (controls > text.length / 100) return undefined;
  const start = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .slice(0, 256)
    .toLowerCase();
  if (/<svg[\s>]/.test(text.slice(0, TEXT_WINDOW).toLowerCase()) && start.startsWith('<')) {
    return { kind: 'unsupported-image', format: 'svg', name: 'an SVG vector drawing' };
  }
  if (start.startsWith('<!doctype html') || start.startsWith('<html'))
    return { kind: 'not-image', looksLike: 'an HTML page' };
  if (start.startsWith('<?xml') || start.startsWith('<')) return { kind: 'not-image', looksLike: 'an XML document' };
  if (start.startsWith('{') || start.startsWith('[')) return { kind: 'not-image', looksLike: 'JSON text' };
  return { kind: 'not-image', looksLike: 'plain text' };
}

function hexStart(body: Buffer): string {
  return [...body.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
