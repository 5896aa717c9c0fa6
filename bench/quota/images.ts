import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { normaliseETag } from '../../shared/messages.ts';

/** An object in the benchmark bucket, as a backfill message names it. */
export interface BenchObject {
  key: string;
  eTag: string;
  size: number;
}

/**
 * A few small, distinct JPEGs (256-640 px a side, Gaussian noise over a tint, so each has its own size, eTag and
 * token count): cheap for sharp to prepare, so the two cores go to the quota machinery rather than to pixels.
 */
export async function makeImages(count: number, seed = 1): Promise<Buffer[]> {
  const images: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const step = (seed * 7919 + i * 104_729) % 1000;
    const width = 256 + ((step * 37) % 385);
    const height = 256 + ((step * 61) % 385);
    const tint = { r: (i * 53) % 256, g: (i * 97) % 256, b: (i * 151) % 256 };
    const noise = await sharp({
      create: {
        width,
        height,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 20 + i * 3 },
      },
    })
      .png()
      .toBuffer();
    const body = await sharp({ create: { width, height, channels: 3, background: tint } })
      .composite([{ input: noise, blend: 'overlay' }])
      .jpeg({ quality: 80 })
      .toBuffer();
    images.push(body);
  }
  return images;
}

/**
 * Puts `count` keys in the bucket, key i holding image i mod images.length (the worker makes one model call per key
 * and eTag, so copies cost as much as distinct images). Keys are shared by every scenario: each has its own table.
 */
export async function uploadObjects(
  s3: S3Client,
  bucket: string,
  images: Buffer[],
  count: number,
  concurrency = 16,
): Promise<BenchObject[]> {
  const objects: BenchObject[] = new Array(count);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count; i = next++) {
      const body = images[i % images.length] as Buffer;
      const key = `bench/${String(i).padStart(6, '0')}.jpg`;
      const out = await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'image/jpeg' }),
      );
      objects[i] = { key, eTag: normaliseETag(out.ETag ?? ''), size: body.length };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return objects;
}
