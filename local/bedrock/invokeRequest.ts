/*
 * InvokeModel's body for Claude (`POST /model/{id}/invoke`): Anthropic's Messages API, strict about unknown keys.
 */

import { z } from 'zod';
import { validationError } from './errors.ts';
import {
  checkCommon,
  decodeBase64,
  describeIssues,
  JsonObject,
  type ModelCall,
  type ModelInfo,
  parseJson,
  Role,
} from './requests.ts';

const AnthropicBlock = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }).loose(),
  z
    .object({
      type: z.literal('image'),
      source: z.object({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
    })
    .loose(),
  z.object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }).loose(),
  z
    .object({
      type: z.literal('tool_result'),
      tool_use_id: z.string(),
      content: z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).loose())]),
    })
    .loose(),
]);

const AnthropicBody = z.strictObject({
  anthropic_version: z.literal('bedrock-2023-05-31'),
  anthropic_beta: z.array(z.string()).optional(),
  max_tokens: z.number().int().min(1),
  messages: z.array(z.object({ role: Role, content: z.union([z.string(), z.array(AnthropicBlock).min(1)]) })).min(1),
  system: z.union([z.string(), z.array(z.object({ type: z.literal('text'), text: z.string() }).loose())]).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  stop_sequences: z.array(z.string()).optional(),
  tools: z
    .array(
      z
        .object({
          name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
          description: z.string().optional(),
          input_schema: JsonObject,
          strict: z.boolean().optional(),
        })
        .loose(),
    )
    .optional(),
  thinking: z.object({ type: z.string(), budget_tokens: z.number().int().optional() }).optional(),
  output_config: z.object({ format: z.unknown().optional(), effort: z.string().optional() }).optional(),
  tool_choice: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('auto') }).loose(),
      z.object({ type: z.literal('any') }).loose(),
      z.object({ type: z.literal('tool'), name: z.string() }).loose(),
    ])
    .optional(),
});

const MEDIA_TYPES: Record<string, string> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

export function parseInvoke(body: Buffer, model: ModelInfo): ModelCall {
  const parsed = AnthropicBody.safeParse(parseJson(body));
  if (!parsed.success) throw validationError(describeIssues(parsed.error, 'invoke'));
  const req = parsed.data;
  const call: ModelCall = {
    api: 'invoke',
    maxTokens: req.max_tokens,
    system: typeof req.system === 'string' ? [req.system] : (req.system ?? []).map((s) => s.text),
    texts: [],
    images: [],
    tools: (req.tools ?? []).map((t) => ({ name: t.name, description: t.description, inputSchema: t.input_schema })),
    params: {
      temperature: req.temperature,
      topP: req.top_p,
      topK: req.top_k,
      thinking: req.thinking,
      strictTools: (req.tools ?? []).filter((t) => t.strict).length,
      jsonSchemaOutput: req.output_config?.format !== undefined,
    },
  };
  req.messages.forEach((message, m) => {
    if (typeof message.content === 'string') {
      call.texts.push(message.content);
      return;
    }
    message.content.forEach((block, b) => {
      const path = `messages.${m}.content.${b}`;
      switch (block.type) {
        case 'text':
          call.texts.push(block.text);
          break;
        case 'tool_use':
          call.texts.push(JSON.stringify(block.input ?? {}));
          break;
        case 'tool_result':
          if (typeof block.content === 'string') call.texts.push(block.content);
          else for (const c of block.content) call.texts.push(c.text ?? '');
          break;
        case 'image': {
          if (message.role !== 'user') throw validationError(`${path}: images are only allowed in user messages`);
          const format = MEDIA_TYPES[block.source.media_type];
          if (!format) {
            throw validationError(
              `${path}.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`,
            );
          }
          const bytes = decodeBase64(block.source.data, `${path}.source.data`);
          call.images.push({ format, bytes, path: `${path}.source` });
          break;
        }
      }
    });
  });
  const choice = req.tool_choice;
  if (choice) call.toolChoice = choice.type === 'tool' ? { type: 'tool', name: choice.name } : { type: choice.type };
  checkCommon(call, req.messages[0]?.role, model, 'max_tokens');
  return call;
}
