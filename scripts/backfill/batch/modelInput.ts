import { descriptionJsonSchema, ImageDescription } from '../../../shared/catalogue.ts';
import { buildAnthropicBody, CATALOGUE_TOOL_NAME } from '../../../shared/modelRequest.ts';
import type { PreparedImage } from '../../../worker/index.ts';

export interface ModelInputSettings {
  modelId: string;
  prompt: string;
  maxTokens: number;
  categories?: readonly string[];
}

/**
 * The body of one batch record: the model's native InvokeModel body (Anthropic Messages on Bedrock), built by the
 * same shared builder as the worker's request (shared/modelRequest.ts): the prompt as the system prompt, the image,
 * one tool whose input schema is the catalogue entry, forced with `tool_choice`, shaped for the model.
 */
export function buildModelInput(image: PreparedImage, s: ModelInputSettings): Record<string, unknown> {
  return buildAnthropicBody({
    modelId: s.modelId,
    system: s.prompt,
    image: { format: image.format, bytes: image.body },
    maxTokens: s.maxTokens,
    toolSchema: descriptionJsonSchema(s.categories),
  });
}

/** The validator of the answer: the catalogue schema, and the category list when one is configured (as the worker). */
export function descriptionValidator(categories?: readonly string[]): typeof ImageDescription {
  if (!categories?.length) return ImageDescription;
  return ImageDescription.extend({
    category: ImageDescription.shape.category.refine((c) => categories.includes(c), {
      message: `category must be one of: ${categories.join(', ')}`,
    }),
  }) as unknown as typeof ImageDescription;
}

export type Answer =
  | { ok: true; description: ImageDescription; usage: { inputTokens: number; outputTokens: number } }
  | { ok: false; reason: string; usage?: { inputTokens: number; outputTokens: number } };

/**
 * Reads the catalogue entry out of a record's `modelOutput` (the InvokeModel response body): the forced tool's
 * input, validated with the same schema as the worker's. Everything in it is untrusted data.
 */
export function answerOf(modelOutput: unknown, validator: typeof ImageDescription): Answer {
  const out = modelOutput as {
    content?: { type?: string; name?: string; input?: unknown }[];
    stop_reason?: string;
    usage?: { input_tokens?: number; output_tokens?: number };
  };
  const usage = { inputTokens: out?.usage?.input_tokens ?? 0, outputTokens: out?.usage?.output_tokens ?? 0 };
  const call = out?.content?.find((c) => c?.type === 'tool_use' && c.name === CATALOGUE_TOOL_NAME);
  if (!call) return { ok: false, reason: `no ${CATALOGUE_TOOL_NAME} call (stop_reason ${out?.stop_reason})`, usage };
  const parsed = validator.safeParse(call.input);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`);
    return { ok: false, reason: `the answer failed validation: ${issues.join('; ')}`, usage };
  }
  return { ok: true, description: parsed.data, usage };
}
