import { descriptionJsonSchema } from '../../shared/catalogue.ts';
import { CATALOGUE_TOOL_DESCRIPTION, CATALOGUE_TOOL_NAME, USER_INSTRUCTION } from '../../shared/modelRequest.ts';

/**
 * Tokens per image as Claude counts them, for the dry run's cost and time. The worker shrinks each image to fit
 * IMAGE_MAX_EDGE × IMAGE_MAX_EDGE (never enlarging); Claude then scales it down itself to a long edge of at most
 * 1568 px and about 1.15 MP, and counts ⌈w × h / 750⌉ tokens for it. Each request also carries the prompt and the
 * tool definition (name, description, JSON schema: about 4 characters a token), the system prompt Claude adds for
 * tool use (model-dependent, see shared/modelTable.ts) and, as output, the tool call with the catalogue entry.
 */

/** Claude's own downscale (Anthropic's vision documentation). */
const CLAUDE_MAX_LONG_EDGE = 1568;
const CLAUDE_MAX_PIXELS = 1_150_000;

/**
 * Output tokens of one catalogue entry when nothing better is known: a two-sentence summary, a category, about five
 * labelled boxes, a sensitivity verdict with its reason, and usually no text, as tool-call JSON. The dry run uses
 * the catalogue's measured figure instead when it holds items of the current analysis version.
 */
export const DEFAULT_OUTPUT_TOKENS = 300;

/** The worker's resize: fit inside maxEdge × maxEdge, never enlarging, the short edge rounded as sharp does. */
export function preparedSize(width: number, height: number, maxEdge: number): { width: number; height: number } {
  const long = Math.max(width, height);
  if (long <= maxEdge) return { width, height };
  const scale = maxEdge / long;
  return width >= height
    ? { width: maxEdge, height: Math.max(1, Math.round(height * scale)) }
    : { width: Math.max(1, Math.round(width * scale)), height: maxEdge };
}

/** The size Claude works on after its own downscale. */
export function claudeSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(
    1,
    CLAUDE_MAX_LONG_EDGE / Math.max(width, height),
    Math.sqrt(CLAUDE_MAX_PIXELS / (width * height)),
  );
  if (scale >= 1) return { width, height };
  return { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)) };
}

/** Image tokens of an already prepared image. */
export function imageTokensOfPrepared(width: number, height: number): number {
  if (width <= 0 || height <= 0) return 0;
  const s = claudeSize(width, height);
  return Math.ceil((s.width * s.height) / 750);
}

/** Image tokens of an original of `width` × `height` once the worker has prepared it. */
export function imageTokens(width: number, height: number, maxEdge: number): number {
  const p = preparedSize(width, height, maxEdge);
  return imageTokensOfPrepared(p.width, p.height);
}

/** Characters of the text every request carries: the prompt, the user turn's instruction, the tool's definition. */
function requestTextChars(prompt: string, categories?: readonly string[]): number {
  return (
    prompt.length +
    USER_INSTRUCTION.length +
    CATALOGUE_TOOL_NAME.length +
    CATALOGUE_TOOL_DESCRIPTION.length +
    JSON.stringify(descriptionJsonSchema(categories)).length
  );
}

/** Everything but the image and the output, per request. */
export interface RequestModel {
  /** Input tokens of each request besides the image (text, tool definition, tool-use system prompt). */
  overheadTokens: number;
  /** Output tokens of each answer. */
  outputTokens: number;
}

/**
 * The request model from first principles: text at 4 characters a token (times the model's tokenizer factor, the
 * model table's) plus the tool-use system prompt.
 */
export function defaultRequestModel(input: {
  prompt: string;
  categories?: readonly string[];
  toolUseSystemTokens: number;
  textTokenFactor?: number;
  outputTokens?: number;
}): RequestModel {
  const text = Math.ceil((requestTextChars(input.prompt, input.categories) / 4) * (input.textTokenFactor ?? 1));
  return {
    overheadTokens: text + input.toolUseSystemTokens,
    outputTokens: input.outputTokens ?? DEFAULT_OUTPUT_TOKENS,
  };
}

/** Mean and sample standard deviation. */
export function meanAndSd(values: readonly number[]): { mean: number; sd: number } {
  if (values.length === 0) return { mean: 0, sd: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, sd: 0 };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}

/**
 * Half-width of the 95 % interval of a population total estimated from a simple random sample, as a fraction of the
 * total (finite population correction included); 0 when the sample is the whole population.
 */
export function relativeMargin95(values: readonly number[], population: number): number {
  const n = values.length;
  if (n === 0 || population <= n) return 0;
  const { mean, sd } = meanAndSd(values);
  if (mean === 0) return 0;
  const standardError = (sd / Math.sqrt(n)) * Math.sqrt((population - n) / (population - 1));
  return (1.96 * standardError) / mean;
}
