import { z } from 'zod';
import type { ModelRow } from '../../shared/models.ts';
import { validationError } from './errors.ts';

/**
 * What the two request bodies the stand-in understands (Converse, and InvokeModel with Anthropic's Messages body:
 * converseRequest.ts, invokeRequest.ts) are brought to once checked the way Bedrock checks them: one
 * {@link ModelCall}. Plus the checks both share.
 */

export interface ImagePart {
  /** The declared format ('jpeg', 'png', 'gif', 'webp'; anything else is refused later). */
  format: string;
  bytes: Buffer;
  /** Where in the request it was, for error messages. */
  path: string;
}

interface ToolSpec {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

type ToolChoice = { type: 'auto' } | { type: 'any' } | { type: 'tool'; name: string };

/** Sampling, thinking and structured-output parameters of a request, as both APIs carry them. */
interface CallParams {
  temperature?: number;
  topP?: number;
  topK?: number;
  thinking?: { type: string; budget_tokens?: number };
  /** Tools with `strict: true`. */
  strictTools: number;
  /** A JSON-schema output format was asked for (Converse `outputConfig.textFormat`, native `output_config.format`). */
  jsonSchemaOutput: boolean;
}

export interface ModelCall {
  api: 'converse' | 'invoke';
  /** max_tokens asked for, or the model's limit when not given (Converse). */
  maxTokens: number;
  /** System prompt parts. */
  system: string[];
  /** Every other text the model reads (message texts, earlier tool calls and results), in order. */
  texts: string[];
  images: ImagePart[];
  tools: ToolSpec[];
  toolChoice?: ToolChoice;
  /** Sampling, thinking and structured-output parameters (checked against the model's rules). */
  params: CallParams;
}

export interface ModelInfo {
  /** The model or inference-profile id, with any ARN prefix removed: the quota key. */
  id: string;
  /** Claude's output limit for this model, the most max_tokens may ask for. */
  maxOutputTokens: number;
  /** The model table's row (modelRules.ts resolves the id). */
  row: ModelRow;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeBase64(value: string, path: string): Buffer {
  if (value.length % 4 !== 0 || !BASE64.test(value)) throw validationError(`${path}: invalid base64 data`);
  return Buffer.from(value, 'base64');
}

export function describeIssues(error: z.ZodError, style: 'converse' | 'invoke'): string {
  const issues = error.issues.slice(0, 5);
  if (style === 'invoke') {
    const parts = issues.map((i) => `#/${i.path.join('/')}: ${i.message}`);
    return `Malformed input request: ${parts.join(', ')}, please reformat your input and try again.`;
  }
  const parts = issues.map((i) => `Value at '${i.path.join('.')}' failed to satisfy constraint: ${i.message}`);
  return `${issues.length} validation error${issues.length === 1 ? '' : 's'} detected: ${parts.join('; ')}`;
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw validationError(
      'Malformed input request: the body is not valid JSON, please reformat your input and try again.',
    );
  }
}

export const Role = z.enum(['user', 'assistant']);
export const JsonObject = z.record(z.string(), z.unknown());

/** Rules both APIs share. */
export function checkCommon(call: ModelCall, firstRole: string | undefined, model: ModelInfo, maxName: string): void {
  if (firstRole !== 'user') throw validationError('A conversation must start with a user message.');
  if (call.maxTokens > model.maxOutputTokens) {
    throw validationError(
      `The ${maxName} you requested (${call.maxTokens}) exceeds the model limit of ${model.maxOutputTokens}. ` +
        `Try again with a value that is lower than ${model.maxOutputTokens}.`,
    );
  }
  if (call.images.length > 20) throw validationError('Too many images: at most 20 images per request.');
  const names = new Set(call.tools.map((t) => t.name));
  if (names.size !== call.tools.length) throw validationError('Tool names must be unique.');
  if (call.toolChoice && call.tools.length === 0) {
    throw validationError('toolChoice is only allowed when tools are specified.');
  }
  if (call.toolChoice?.type === 'tool' && !names.has(call.toolChoice.name)) {
    throw validationError(`Tool '${call.toolChoice.name}' named in toolChoice is not among the tools.`);
  }
}
