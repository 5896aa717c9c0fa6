import { createRequire } from 'node:module';
import { isMainThread, parentPort } from 'node:worker_threads';

/**
 * The HEIC decoder's thread. libheif-js decodes synchronously in WebAssembly: a 12 MP HEIC takes ~1.3 s, which on
 * the main thread would stall every other message, timer and model call of the worker for that long. This file runs
 * in a worker thread (see decodeHeic.ts); Node loads it with its built-in type stripping, so it uses erasable
 * TypeScript only and imports nothing from the project (shared/errors.ts is not strippable).
 */

interface HeicImage {
  width: number;
  height: number;
  decode(): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}
type HeicImages = HeicImage[] & { dispose(): void };
interface HeicDecode {
  all(input: { buffer: Uint8Array }): Promise<HeicImages>;
}

export interface HeicJob {
  id: number;
  body: Uint8Array;
  maxInputPixels: number;
}

export type HeicReply =
  | { id: number; ok: true; width: number; height: number; data: Uint8ClampedArray }
  | {
      id: number;
      ok: false;
      reason: 'CORRUPT_IMAGE' | 'TOO_MANY_PIXELS';
      message: string;
      width?: number;
      height?: number;
    };

let decoder: HeicDecode | undefined;

/**
 * Decodes the first top-level image to RGBA, after checking its dimensions (read from the HEIF boxes, before any
 * pixel is decoded) against `maxInputPixels`. libheif applies the HEIF rotation and mirror properties itself.
 */
export async function decodeHeicHere(job: HeicJob): Promise<HeicReply> {
  const { id } = job;
  decoder ??= createRequire(import.meta.url)('heic-decode') as HeicDecode;
  let images: HeicImages;
  try {
    images = await decoder.all({ buffer: job.body });
  } catch (error) {
    return { id, ok: false, reason: 'CORRUPT_IMAGE', message: `corrupt HEIC: ${(error as Error).message}` };
  }
  try {
    const first = images[0];
    if (!first) return { id, ok: false, reason: 'CORRUPT_IMAGE', message: 'corrupt HEIC: no image in the file' };
    const { width, height } = first;
    if (width * height > job.maxInputPixels) {
      const message = `HEIC of ${width}x${height} px exceeds the limit of ${job.maxInputPixels} px`;
      return { id, ok: false, reason: 'TOO_MANY_PIXELS', message, width, height };
    }
    const decoded = await first.decode();
    return { id, ok: true, width: decoded.width, height: decoded.height, data: decoded.data };
  } catch (error) {
    return { id, ok: false, reason: 'CORRUPT_IMAGE', message: `corrupt HEIC: ${(error as Error).message}` };
  } finally {
    images.dispose();
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', async (job: HeicJob) => {
    const reply = await decodeHeicHere(job);
    // The pixels move to the main thread without a copy.
    port.postMessage(reply, reply.ok ? [reply.data.buffer as ArrayBuffer] : []);
  });
}
