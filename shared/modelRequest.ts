import type { ConverseCommandInput } from '@aws-sdk/client-bedrock-runtime';
import { type ModelTraits, resolveModel, traitsOf } from './models.ts';

/**
 * The one catalogue request, shaped per model from the model table, in the two forms Bedrock takes: Converse
 * (the worker) and InvokeModel's native Anthropic Messages body (batch jobs). Both carry the same content: the
 * prompt as the system prompt, the image and a one-line instruction in the user turn (never the object key), one
 * tool whose input schema is the catalogue entry, forced by `tool_choice`; sampling parameters only where the model
 * takes them; thinking turned off where it is on by default (a forced tool is refused while thinking runs); `strict`
 * on the tool where the model supports it.
 */

export const CATALOGUE_TOOL_NAME = 'record_catalogue_entry';
export const CATALOGUE_TOOL_DESCRIPTION = 'Record the catalogue entry for the image.';
/** The user turn's text beside the image: the instructions are in the system prompt. */
export const USER_INSTRUCTION = `Describe this image by calling ${CATALOGUE_TOOL_NAME}.`;

type RequestImageFormat = 'jpeg' | 'png' | 'gif' | 'webp';

export interface CatalogueRequest {
  /** Model id, profile id or ARN, as sent. */
  modelId: string;
  /** The catalogue prompt, sent as the system prompt. */
  system: string;
  image: { format: RequestImageFormat; bytes: Uint8Array };
  maxTokens: number;
  /** JSON schema of the catalogue entry (`descriptionJsonSchema`). */
  toolSchema: Record<string, unknown>;
  /** Traits to shape for; default: from the table for `modelId`. */
  traits?: ModelTraits;
}

/** Keywords that strict tool schemas refuse (Anthropic's structured outputs): our zod validation enforces them. */
const STRICT_UNSUPPORTED = new Set([
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'maxItems',
  'pattern',
]);

/**
 * The schema as strict mode takes it: every object closed (`additionalProperties: false`), the constraints strict
 * mode cannot express removed (the answer is still validated with the full zod schema).
 */
export function strictSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (STRICT_UNSUPPORTED.has(key)) continue;
    if (key === 'minItems' && typeof value === 'number' && value > 1) continue;
    out[key] = key === 'properties' ? mapValues(value, strictSchema) : strictSchema(value);
  }
  if (out.type === 'object') out.additionalProperties = false;
  return out;
}

function mapValues(value: unknown, fn: (v: unknown) => unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(v)]));
}

function shape(request: CatalogueRequest): { traits: ModelTraits; schema: Record<string, unknown> } {
  const traits = request.traits ?? traitsOf(resolveModel(request.modelId));
  const schema = traits.strictTool ? (strictSchema(request.toolSchema) as Record<string, unknown>) : request.toolSchema;
  return { traits, schema };
}

/** The Converse input for one image. */
export function buildConverseInput(request: CatalogueRequest): ConverseCommandInput {
  const { traits, schema } = shape(request);
  const input: ConverseCommandInput = {
    modelId: request.modelId,
    system: [{ text: request.system }],
    messages: [
      {
        role: 'user',
        content: [
          { image: { format: request.image.format, source: { bytes: request.image.bytes } } },
          { text: USER_INSTRUCTION },
        ],
      },
    ],
    inferenceConfig: {
      maxTokens: request.maxTokens,
      // The same answer for the same image: temperature 0 where the model takes it (never with top_p).
      ...(traits.sampling === 'none' ? {} : { temperature: 0 }),
    },
    toolConfig: {
      tools: [
        {
          toolSpec: {
            name: CATALOGUE_TOOL_NAME,
            description: CATALOGUE_TOOL_DESCRIPTION,
            inputSchema: { json: schema as never },
            ...(traits.strictTool ? { strict: true } : {}),
          },
        },
      ],
      toolChoice: { tool: { name: CATALOGUE_TOOL_NAME } },
    },
  };
  if (traits.thinkingOff) input.additionalModelRequestFields = { thinking: traits.thinkingOff };
  return input;
}

const MEDIA_TYPES: Record<RequestImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
};

/** The native Anthropic Messages body (InvokeModel, and the `modelInput` of a batch record) for one image. */
export function buildAnthropicBody(request: CatalogueRequest): Record<string, unknown> {
  const { traits, schema } = shape(request);
  const body: Record<string, unknown> = {
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: request.maxTokens,
    system: request.system,
    messages: [
      {
        role: 'user',
        content: [
          {
            type: 'image',
            source: {
              type: 'base64',
              media_type: MEDIA_TYPES[request.image.format],
              data: Buffer.from(request.image.bytes).toString('base64'),
            },
          },
          { type: 'text', text: USER_INSTRUCTION },
        ],
      },
    ],
    tools: [
      {
        name: CATALOGUE_TOOL_NAME,
        description: CATALOGUE_TOOL_DESCRIPTION,
        input_schema: schema,
        ...(traits.strictTool ? { strict: true } : {}),
      },
    ],
    tool_choice: { type: 'tool', name: CATALOGUE_TOOL_NAME },
  };
  if (traits.sampling !== 'none') body.temperature = 0;
  if (traits.thinkingOff) body.thinking = traits.thinkingOff;
  return body;
}
