import { describe, expect, it } from 'vitest';
import { toPixelBox } from '../../../worker/image/boxes.ts';

describe('toPixelBox', () => {
  const original = { width: 4000, height: 3000 };

  it('scales normalised coordinates to pixels of the original', () => {
    expect(toPixelBox({ left: 0.25, top: 0.5, width: 0.5, height: 0.25 }, original)).toEqual({
      left: 1000,
      top: 1500,
      width: 2000,
      height: 750,
    });
  });

  it('covers the whole image for the unit box', () => {
    expect(toPixelBox({ left: 0, top: 0, width: 1, height: 1 }, original)).toEqual({
      left: 0,
      top: 0,
      width: 4000,
      height: 3000,
    });
  });

  it('rounds the edges, so boxes that touch still touch', () => {
    const a = toPixelBox({ left: 0, top: 0, width: 0.3333, height: 1 }, { width: 100, height: 10 });
    const b = toPixelBox({ left: 0.3333, top: 0, width: 0.3334, height: 1 }, { width: 100, height: 10 });
    expect(a).toEqual({ left: 0, top: 0, width: 33, height: 10 });
    expect(b.left).toBe(a.left + a.width);
  });

  it('clamps a box that spills past the edge (the schema allows 1.0001)', () => {
    expect(toPixelBox({ left: 0.9, top: 0.9, width: 0.1001, height: 0.1001 }, original)).toEqual({
      left: 3600,
      top: 2700,
      width: 400,
      height: 300,
    });
  });

  it('keeps an empty box empty', () => {
    expect(toPixelBox({ left: 0.5, top: 0.5, width: 0, height: 0 }, original)).toEqual({
      left: 2000,
      top: 1500,
      width: 0,
      height: 0,
    });
  });

  it('uses the displayed size: a box on a portrait (EXIF-rotated) original maps onto its rotated axes', () => {
    expect(toPixelBox({ left: 0.5, top: 0.1, width: 0.5, height: 0.2 }, { width: 3000, height: 4000 })).toEqual({
      left: 1500,
      top: 400,
      width: 1500,
      height: 800,
    });
  });
});
