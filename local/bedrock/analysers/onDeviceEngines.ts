/**
 * Loaders for the three on-device engines. Everything they need ships inside npm packages: nothing is fetched.
 * - vision: @vladmandic/human's node-wasm build (COCO-80 objects with CenterNet, faces with BlazeFace + FaceMesh)
 *   on @tensorflow/tfjs-backend-wasm, its models read from the package's `models/` folder by a `file://` loader;
 * - nsfw: nsfwjs's MobileNetV2 model, bundled inside the package as JavaScript modules;
 * - ocr: tesseract.js in a worker thread, the core wasm from tesseract.js-core and the English LSTM data from
 *   @tesseract.js-data/eng.
 * Human and nsfwjs share one tfjs engine: both resolve `@tensorflow/tfjs-core` to the same CommonJS file.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Config, Human } from '@vladmandic/human';
import type { NSFWJS } from 'nsfwjs';
import type Tesseract from 'tesseract.js';
import { clampBox, type Detection, type NsfwScores, type OcrWord } from './onDeviceCompose.ts';

const require = createRequire(import.meta.url);
const gunzipAsync = promisify(gunzip);

/** An image decoded to 8-bit RGB, row by row. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

/** Tunables of the engines. */
export interface EngineOptions {
  /** Lowest CenterNet score for an object to count. */
  minObjectScore: number;
  /** Lowest BlazeFace score for a face to count (FaceMesh must then confirm it). */
  minFaceScore: number;
  /** At most this many objects and this many faces. */
  maxDetected: number;
}

type Tf = typeof TfCore;

function tfCore(): Tf {
  return require('@tensorflow/tfjs-core') as Tf;
}

/** Makes an int32 [h, w, 3] tensor of the image on the shared tfjs engine; the caller disposes it. */
export function toTensor(image: RgbImage): TfCore.Tensor3D {
  return tfCore().tensor3d(new Int32Array(image.data), [image.height, image.width, 3], 'int32');
}

/**
 * Puts the shared tfjs engine on the wasm backend, its binaries read from the backend's own package (the default
 * would be fetched). Must run before nsfwjs loads: importing @tensorflow/tfjs registers the cpu and webgl backends,
 * and tfjs would otherwise pick one of those.
 */
export async function ensureWasmBackend(): Promise<void> {
  const tf = tfCore();
  if (tf.getBackend() === 'wasm') return;
  const { setWasmPaths } = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  setWasmPaths(wasmDir());
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to initialise');
  await tf.ready();
}

function wasmDir(): string {
  return `${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}${path.sep}`;
}

let fileRouterRegistered = false;

/**
 * tfjs in Node loads models over http(s) only (its fetch handler; Node's fetch has no `file://`), so models that
 * ship inside a package need a router of their own: it reads `model.json` and its weight shards from disk.
 */
function registerFileRouter(tf: Tf): void {
  if (fileRouterRegistered) return;
  fileRouterRegistered = true;
  type Router = Parameters<typeof tf.io.registerLoadRouter>[0];
  // A router returns null for URLs it does not handle (tfjs's own typing forgets that).
  const router = (url: string | string[]): TfCore.io.IOHandler | null => {
    if (typeof url !== 'string' || !url.startsWith('file://')) return null;
    const file = fileURLToPath(url);
    return {
      load: async () => {
        const json = JSON.parse(await readFile(file, 'utf8')) as TfCore.io.ModelJSON;
        return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
          const specs: TfCore.io.WeightsManifestEntry[] = [];
          const shards: Buffer[] = [];
          for (const group of manifest) {
            for (const p of group.paths) shards.push(await readFile(path.join(path.dirname(file), p)));
            specs.push(...group.weights);
          }
          const all = Buffer.concat(shards);
          return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
        });
      },
    };
  };
  tf.io.registerLoadRouter(router as Router);
}

/** Object and face detection. */
export interface VisionEngine {
  detect(tensor: TfCore.Tensor3D): Promise<{ objects: Detection[]; faces: Detection[] }>;
}

