import { descriptionJsonSchema } from '../../shared/catalogue.ts';
import { imageTokensFor, type ModelTraits } from '../../shared/models.ts';
import type { ModelUsage } from '../ports.ts';

/**
 * Claude's image cost: about width × height / 750 tokens. Past ~1.15 MP (long edge 1568) the service downscales the
 * image itself, so no image costs more than about 1,600 tokens however large it is sent.
 */
const IMAGE_TOKENS_PER_PIXEL = 1 / 750;
export const MAX_IMAGE_TOKENS = 1600;

/** Tokens of the system prompt that Claude's tool use adds when `toolChoice` forces one tool (Claude 3 family). */
export const TOOL_USE_SYSTEM_TOKENS = 340;

/** Length of the forced tool's input schema (the catalogue entry, no category list), in characters. */
export const DEFAULT_TOOL_SCHEMA_CHARS = JSON.stringify(descriptionJsonSchema()).length;

export interface EstimateInput {
  /** Prepared image width, px. */
  width: number;
  /** Prepared image height, px. */
  height: number;
  /** Characters of the prompt text. */
  promptChars: number;
  /** `max_tokens` of the call: Bedrock reserves it in full when the request starts. */
  maxTokens: number;
  /** Characters of the tool's JSON schema. Default: {@link DEFAULT_TOOL_SCHEMA_CHARS}. */
  toolSchemaChars?: number;
  /** The model's image rule, hidden tool-use prompt and tokenizer factor (the model table). */
  traits?: Pick<ModelTraits, 'image' | 'toolUseSystemTokens' | 'textTokenFactor'>;
  /** The fixed part (prompt, tool schema, hidden tool-use prompt) as measured on real answers; replaces the guess. */
  fixedTokens?: number;
}

/**
 * What Bedrock deducts from the tokens-per-minute quota when a request starts: input tokens (image + prompt + tool
 * definition) plus `max_tokens`. Deliberately on the high side; {@link settledTokens} corrects it when the call ends.
 */
export function estimateTokens(input: EstimateInput): number {
  const traits = input.traits;
  const pixels = Math.max(0, input.width) * Math.max(0, input.height);
  const image = traits
    ? imageTokensFor(traits.image, input.width, input.height)
    : Math.min(MAX_IMAGE_TOKENS, Math.ceil(pixels * IMAGE_TOKENS_PER_PIXEL));
  return image + (input.fixedTokens ?? guessedFixedTokens(input)) + Math.max(0, Math.ceil(input.maxTokens));
}

/** The fixed part of a request before any answer: prompt and tool schema by characters, plus the hidden prompt. */
function guessedFixedTokens(input: Pick<EstimateInput, 'promptChars' | 'toolSchemaChars' | 'traits'>): number {
  const factor = input.traits?.textTokenFactor ?? 1;
  const prompt = Math.ceil((Math.max(0, input.promptChars) / 4) * factor);
  const schema = Math.ceil(((input.toolSchemaChars ?? DEFAULT_TOOL_SCHEMA_CHARS) / 4) * factor);
  return prompt + schema + (input.traits?.toolUseSystemTokens ?? TOOL_USE_SYSTEM_TOKENS);
}

/**
 * Learns the fixed part of every request (system prompt, tool schema, the hidden tool-use prompt: everything but the
 * image) from the input tokens that answers report, minus the image's tokens by the model's formula. Keeps the
 * largest of the last `window` readings, so the estimate stays on the high side.
 */
export class FixedPartCalibration {
  private readonly readings: number[] = [];

  constructor(
    private readonly image: ModelTraits['image'],
    private readonly window = 20,
  ) {}

  observe(image: { width: number; height: number }, inputTokens: number): void {
    if (!(inputTokens > 0)) return;
    const fixed = inputTokens - imageTokensFor(this.image, image.width, image.height);
    if (fixed <= 0) return;
    this.readings.push(fixed);
    if (this.readings.length > this.window) this.readings.shift();
  }

  /** The calibrated fixed part, or undefined before the first answer. */
  fixedTokens(): number | undefined {
    return this.readings.length ? Math.max(...this.readings) : undefined;
  }
}

/**
 * What a finished call finally costs against the quota: input + output × burndown (newer Claude models count each
 * output token 5 times; `QUOTA_OUTPUT_BURNDOWN`).
 */
export function settledTokens(usage: ModelUsage, outputBurndown = 1): number {
  return Math.max(0, usage.inputTokens) + Math.max(0, usage.outputTokens) * outputBurndown;
}
