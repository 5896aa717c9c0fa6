import { z } from 'zod';

const rate = z.number().min(0).max(1);

/** Latency and fault injection of the stand-in. Rates are fractions 0-1 of the requests admitted by the quota. */
export const FaultSettings = z.object({
  /** Fixed latency of every answered request, ms. Default 0. */
  latencyMs: z.number().min(0).default(0),
  /** Extra latency per output token, ms (Claude 3 Haiku writes roughly 100-150 tokens/s). Default 0. */
  latencyPerOutputTokenMs: z.number().min(0).default(0),
  /** Latency varies by ± this fraction, uniformly. Default 0. */
  jitter: z.number().min(0).max(1).default(0),
  /** 503 ServiceUnavailableException, before the model runs. Default 0. */
  serviceUnavailableRate: rate.default(0),
  /** 500 InternalServerException, before the model runs. Default 0. */
  internalErrorRate: rate.default(0),
  /** 429 ModelNotReadyException, before the model runs. Default 0. */
  modelNotReadyRate: rate.default(0),
  /** 408 ModelTimeoutException, after the latency; input tokens are charged. Default 0. */
  modelTimeoutRate: rate.default(0),
  /** The stream is reset after the latency, with no answer; the usage is charged. Default 0. */
  dropConnectionRate: rate.default(0),
  /** A 200 answer whose tool input breaks the schema (missing field, wrong type, box out of range). Default 0. */
  malformedOutputRate: rate.default(0),
  /** A 200 answer with no tool call and stop reason `content_filtered` (InvokeModel: `refusal`). Default 0. */
  contentFilteredRate: rate.default(0),
  /** Seed of the fault and jitter draws: the same seed and request order give the same faults. Default: random. */
  seed: z.number().int().optional(),
});
export type FaultSettings = z.output<typeof FaultSettings>;
export type FaultOptions = z.input<typeof FaultSettings>;

/** The failure chosen for one request, if any. Order of precedence as listed. */
export type FaultKind = 'serviceUnavailable' | 'internalError' | 'modelNotReady' | 'modelTimeout' | 'dropConnection';

export type MalformKind = 'missingField' | 'wrongType' | 'boxOutOfRange';

export interface FaultPlan {
  fault?: FaultKind;
  malformed?: MalformKind;
  /** The answer is withheld by the content filter. */
  contentFiltered?: boolean;
  /** Multiplier of the nominal latency, 1 ± jitter. */
  latencyFactor: number;
}

/** mulberry32: small, fast, and good enough to spread faults; seeded so runs repeat. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAULT_ORDER: ReadonlyArray<[FaultKind, keyof FaultSettings]> = [
  ['serviceUnavailable', 'serviceUnavailableRate'],
  ['internalError', 'internalErrorRate'],
  ['modelNotReady', 'modelNotReadyRate'],
  ['modelTimeout', 'modelTimeoutRate'],
  ['dropConnection', 'dropConnectionRate'],
];

const MALFORM_KINDS: readonly MalformKind[] = ['missingField', 'wrongType', 'boxOutOfRange'];

/**
 * Draws each request's fate. Faults and jitter come from separate seeded streams, so changing the latency settings
 * does not move the faults. With concurrent clients the arrival order, and so the assignment, may vary.
 */
export class FaultInjector {
  private settings: FaultSettings;
  private faultRandom: () => number;
  private jitterRandom: () => number;

  constructor(options: FaultOptions = {}) {
    this.settings = FaultSettings.parse(options);
    const seed = this.settings.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.faultRandom = seededRandom(seed);
    this.jitterRandom = seededRandom(seed ^ 0x5bd1e995);
  }

  get current(): FaultSettings {
    return { ...this.settings };
  }

  /** Changes some settings; a new `seed` restarts both random streams. */
  set(patch: FaultOptions): void {
    this.settings = FaultSettings.parse({ ...this.settings, ...patch });
    if (patch.seed !== undefined) {
      this.faultRandom = seededRandom(patch.seed);
      this.jitterRandom = seededRandom(patch.seed ^ 0x5bd1e995);
    }
  }

  /** The fate of the next request. Draws a fixed number of values each time, so one request never shifts another. */
  plan(): FaultPlan {
    const s = this.settings;
    const u = this.faultRandom();
    const m = this.faultRandom();
    const k = this.faultRandom();
    const j = this.jitterRandom();
    let fault: FaultKind | undefined;
    let edge = 0;
    for (const [kind, key] of FAULT_ORDER) {
      edge += s[key] as number;
      if (u < edge) {
        fault = kind;
        break;
      }
    }
    const malformed = m < s.malformedOutputRate ? MALFORM_KINDS[Math.floor(k * MALFORM_KINDS.length)] : undefined;
    // From the top of the same draw, so adding this setting moves no other fault of a seeded run.
    const contentFiltered = !malformed && m >= 1 - s.contentFilteredRate;
    return { fault, malformed, contentFiltered, latencyFactor: 1 + s.jitter * (2 * j - 1) };
  }

  /** Nominal latency of an answer of `outputTokens`, times the plan's jitter factor. */
  latencyOf(plan: FaultPlan, outputTokens: number): number {
    const nominal = this.settings.latencyMs + this.settings.latencyPerOutputTokenMs * outputTokens;
    return Math.max(0, nominal * plan.latencyFactor);
  }
}

/**
 * Breaks a tool input the way a model sometimes does. The result no longer validates as an ImageDescription.
 * Works on a copy.
 */
export function malformToolInput(input: Record<string, unknown>, kind: MalformKind): Record<string, unknown> {
  const copy = structuredClone(input);
  switch (kind) {
    case 'missingField':
      delete copy.summary;
      return copy;
    case 'wrongType':
      copy.labels = 'region';
      return copy;
    case 'boxOutOfRange':
      copy.labels = [{ name: 'region', box: { left: 0.8, top: -0.1, width: 0.5, height: 1.3 } }];
      return copy;
  }
}
