import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { expect } from 'vitest';
import { ImageRejectedError, type RejectionReason } from '../../../shared/errors.ts';
import type { PrepareOptions } from '../../../worker/image/prepare.ts';

/** The configuration defaults (shared/config.ts), with a thumbnail. */
export const DEFAULTS: PrepareOptions = {
  maxEdge: 1568,
  maxInputPixels: 100_000_000,
  format: 'jpeg',
  quality: 85,
  thumbnailEdge: 320,
};

export function fixture(name: string): Buffer {
  return readFileSync(new URL(`../../fixtures/images/${name}`, import.meta.url));
}

/** The RGB(A) value of one pixel of an encoded image. */
export async function pixelAt(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + info.channels)];
}

/** Awaits a rejection and checks it is a final ImageRejectedError with this reason; returns it for more checks. */
export async function expectRejected(promise: Promise<unknown>, reason: RejectionReason): Promise<ImageRejectedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageRejectedError);
  const rejected = error as ImageRejectedError;
  expect(rejected.reason).toBe(reason);
  expect(rejected.retryable).toBe(false);
  expect(rejected.toJSON()).toMatchObject({ code: 'IMAGE_REJECTED', reason });
  return rejected;
}

/** Each channel within `tolerance` of the expected value (JPEG is lossy). */
export function expectColour(actual: number[], expected: number[], tolerance = 24): void {
  expect(actual.length).toBeGreaterThanOrEqual(expected.length);
  expected.forEach((value, i) => {
    expect(
      Math.abs(actual[i]! - value),
      `channel ${i}: ${actual.join(',')} vs ${expected.join(',')}`,
    ).toBeLessThanOrEqual(tolerance);
  });
}