/** Loads Human on the wasm backend with only object detection and face detection (+ mesh, to confirm faces). */
export async function loadVision(options: EngineOptions): Promise<VisionEngine> {
  const tf = tfCore();
  await ensureWasmBackend();
  // Human's `exports` map has no valid subpaths ('dist/...' without './'), so its node-wasm build is required by
  // absolute path, found from the package's main file (dist/human.node.js).
  const humanDist = path.dirname(require.resolve('@vladmandic/human'));
  const { Human: HumanClass } = require(path.join(humanDist, 'human.node-wasm.js')) as {
    Human: new (config: Partial<Config>) => Human;
  };
  registerFileRouter(tf);
  const off = { enabled: false };
  const human = new HumanClass({
    backend: 'wasm',
    // Human's default wasmPath is a CDN.
    wasmPath: wasmDir(),
    modelBasePath: `file://${path.join(path.dirname(humanDist), 'models')}/`,
    cacheModels: false,
    // Human caches results between similar video frames; every image here is a new one.
    cacheSensitivity: 0,
    debug: false,
    warmup: 'none',
    filter: { ...off } as Config['filter'],
    gesture: off,
    body: { ...off } as Config['body'],
    hand: { ...off } as Config['hand'],
    segmentation: { ...off } as Config['segmentation'],
    object: {
      enabled: true,
      minConfidence: options.minObjectScore,
      maxDetected: options.maxDetected,
    } as Config['object'],
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: options.maxDetected, minConfidence: options.minFaceScore },
      // The mesh rejects BlazeFace's false faces (a cat, a rocket nozzle) at little cost.
      mesh: { enabled: true },
      iris: off,
      description: off,
      emotion: off,
      antispoof: off,
      liveness: off,
      attention: off,
      gear: off,
    } as Config['face'],
  });
  await human.load();
  if (tf.getBackend() !== 'wasm') throw new Error(`tfjs backend is '${tf.getBackend()}', not 'wasm'`);
  // Human logs a model that fails to load and carries on without it; here that is a failure to load.
  const loaded = human.models.loaded();
  const missing = ['centernet', 'blazeface', 'facemesh'].filter((m) => !loaded.includes(m));
  if (missing.length > 0) throw new Error(`models not loaded: ${missing.join(', ')} (loaded: ${loaded.join(', ')})`);
  return {
    async detect(tensor) {
      const result = await human.detect(tensor);
      if (result.error) throw new Error(result.error);
      const objects: Detection[] = [];
      for (const o of result.object) {
        const box = clampBox(...o.boxRaw);
        if (box) objects.push({ name: o.label, score: o.score, box });
      }
      const faces: Detection[] = [];
      for (const f of result.face) {
        const box = clampBox(...f.boxRaw);
        if (box) faces.push({ name: 'face', score: f.score, box });
      }
      return { objects, faces };
    },
  };
}

/** Nudity classification. */
export interface NsfwEngine {
  classify(tensor: TfCore.Tensor3D): Promise<NsfwScores>;
  dispose(): void;
}

/** Loads nsfwjs's MobileNetV2 (224 px input) from the models bundled in the package. */
export async function loadNsfw(): Promise<NsfwEngine> {
  const tf = tfCore();
  await ensureWasmBackend();
  const { load } = await import('nsfwjs');
  // nsfwjs imports the whole @tensorflow/tfjs; check that it landed on Human's engine, not a second copy.
  const tfAll = (await import('@tensorflow/tfjs')) as unknown as Tf;
  if (tfAll.engine() !== tf.engine()) throw new Error('nsfwjs uses a second tfjs engine');
  // nsfwjs announces the model it loads with console.info; keep start-up quiet (warn level and above).
  const info = console.info;
  let model: NSFWJS;
  console.info = () => {};
  try {
    model = await load('MobileNetV2');
  } finally {
    console.info = info;
  }
  return {
    async classify(tensor) {
      const predictions = await model.classify(tensor as unknown as Parameters<NSFWJS['classify']>[0], 5);
      const scores: NsfwScores = { drawing: 0, hentai: 0, neutral: 0, porn: 0, sexy: 0 };
      for (const p of predictions) {
        const key = p.className.toLowerCase() as keyof NsfwScores;
        if (key in scores) scores[key] = p.probability;
      }
      return scores;
    },
    dispose: () => model.dispose(),
  };
}

