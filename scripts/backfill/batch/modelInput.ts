import { descriptionJsonSchema, ImageDescription } from '../../../shared/catalogue.ts';
import { CATALOGUE_TOOL_NAME, type PreparedImage } from '../../../worker/index.ts';

/**
 * The body of one batch record: the model's native InvokeModel body (Anthropic Messages on Bedrock), carrying the
 * same request as the worker's Converse call: the image, the prompt, one tool whose input schema is the catalogue
 * entry, forced with `tool_choice`, temperature 0. Batch inference takes InvokeModel bodies as they are.
 */
export interface ModelInputSettings {
  prompt: string;
  maxTokens: number;
  categories?: readonly string[];
}

/** The tool description the worker sends (worker/adapters/BedrockDescriber.ts). */
const TOOL_DESCRIPTION = 'Record the catalogue entry for the image.';

const MEDIA_TYPES = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif' } as const;

export function buildModelInput(image: PreparedImage, s: ModelInputSettings): Record<string, unknown> {
  return {
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: s.maxTokens,
    temperature: 0,
    messages: [
      {
        role: 'user',
        content: [
          {
            type: 'image',
            source: { type: 'base64', media_type: MEDIA_TYPES[image.format], data: image.body.toString('base64') },
          },
          { type: 'text', text: s.prompt },
        ],
      },
    ],
    tools: [
      { name: CATALOGUE_TOOL_NAME, description: TOOL_DESCRIPTION, input_schema: descriptionJsonSchema(s.categories) },
    ],
    tool_choice: { type: 'tool', name: CATALOGUE_TOOL_NAME },
  };
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
