import { CatalogueError } from '../../../shared/errors.ts';

/** The engines of the on-device analyser. */
export type OnDeviceEngine = 'vision' | 'nsfw' | 'ocr';

/** What each engine does, for messages a person reads. */
export const ENGINE_TITLES: Record<OnDeviceEngine, string> = {
  vision: 'object and face detection (@vladmandic/human on tfjs-wasm)',
  nsfw: 'nudity classifier (nsfwjs)',
  ocr: 'text recognition (tesseract.js)',
};

/** One engine that could not be loaded, and why. */
export interface EngineFailure {
  engine: OnDeviceEngine;
  message: string;
}

/**
 * Loading failed: every enabled engine failed, or some did and the analyser was told to require all of them.
 * Final: the same files will fail the same way on a retry.
 */
export class OnDeviceLoadError extends CatalogueError {
  readonly code = 'ON_DEVICE_LOAD_FAILED';
  readonly retryable = false;
  constructor(
    readonly failures: EngineFailure[],
    options: { cause?: unknown } = {},
  ) {
    super(
      `on-device analyser: could not load ${failures.map((f) => `${ENGINE_TITLES[f.engine]}: ${f.message}`).join('; ')}`,
      { ...options, context: { failures } },
    );
  }
}

/** The image bytes could not be decoded. Final: the same bytes never decode. */
export class OnDeviceImageError extends CatalogueError {
  readonly code = 'ON_DEVICE_IMAGE_UNDECODABLE';
  readonly retryable = false;
}

/** The analyser was used after `close()`. */
export class OnDeviceClosedError extends CatalogueError {
  readonly code = 'ON_DEVICE_CLOSED';
  readonly retryable = false;
}
