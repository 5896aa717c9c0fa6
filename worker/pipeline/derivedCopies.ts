import type { CatalogueItem } from '../../shared/catalogue.ts';
import type { ThumbnailStore } from '../ports.ts';

/** The copies the worker derives from the prepared image (see worker/image/prepare.ts). */
export interface DerivedCopies {
  thumbnail?: { body: Buffer; width: number; height: number };
  display?: { body: Buffer; format: 'jpeg' | 'webp'; width: number; height: number };
}

/** The display copy's content type and key suffix by format: the browser is only ever told one of these. */
const DISPLAY_TYPES = { jpeg: ['image/jpeg', 'jpg'], webp: ['image/webp', 'webp'] } as const;

/**
 * Stores the thumbnail and the display copy in the private derived-images bucket, under keys named by the content
 * hash (identical bytes under other keys share them), and returns their keys for the item. A twin (the same bytes
 * catalogued under another key) lends the keys it already has. Without a store, nothing is kept and the browser shows
 * no image for the item: it never falls back to the original, whose EXIF and uploader-chosen content type are unsafe.
 */
export async function storeDerivedCopies(
  contentHash: string,
  copies: DerivedCopies,
  store: ThumbnailStore | undefined,
  twin?: Pick<CatalogueItem, 'thumbnailKey' | 'displayKey'>,
): Promise<Pick<CatalogueItem, 'thumbnailKey' | 'displayKey'>> {
  let thumbnailKey = twin?.thumbnailKey;
  let displayKey = twin?.displayKey;
  if (!store) return { thumbnailKey, displayKey };
  const puts: Promise<void>[] = [];
  if (!thumbnailKey && copies.thumbnail) {
    thumbnailKey = `thumbnails/${contentHash}.webp`;
    puts.push(store.put(thumbnailKey, copies.thumbnail.body, 'image/webp'));
  }
  if (!displayKey && copies.display) {
    const [contentType, suffix] = DISPLAY_TYPES[copies.display.format];
    displayKey = `display/${contentHash}.${suffix}`;
    puts.push(store.put(displayKey, copies.display.body, contentType));
  }
  await Promise.all(puts);
  return { thumbnailKey, displayKey };
}
