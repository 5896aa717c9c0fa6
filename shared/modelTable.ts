/**
 * The Claude models reachable on Amazon Bedrock, one row per model, as the public pages described them when read
 * (dates and sources per row in docs/models.md). Everything that differs between models lives here and nowhere else:
 * the worker shapes its requests from it, the limiter takes the burndown, the backfill prices with it and the local
 * stand-in enforces the same rules. Code reads it through shared/models.ts.
 */

type Lifecycle = 'active' | 'legacy' | 'end-of-life';

/** Which sampling parameters a model takes: all, `temperature` or `top_p` (never both), or none at all. */
export type SamplingRule = 'any' | 'temperature-or-top-p' | 'none';

/** Prefixes of the cross-region inference profiles (`us.anthropic...`, `global.anthropic...`). */
export type ProfileScope = 'us' | 'eu' | 'apac' | 'jp' | 'au' | 'global';

interface ModelPriceRow {
  /** USD per million input tokens, on demand, through a `global.` profile (or in-region where there is none). */
  inputPerMillion: number;
  /** USD per million output tokens, on demand, same basis. */
  outputPerMillion: number;
  /** Batch inference price as a fraction of on demand. */
  batchFactor: number;
  /**
   * Surcharge of geographic profiles (`us.`, `eu.`...) and in-region calls over the global price, as a fraction
   * (0.1: 10 % dearer). 0 where the model predates the global/regional split.
   */
  geoPremium: number;
  /** Date the price page was read (YYYY-MM-DD). */
  read: string;
}

interface ImageRule {
  /** Claude downscales past this long edge before counting. */
  maxLongEdge: number;
  /** ... and past this many pixels. */
  maxPixels: number;
  /** Tokens per pixel of the image Claude works on (≈ 1/750). */
  tokensPerPixel: number;
  /** Bedrock's limits on one image: bytes and pixels per side. */
  maxBytes: number;
  maxSide: number;
}

export interface ModelRow {
  /** Short stable key, e.g. `claude-haiku-5-5`. */
  key: string;
  name: string;
  /** Foundation-model id on Bedrock. */
  modelId: string;
  /** Inference profiles offered (`<scope>.<modelId>`). */
  profiles: readonly ProfileScope[];
  lifecycle: Lifecycle;
  /** End of life on Bedrock (most regions), YYYY-MM-DD, when announced or passed. */
  endOfLife?: string;
  /** "EOL no sooner than", from the model card, for active models. */
  eolNotBefore?: string;
  /** Key of the row to move to when this one is (nearly) gone. */
  replacement?: string;
  /** Whether the bare model id may be invoked on demand; else only through an inference profile. */
  bareIdOnDemand: boolean;
  price: ModelPriceRow;
  /** Quota weight of one output token (Bedrock's "burndown rate"). */
  outputBurndown: number;
  /** Largest `max_tokens`. */
  maxOutputTokens: number;
  image: ImageRule;
  /** Tokens of the same text relative to the Claude 3/4 tokenizer (Haiku 5.5 counts ~30 % more). */
  textTokenFactor: number;
  sampling: SamplingRule;
  /** Whether thinking runs unless turned off, and the value of `thinking` that turns it off. */
  thinking: { defaultOn: boolean; off?: { type: 'disabled' } };
  /** Ways to get schema-valid JSON: a forced tool (`tool_choice`), `strict` tools, JSON-schema output format. */
  output: { forcedTool: boolean; strictTool: boolean; jsonSchema: boolean };
  /** Tokens of the system prompt Claude adds when a tool is forced (counted as input, not shown). */
  toolUseSystemTokens: number;
}

const MB = 1024 * 1024;
const READ = '2026-12-01';
/** Claude up to the 4.6 generation: long edge 1568 px, ~1.15 MP, about 1,600 tokens at most. */
const IMAGE_1568: ImageRule = {
  maxLongEdge: 1568,
  maxPixels: 1_150_000,
  tokensPerPixel: 1 / 750,
  maxBytes: 3.75 * MB,
  maxSide: 8000,
};
const GEO = 0.1;
const NO_SCHEMA = { forcedTool: true, strictTool: false, jsonSchema: false } as const;
const SCHEMA = { forcedTool: true, strictTool: true, jsonSchema: true } as const;

