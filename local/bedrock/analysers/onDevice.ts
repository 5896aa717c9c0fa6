/**
 * The on-device analyser of the Bedrock stand-in: answers like the model would, from small models that ship inside
 * npm packages (works offline, nothing downloaded). Its classes are often wrong outside people and vehicles, so
 * every answer says it is on-device and low-confidence, never Claude's.
 */
import { type Logger, pino } from 'pino';
import sharp from 'sharp';
import { z } from 'zod';
import type { ImageDescription } from '../../../shared/catalogue.ts';
import { ConfigError } from '../../../shared/errors.ts';
import { DEFAULT_NSFW_THRESHOLDS, describe, type Findings, keepWords, type NsfwThresholds } from './onDeviceCompose.ts';
import {
  defaultTessdataDir,
  ensureWasmBackend,
  loadNsfw,
  loadOcr,
  loadVision,
  type NsfwEngine,
  type OcrEngine,
  type RgbImage,
  toTensor,
  type VisionEngine,
} from './onDeviceEngines.ts';
import {
  ENGINE_TITLES,
  type EngineFailure,
  OnDeviceClosedError,
  type OnDeviceEngine,
  OnDeviceImageError,
  OnDeviceLoadError,
} from './onDeviceErrors.ts';
import type { Analyser, AnalyserInput } from './types.ts';

const Options = z.object({
  engines: z
    .object({ vision: z.boolean().optional(), nsfw: z.boolean().optional(), ocr: z.boolean().optional() })
    .optional(),
  requireAllEngines: z.boolean().default(false),
  minObjectScore: z.number().min(0).max(1).default(0.35),
  minFaceScore: z.number().min(0).max(1).default(0.5),
  maxDetected: z.number().int().min(1).max(25).default(20),
  minWordConfidence: z.number().min(0).max(100).default(70),
  maxEdge: z.number().int().min(64).max(4096).default(1280),
  nsfwThresholds: z
    .object({
      porn: z.number().min(0).max(1).optional(),
      hentai: z.number().min(0).max(1).optional(),
      sexy: z.number().min(0).max(1).optional(),
    })
    .optional(),
  tessdataDir: z.string().min(1).optional(),
});

/** Options of {@link createOnDeviceAnalyser}. */
export interface OnDeviceAnalyserOptions {
  /** Which engines to run (vision = objects + faces, nsfw, ocr). Default: all. A disabled engine is "not checked". */
  engines?: Partial<Record<OnDeviceEngine, boolean>>;
  /** Make `init()` fail when any enabled engine fails to load. Default false: go on with the others and say so. */
  requireAllEngines?: boolean;
  /** Lowest object score (CenterNet, COCO-80) kept as a label. Default 0.35 (below it, mostly wrong classes). */
  minObjectScore?: number;
  /** Lowest face score (BlazeFace, then confirmed by FaceMesh). Default 0.5. */
  minFaceScore?: number;
  /** At most this many objects and this many faces per image. Default 20. */
  maxDetected?: number;
  /** Lowest tesseract word confidence (0-100) kept as text. Default 70: photos give many confident-looking scraps. */
  minWordConfidence?: number;
  /** Images are scaled down to this long edge before analysis (also the OCR size). Default 1280. */
  maxEdge?: number;
  /** nsfwjs scores at or above which the verdict is sensitive. Default porn 0.5, hentai 0.5, sexy 0.7. */
  nsfwThresholds?: Partial<NsfwThresholds>;
  /** Folder of `eng.traineddata.gz`. Default: `@tesseract.js-data/eng`'s `4.0.0_best_int`. */
  tessdataDir?: string;
  /** Logger. Default: pino at warn level, named 'on-device-analyser'. */
  logger?: Logger;
}

const ENGINES: OnDeviceEngine[] = ['vision', 'nsfw', 'ocr'];

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 200);
}

/**
 * Creates the on-device analyser ('on-device'): objects and faces (@vladmandic/human on tfjs-wasm), nudity (nsfwjs)
 * and sparse text (tesseract.js). `init()` loads them once (~5 s on 2 cores); each `analyse` takes ~0.3-0.6 s and
 * runs one image at a time (concurrent calls queue). An engine that fails to load is reported in the error of
 * `init()` only when all fail (or `requireAllEngines`); otherwise answers name it as not checked.
 * @throws {ConfigError} when the options are invalid (every problem at once).
 */
