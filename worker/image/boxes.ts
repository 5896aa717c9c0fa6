import type { NormalisedBox } from '../../shared/catalogue.ts';

/** A box in whole pixels of the original image as displayed (EXIF orientation applied). */
export interface PixelBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Maps a box the model gave in normalised 0-1 coordinates of the prepared image to pixels of the original.
 *
 * The prepared image is the oriented original scaled uniformly (`fit: 'inside'`), so both share one aspect ratio and
 * a normalised coordinate means the same point in each: multiplying by the original's displayed size is the whole
 * mapping. The only error is the rounding of the prepared size to whole pixels, under one prepared pixel
 * (original edge / prepared edge original pixels, ~2.6 px for a 4000 px photo sent at 1568).
 *
 * Edges are rounded (not the width), so adjacent boxes stay adjacent; the result is clamped inside the image.
 * @param original the displayed size of the original (PreparedResult.original)
 */
export function toPixelBox(box: NormalisedBox, original: { width: number; height: number }): PixelBox {
  const edge = (v: number, size: number) => Math.min(size, Math.max(0, Math.round(v * size)));
  const left = edge(box.left, original.width);
  const top = edge(box.top, original.height);
  const right = Math.max(left, edge(box.left + box.width, original.width));
  const bottom = Math.max(top, edge(box.top + box.height, original.height));
  return { left, top, width: right - left, height: bottom - top };
}