/** Sparse-text recognition. */
export interface OcrEngine {
  /** Lines of words with their confidence, from a PNG/JPEG. */
  read(image: Buffer): Promise<OcrWord[][]>;
  terminate(): Promise<void>;
}

/** Where the English LSTM data ships: `@tesseract.js-data/eng`'s `4.0.0_best_int` folder. */
export function defaultTessdataDir(): string {
  return path.join(path.dirname(require.resolve('@tesseract.js-data/eng')), '4.0.0_best_int');
}

const TESSDATA_LSTM = 17;

/**
 * Checks the layout of a tesseract 4+ `.traineddata`: an int32 count of entries, then one int64 offset per entry
 * (-1 when absent), increasing and inside the file; the LSTM entry must be there (the worker runs LSTM only).
 */
function checkTraineddata(buf: Buffer, file: string): void {
  const bad = (why: string): never => {
    throw new Error(`language data is not a usable tesseract .traineddata (${why}): ${file}`);
  };
  if (buf.length < 4) bad('not gzip, or empty');
  const n = buf.readInt32LE(0);
  if (n < 1 || n > 64 || buf.length < 4 + 8 * n) bad(`bad entry count ${n}`);
  let last = 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    const offset = Number(buf.readBigInt64LE(4 + 8 * i));
    if (offset === -1) {
      if (i === TESSDATA_LSTM) bad('no LSTM model');
      continue;
    }
    if (offset < last || offset >= buf.length) bad(`entry ${i} at ${offset} outside the file`);
    last = offset;
  }
}

/**
 * Starts a tesseract.js worker in LSTM-only mode with page segmentation 11 (sparse text: find as much text as
 * possible in no particular order, which suits photos). The language data comes from `tessdataDir`; nothing is
 * cached to or read from the working directory.
 */
export async function loadOcr(tessdataDir: string, timeoutMs = 60_000): Promise<OcrEngine> {
  const data = path.join(tessdataDir, 'eng.traineddata.gz');
  // tesseract.js 7 handles bad language data badly: a missing file leaves createWorker pending for ever, and data
  // that fails to initialise makes its message handler throw in the main thread, which ends the process. So check
  // the file here first, then race the rest against the error handler and a deadline.
  let gz: Buffer;
  try {
    gz = await readFile(data);
  } catch (error) {
    throw new Error(`language data not readable: ${data} (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  checkTraineddata(await gunzipAsync(gz).catch(() => Buffer.alloc(0)), data);
  const { createWorker } = (await import('tesseract.js')).default as typeof Tesseract;
  let failLoad: (error: Error) => void = () => {};
  const loadFailed = new Promise<never>((_, reject) => {
    failLoad = reject;
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`worker not ready after ${timeoutMs} ms`)), timeoutMs);
  });
  let worker: Tesseract.Worker;
  try {
    worker = await Promise.race([
      createWorker('eng', 1 /* OEM.LSTM_ONLY */, {
        langPath: tessdataDir,
        gzip: true,
        cachePath: os.tmpdir(),
        cacheMethod: 'none',
        // A job's own promise carries its error; this only matters while loading (see above).
        errorHandler: (e: unknown) => failLoad(new Error(String(e))),
      }),
      loadFailed,
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
  failLoad = () => {};
  await worker.setParameters({
    tessedit_pageseg_mode: '11' as Tesseract.PSM,
    // Tesseract's own chatter ("Detected 4 diacritics") goes to a file inside the wasm, not to stderr.
    debug_file: '/dev/null',
  } as Partial<Tesseract.WorkerParams>);
  return {
    async read(image) {
      const { data } = await worker.recognize(image, {}, { text: false, blocks: true });
      const lines: OcrWord[][] = [];
      for (const block of data.blocks ?? []) {
        for (const paragraph of block.paragraphs) {
          for (const line of paragraph.lines) {
            lines.push(line.words.map((w) => ({ text: w.text, confidence: w.confidence })));
          }
        }
      }
      return lines;
    },
    async terminate() {
      await worker.terminate();
    },
  };
}