export function createOnDeviceAnalyser(options: OnDeviceAnalyserOptions = {}): Analyser {
  const { logger, ...rest } = options;
  const parsed = Options.safeParse(rest);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ variable: `onDevice.${i.path.join('.')}`, message: i.message })),
    );
  }
  const opts = parsed.data;
  const log = logger ?? pino({ name: 'on-device-analyser', level: 'warn' });
  const enabled = (e: OnDeviceEngine): boolean => opts.engines?.[e] ?? true;
  const thresholds: NsfwThresholds = { ...DEFAULT_NSFW_THRESHOLDS, ...opts.nsfwThresholds };

  let vision: VisionEngine | undefined;
  let nsfw: NsfwEngine | undefined;
  let ocr: OcrEngine | undefined;
  /** Engines that will not answer, each as "what: why", repeated in every summary. */
  const notChecked: string[] = [];
  let loading: Promise<void> | undefined;
  let closed = false;
  // One image at a time: Human keeps per-call state, and tfjs-wasm runs on this thread anyway.
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<void> {
    const failures: EngineFailure[] = [];
    const tfjs = async (): Promise<void> => {
      if (enabled('vision') || enabled('nsfw')) {
        try {
          await ensureWasmBackend();
        } catch (error) {
          for (const engine of ['vision', 'nsfw'] as const) {
            if (enabled(engine)) failures.push({ engine, message: `tfjs wasm backend: ${messageOf(error)}` });
          }
          return;
        }
      }
      // Human first: it configures the shared tfjs engine that nsfwjs then uses.
      if (enabled('vision')) {
        try {
          vision = await loadVision(opts);
        } catch (error) {
          failures.push({ engine: 'vision', message: messageOf(error) });
        }
      }
      if (enabled('nsfw')) {
        try {
          nsfw = await loadNsfw();
        } catch (error) {
          failures.push({ engine: 'nsfw', message: messageOf(error) });
        }
      }
    };
    // Tesseract starts in its own worker thread, so it loads while tfjs does.
    const tesseract = async (): Promise<void> => {
      if (!enabled('ocr')) return;
      try {
        ocr = await loadOcr(opts.tessdataDir ?? defaultTessdataDir());
      } catch (error) {
        failures.push({ engine: 'ocr', message: messageOf(error) });
      }
    };
    await Promise.all([tfjs(), tesseract()]);
    const wanted = ENGINES.filter(enabled);
    if (failures.length > 0 && (opts.requireAllEngines || failures.length === wanted.length)) {
      await closeEngines();
      throw new OnDeviceLoadError(failures);
    }
    for (const f of failures) {
      log.warn({ engine: f.engine, err: f.message }, `on-device analyser: ${ENGINE_TITLES[f.engine]} unavailable`);
      notChecked.push(`${ENGINE_TITLES[f.engine]} failed to load (${f.message})`);
    }
    for (const engine of ENGINES.filter((e) => !enabled(e))) notChecked.push(`${ENGINE_TITLES[engine]} disabled`);
  }

  async function closeEngines(): Promise<void> {
    nsfw?.dispose();
    nsfw = undefined;
    vision = undefined;
    const worker = ocr;
    ocr = undefined;
    await worker?.terminate();
  }

  async function decode(input: AnalyserInput): Promise<{ rgb: RgbImage; png: Buffer }> {
    try {
      // rotate() applies EXIF orientation, so boxes are in the image as shown. GIFs give their first frame.
      const { data, info } = await sharp(input.image, { failOn: 'error' })
        .rotate()
        .flatten({ background: '#ffffff' })
        .resize({ width: opts.maxEdge, height: opts.maxEdge, fit: 'inside', withoutEnlargement: true })
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
      const rgb = { data, width: info.width, height: info.height };
      const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
        .greyscale()
        .png({ compressionLevel: 1 })
        .toBuffer();
      return { rgb, png };
    } catch (error) {
      throw new OnDeviceImageError(`on-device analyser: cannot decode the ${input.format} image: ${messageOf(error)}`, {
        cause: error,
        context: { format: input.format, bytes: input.image.length },
      });
    }
  }

  async function run(input: AnalyserInput): Promise<ImageDescription> {
    const { rgb, png } = await decode(input);
    const findings: Findings = { unavailable: [...notChecked] };
    const failed = (what: string, error: unknown): void => {
      log.warn({ err: messageOf(error) }, `on-device analyser: ${what} failed on an image`);
      findings.unavailable.push(`${what} failed (${messageOf(error)})`);
    };
    // OCR runs in its worker thread while tfjs works on this one.
    const reading = ocr?.read(png).then(
      (lines) => {
        findings.textLines = keepWords(lines, opts.minWordConfidence);
      },
      (error: unknown) => failed(ENGINE_TITLES.ocr, error),
    );
    if (vision || nsfw) {
      const tensor = toTensor(rgb);
      try {
        if (vision) {
          try {
            const found = await vision.detect(tensor);
            findings.objects = found.objects;
            findings.faces = found.faces;
          } catch (error) {
            failed(ENGINE_TITLES.vision, error);
          }
        }
        if (nsfw) {
          try {
            findings.nsfw = await nsfw.classify(tensor);
          } catch (error) {
            failed(ENGINE_TITLES.nsfw, error);
          }
        }
      } finally {
        tensor.dispose();
      }
    }
    await reading;
    return describe(findings, thresholds);
  }

  const analyser: Analyser = {
    name: 'on-device',
    init(): Promise<void> {
      if (closed) return Promise.reject(new OnDeviceClosedError('on-device analyser: closed'));
      loading ??= load().catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
      return loading;
    },
    async analyse(input: AnalyserInput): Promise<ImageDescription> {
      await analyser.init!();
      const result = queue.then(() => {
        if (closed) throw new OnDeviceClosedError('on-device analyser: closed');
        return run(input);
      });
      queue = result.catch(() => undefined);
      return result;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await loading?.catch(() => undefined);
      await queue;
      await closeEngines();
    },
  };
  return analyser;
}
