import { descriptionJsonSchema } from '../../shared/catalogue.ts';
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
}

/**
 * What Bedrock deducts from the tokens-per-minute quota when a request starts: input tokens (image + prompt + tool
 * definition) plus `max_tokens`. Deliberately on the high side; {@link settledTokens} corrects it when the call ends.
 */
export function estimateTokens(input: EstimateInput): number {
  const pixels = Math.max(0, input.width) * Math.max(0, input.height);
  const image = Math.min(MAX_IMAGE_TOKENS, Math.ceil(pixels * IMAGE_TOKENS_PER_PIXEL));
  const prompt = Math.ceil(Math.max(0, input.promptChars) / 4);
  const tool = TOOL_USE_SYSTEM_TOKENS + Math.ceil((input.toolSchemaChars ?? DEFAULT_TOOL_SCHEMA_CHARS) / 4);
  return image + prompt + tool + Math.max(0, Math.ceil(input.maxTokens));
}

/**
 * What a finished call finally costs against the quota: input + output × burndown (newer Claude models count each
 * output token 5 times; `QUOTA_OUTPUT_BURNDOWN`).
 */
export function settledTokens(usage: ModelUsage, outputBurndown = 1): number {
  return Math.max(0, usage.inputTokens) + Math.max(0, usage.outputTokens) * outputBurndown;
}
