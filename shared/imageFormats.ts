/** Key suffixes of every format the worker can prepare: the backfill's default filter and the stack's notifications. */
export const IMAGE_SUFFIXES = [
  '.jpg',
  '.jpeg',
  '.png',
  '.gif',
  '.webp',
  '.tif',
  '.tiff',
  '.heic',
  '.heif',
  '.avif',
  '.bmp',
] as const;