/** The table. Order: cheapest first within each lifecycle, so "the cheapest active" is easy to read off. */
export const MODEL_TABLE: readonly ModelRow[] = [
  {
    key: 'claude-haiku-5-5',
    name: 'Claude Haiku 5.5',
    modelId: 'anthropic.claude-haiku-5-5',
    profiles: ['global', 'us', 'eu', 'jp', 'au'],
    lifecycle: 'active',
    eolNotBefore: '2027-10-07',
    bareIdOnDemand: false,
    price: { inputPerMillion: 0.1, outputPerMillion: 0.5, batchFactor: 0.5, geoPremium: GEO, read: READ },
    outputBurndown: 5,
    maxOutputTokens: 128_000,
    image: IMAGE_1568,
    textTokenFactor: 1.3,
    sampling: 'none',
    thinking: { defaultOn: true, off: { type: 'disabled' } },
    // Bedrock did not list Haiku 5.5 for structured outputs when read: forced tool use only.
    output: NO_SCHEMA,
    toolUseSystemTokens: 410,
  },
  {
    key: 'claude-haiku-4-5',
    name: 'Claude Haiku 4.5',
    modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
    profiles: ['global', 'us', 'eu', 'apac', 'jp', 'au'],
    lifecycle: 'active',
    eolNotBefore: '2026-10-01',
    replacement: 'claude-haiku-5-5',
    bareIdOnDemand: false,
    price: { inputPerMillion: 1, outputPerMillion: 5, batchFactor: 0.5, geoPremium: GEO, read: READ },
    outputBurndown: 5,
    maxOutputTokens: 64_000,
    image: IMAGE_1568,
    textTokenFactor: 1,
    sampling: 'temperature-or-top-p',
    thinking: { defaultOn: false, off: { type: 'disabled' } },
    output: SCHEMA,
    toolUseSystemTokens: 313,
  },
  {
    key: 'claude-sonnet-4-5',
    name: 'Claude Sonnet 4.5',
    modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
    profiles: ['global', 'us', 'eu', 'apac', 'jp', 'au'],
    lifecycle: 'active',
    bareIdOnDemand: false,
    price: { inputPerMillion: 3, outputPerMillion: 15, batchFactor: 0.5, geoPremium: GEO, read: READ },
    outputBurndown: 5,
    maxOutputTokens: 64_000,
    image: IMAGE_1568,
    textTokenFactor: 1,
    sampling: 'temperature-or-top-p',
    thinking: { defaultOn: false, off: { type: 'disabled' } },
    output: SCHEMA,
    toolUseSystemTokens: 313,
  },
  {
    key: 'claude-sonnet-4-6',
    name: 'Claude Sonnet 4.6',
    modelId: 'anthropic.claude-sonnet-4-6',
    profiles: ['global', 'us', 'eu', 'jp', 'au'],
    lifecycle: 'active',
    bareIdOnDemand: false,
    price: { inputPerMillion: 3, outputPerMillion: 15, batchFactor: 0.5, geoPremium: GEO, read: READ },
    outputBurndown: 5,
    maxOutputTokens: 64_000,
    image: IMAGE_1568,
    textTokenFactor: 1,
    sampling: 'temperature-or-top-p',
    thinking: { defaultOn: false, off: { type: 'disabled' } },
    output: NO_SCHEMA,
    toolUseSystemTokens: 313,
  },
  {
    key: 'claude-opus-4-5',
    name: 'Claude Opus 4.5',
    modelId: 'anthropic.claude-opus-4-5-20251101-v1:0',
    profiles: ['global', 'us', 'eu'],
    lifecycle: 'active',
    bareIdOnDemand: false,
    price: { inputPerMillion: 5, outputPerMillion: 25, batchFactor: 0.5, geoPremium: GEO, read: READ },
    outputBurndown: 5,
    maxOutputTokens: 64_000,
    image: IMAGE_1568,
    textTokenFactor: 1,
    sampling: 'temperature-or-top-p',
    thinking: { defaultOn: false, off: { type: 'disabled' } },
    output: SCHEMA,
    toolUseSystemTokens: 313,
  },
  {
    key: 'claude-opus-4-6',
    name: 'Claude Opus 4.6',
    modelId: 'anthropic.claude-opus-4-6-v1',
    profiles: ['global', 'us', 'eu'],
    lifecycle: 'active',
    bareIdOnDemand: false,
    price: { inputPerMillion: 5, outputPerMillion: 25, batchFactor: 0.5, geoPremium: GEO, read: READ },
    outputBurndown: 5,
    maxOutputTokens: 128_000,
    image: IMAGE_1568,
    textTokenFactor: 1,
    sampling: 'temperature-or-top-p',
    thinking: { defaultOn: false, off: { type: 'disabled' } },
    output: SCHEMA,
    toolUseSystemTokens: 313,
  },
  {
    key: 'claude-3-haiku',
    name: 'Claude 3 Haiku',
    modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
    profiles: ['us', 'eu', 'apac'],
    lifecycle: 'end-of-life',
    endOfLife: '2026-09-10',
    replacement: 'claude-haiku-5-5',
    bareIdOnDemand: true,
    price: { inputPerMillion: 0.25, outputPerMillion: 1.25, batchFactor: 0.5, geoPremium: 0, read: READ },
    outputBurndown: 1,
    maxOutputTokens: 4096,
    image: IMAGE_1568,
    textTokenFactor: 1,
    sampling: 'any',
    thinking: { defaultOn: false },
    output: NO_SCHEMA,
    toolUseSystemTokens: 340,
  },
  {
    key: 'claude-3-5-haiku',
    name: 'Claude 3.5 Haiku',
    modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    profiles: ['us'],
    lifecycle: 'end-of-life',
    endOfLife: '2026-06-19',
    replacement: 'claude-haiku-5-5',
    bareIdOnDemand: true,
    price: { inputPerMillion: 0.8, outputPerMillion: 4, batchFactor: 0.5, geoPremium: 0, read: READ },
    outputBurndown: 1,
    maxOutputTokens: 8192,
    image: IMAGE_1568,
    textTokenFactor: 1,
    sampling: 'any',
    thinking: { defaultOn: false },
    output: NO_SCHEMA,
    toolUseSystemTokens: 340,
  },
];

/**
 * The default `MODEL_ID`: the cheapest active row that takes images and answers with schema-valid JSON through a
 * forced tool with thinking off, through its global profile (the cheapest way to call it).
 */
export const DEFAULT_MODEL_ID = 'global.anthropic.claude-haiku-5-5';
