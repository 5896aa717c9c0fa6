/*
 * The Converse body (`POST /model/{id}/converse`) as the SDK sends it: image bytes arrive base64 in the JSON.
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

const ConverseImage = z.object({
  format: z.string(),
  source: z.object({ bytes: z.string().optional(), s3Location: z.unknown().optional() }),
});

const ConverseBlock = z
  .object({
    text: z.string().optional(),
    image: ConverseImage.optional(),
    toolUse: z.object({ toolUseId: z.string(), name: z.string(), input: z.unknown() }).optional(),
    toolResult: z
      .object({
        toolUseId: z.string(),
        content: z.array(z.object({ text: z.string().optional(), json: z.unknown().optional() }).loose()),
      })
      .loose()
      .optional(),
    cachePoint: z.unknown().optional(),
  })
  .loose();

const ConverseBody = z.object({
  messages: z.array(z.object({ role: Role, content: z.array(ConverseBlock).min(1) })).min(1),
  system: z.array(z.object({ text: z.string().optional() }).loose()).optional(),
  inferenceConfig: z
    .object({
      maxTokens: z.number().int().min(1).optional(),
      temperature: z.number().min(0).max(1).optional(),
      topP: z.number().min(0).max(1).optional(),
      stopSequences: z.array(z.string()).optional(),
    })
    .optional(),
  toolConfig: z
    .object({
      tools: z
        .array(
          z
            .object({
              toolSpec: z
                .object({
                  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
                  description: z.string().optional(),
                  inputSchema: z.object({ json: JsonObject }),
                  strict: z.boolean().optional(),
                })
                .optional(),
            })
            .loose(),
        )
        .min(1),
      toolChoice: z
        .object({
          auto: z.object({}).loose().optional(),
          any: z.object({}).loose().optional(),
          tool: z.object({ name: z.string() }).optional(),
        })
        .optional(),
    })
    .optional(),
  // Model-specific fields pass through to the model: Claude takes `thinking` and `top_k` here.
  additionalModelRequestFields: z
    .strictObject({
      thinking: z.object({ type: z.string(), budget_tokens: z.number().int().optional() }).optional(),
      top_k: z.number().int().min(0).optional(),
    })
    .optional(),
  outputConfig: z.object({ textFormat: z.unknown().optional(), effort: z.string().optional() }).optional(),
});

const CONVERSE_BLOCKS = new Set(['text', 'image', 'toolUse', 'toolResult', 'cachePoint']);

export function parseConverse(body: Buffer, model: ModelInfo): ModelCall {
  const parsed = ConverseBody.safeParse(parseJson(body));
  if (!parsed.success) throw validationError(describeIssues(parsed.error, 'converse'));
  const req = parsed.data;
  const call: ModelCall = {
    api: 'converse',
    maxTokens: req.inferenceConfig?.maxTokens ?? model.maxOutputTokens,
    system: (req.system ?? []).flatMap((s) => (s.text === undefined ? [] : [s.text])),
    texts: [],
    images: [],
    tools: [],
    params: {
      temperature: req.inferenceConfig?.temperature,
      topP: req.inferenceConfig?.topP,
      topK: req.additionalModelRequestFields?.top_k,
      thinking: req.additionalModelRequestFields?.thinking,
      strictTools: (req.toolConfig?.tools ?? []).filter((t) => t.toolSpec?.strict).length,
      jsonSchemaOutput: req.outputConfig?.textFormat !== undefined,
    },
  };
  req.messages.forEach((message, m) => {
    message.content.forEach((block, b) => {
      const path = `messages.${m}.content.${b}`;
      const kinds = Object.keys(block).filter((k) => (block as Record<string, unknown>)[k] !== undefined);
      const unknown = kinds.find((k) => !CONVERSE_BLOCKS.has(k));
      if (unknown) throw validationError(`${path}: content type '${unknown}' is not supported by the stand-in`);
      if (kinds.length !== 1) throw validationError(`${path}: a content block must hold exactly one member`);
      if (block.text !== undefined) call.texts.push(block.text);
      if (block.toolUse) call.texts.push(JSON.stringify(block.toolUse.input ?? {}));
      if (block.toolResult) {
        for (const c of block.toolResult.content) call.texts.push(c.text ?? JSON.stringify(c.json ?? ''));
      }
      if (block.image) {
        if (message.role !== 'user') throw validationError(`${path}: images are only allowed in user messages`);
        if (block.image.source.bytes === undefined) {
          throw validationError(`${path}.image.source: only bytes are supported by the stand-in (no s3Location)`);
        }
        const bytes = decodeBase64(block.image.source.bytes, `${path}.image.source.bytes`);
        call.images.push({ format: block.image.format, bytes, path: `${path}.image` });
      }
    });
  });
  for (const tool of req.toolConfig?.tools ?? []) {
    if (tool.toolSpec) {
      call.tools.push({
        name: tool.toolSpec.name,
        description: tool.toolSpec.description,
        inputSchema: tool.toolSpec.inputSchema.json,
      });
    }
  }
  const choice = req.toolConfig?.toolChoice;
  if (choice?.tool) call.toolChoice = { type: 'tool', name: choice.tool.name };
  else if (choice?.any) call.toolChoice = { type: 'any' };
  else if (choice?.auto) call.toolChoice = { type: 'auto' };
  checkCommon(call, req.messages[0]?.role, model, 'maximum tokens');
  return call;
}
