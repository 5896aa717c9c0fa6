import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ImageRejectedError, TransientError } from '../../shared/errors.ts';
import type { RawImage } from './decodeBmp.ts';
import type { HeicJob, HeicReply } from './heicThread.ts';

/**
 * HEVC-coded HEIF (the iPhone's HEIC). sharp's prebuilt libvips reads HEIF headers but cannot decode HEVC (patents),
 * so the pixels come from `heic-decode` (libheif compiled to WebAssembly) as RGBA and go on to sharp as raw input.
 *
 * The decode runs in worker threads (heicThread.ts), started on the first HEIC and unreferenced while idle so they
 * never keep the process alive. Measured on 2 cores: 0.14 MP in ~35 ms, 12 MP in ~1.3 s, plus ~100 ms to load the
 * WebAssembly once per thread.
 */

interface Pending {
  resolve: (reply: HeicReply) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** One thread per spare core, at least one, at most two: sharp's own threads need the rest. */
const THREADS = Math.max(1, Math.min(2, availableParallelism() - 1));
const slots: (Slot | undefined)[] = [];
let nextId = 1;

function startSlot(index: number): Slot {
  const worker = new Worker(new URL('./heicThread.ts', import.meta.url));
  worker.unref(); // referenced only while it has work
  const slot: Slot = { worker, pending: new Map() };
  const failAll = (error: Error) => {
    for (const p of slot.pending.values()) p.reject(error);
    slot.pending.clear();
    if (slots[index] === slot) slots[index] = undefined;
  };
  worker.on('message', (reply: HeicReply) => {
    slot.pending.get(reply.id)?.resolve(reply);
    slot.pending.delete(reply.id);
    if (slot.pending.size === 0) worker.unref();
  });
  // A crashed thread (WebAssembly out of memory, an abort in libheif) says nothing certain about the image: the
  // message is retried, and the next HEIC starts a fresh thread.
  worker.on('error', (error) =>
    failAll(new TransientError(`HEIC decoder thread failed: ${error.message}`, { cause: error })),
  );
  worker.on('exit', (code) => failAll(new TransientError(`HEIC decoder thread exited with code ${code}`)));
  return slot;
}

/** An idle thread if there is one; else a new thread while there is room; else the least busy. */
function pickSlot(): Slot {
  let best: Slot | undefined;
  for (const slot of slots) {
    if (slot && (!best || slot.pending.size < best.pending.size)) best = slot;
  }
  if (best?.pending.size === 0) return best;
  for (let i = 0; i < THREADS; i++) {
    if (!slots[i]) {
      const slot = startSlot(i);
      slots[i] = slot;
      return slot;
    }
  }
  return best!;
}

function run(job: HeicJob): Promise<HeicReply> {
  const slot = pickSlot();
  return new Promise((resolve, reject) => {
    slot.pending.set(job.id, { resolve, reject });
    slot.worker.ref();
    slot.worker.postMessage(job);
  });
}

/**
 * Decodes the first top-level image of a HEIC file to RGBA, off the main thread. Its dimensions are read before any
 * pixel is decoded and checked against `maxInputPixels`; libheif applies the HEIF rotation and mirror itself, so
 * the pixels arrive as displayed.
 * @throws ImageRejectedError TOO_MANY_PIXELS, or CORRUPT_IMAGE when libheif cannot parse or decode the file.
 * @throws TransientError when the decoder thread died.
 */
export async function decodeHeic(body: Buffer, maxInputPixels: number): Promise<RawImage> {
  const reply = await run({ id: nextId++, body, maxInputPixels });
  if (!reply.ok) {
    const context = reply.width === undefined ? {} : { width: reply.width, height: reply.height, maxInputPixels };
    throw new ImageRejectedError(reply.reason, reply.message, { context });
  }
  const { data, width, height } = reply;
  return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height, channels: 4 };
}

/** Stops the decoder threads (they are unreferenced while idle, so this is only needed for a tidy shutdown). */
export async function stopHeicThreads(): Promise<void> {
  const running = slots.splice(0).filter((s): s is Slot => s !== undefined);
  await Promise.all(running.map((s) => s.worker.terminate()));
}
