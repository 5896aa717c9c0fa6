import type { ModelRow } from '../../shared/models.ts';
import type { CheckedImage } from './images.ts';
import type { ModelCall } from './requests.ts';

/**
 * Token counts as Claude reports them, closely enough for quota work: images by their pixels after Claude's own
 * downscale, text by characters. The worker's estimate (w × h / 750 of the prepared image, plus prompt, plus
 * max_tokens) can be checked against these.
 */

/** Claude's own downscale before it counts an image: long edge ≤ 1568 px and ≤ ~1.15 MP (about 1,600 tokens). */
const CLAUDE_MAX_LONG_EDGE = 1568;
const CLAUDE_MAX_PIXELS = 1_150_000;

/** The size Claude works on: the image scaled down (aspect kept) to a long edge ≤ 1568 and ≤ ~1.15 MP. */
export function claudeScaledSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(
    1,
    CLAUDE_MAX_LONG_EDGE / Math.max(width, height),
    Math.sqrt(CLAUDE_MAX_PIXELS / (width * height)),
  );
  if (scale >= 1) return { width, height };
  // The epsilon keeps 3000 × (1568 / 3000) at 1568, not 1567.999….
  const side = (n: number) => Math.max(1, Math.floor(n * scale + 1e-9));
  return { width: side(width), height: side(height) };
}

/** Claude's image tokens: ⌈w × h / 750⌉ of the size it works on ({@link claudeScaledSize}). */
export function imageTokens(width: number, height: number): number {
  const s = claudeScaledSize(width, height);
  return Math.ceil((s.width * s.height) / 750);
}

/** Text tokens, roughly as Claude counts English and JSON: ⌈characters / 4⌉. */
export function textTokens(characters: number): number {
  return Math.ceil(characters / 4);
}

/**
 * Input tokens of a request: Σ image tokens + ⌈(characters of system, message texts and tool definitions) / 4⌉ ×
 * the model's tokenizer factor, where a tool definition counts its name, description and JSON schema as serialised
 * JSON, plus, when tools are defined, the system prompt Claude adds for tool use (its size per model is in the model
 * table): the service reports it as input, so the stand-in does too.
 */
export function inputTokensOf(
  call: ModelCall,
  images: readonly Pick<CheckedImage, 'width' | 'height'>[],
  row?: Pick<ModelRow, 'textTokenFactor' | 'toolUseSystemTokens'>,
): number {
  let characters = 0;
  for (const text of call.system) characters += text.length;
  for (const text of call.texts) characters += text.length;
  for (const tool of call.tools) {
    characters += tool.name.length + (tool.description?.length ?? 0) + JSON.stringify(tool.inputSchema).length;
  }
  let tokens = Math.ceil(textTokens(characters) * (row?.textTokenFactor ?? 1));
  if (call.tools.length > 0) tokens += row?.toolUseSystemTokens ?? 0;
  for (const image of images) tokens += imageTokens(image.width, image.height);
  return tokens;
}

/** Output tokens of an answer: ⌈characters of the text, or of the tool input as JSON, / 4⌉. */
export function outputTokensOf(answer: string): number {
  return textTokens(answer.length);
}
