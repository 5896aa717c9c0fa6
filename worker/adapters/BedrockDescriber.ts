import {
  type BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { descriptionJsonSchema, ImageDescription } from '../../shared/catalogue.ts';
import { ImageRejectedError, ModelOutputError, ModelOutputTruncatedError } from '../../shared/errors.ts';
import { buildConverseInput, CATALOGUE_TOOL_NAME } from '../../shared/modelRequest.ts';
import { type ModelTraits, resolveModel, traitsOf } from '../../shared/models.ts';
import type { DescribeRequest, DescribeResult, Describer } from '../ports.ts';
import { translateBedrockError } from './bedrockErrors.ts';

export { translateBedrockError } from './bedrockErrors.ts';

export interface BedrockDescriberOptions {
  modelId: string;
  maxTokens: number;
  /** Categories the answer must come from; unset: free text. */
  categories?: readonly string[];
  /** Timeout of one call, ms. */
  timeoutMs: number;
}

/**
 * One Converse call with a single forced tool whose input schema is the catalogue entry, shaped for the model by the
 * model table (system prompt, sampling, thinking, strict tool; shared/modelRequest.ts): the answer is JSON by
 * construction, and is validated with the same zod schema. Makes exactly one attempt (the client must be built with
 * `maxAttempts: 1`): retrying, quota limiting and pausing are decorators, so every attempt passes through the limiter.
 */
export class BedrockDescriber implements Describer {
  private readonly toolSchema: Record<string, unknown>;
  private readonly validator: typeof ImageDescription;
  readonly traits: ModelTraits;

  constructor(
    private readonly client: BedrockRuntimeClient,
    private readonly options: BedrockDescriberOptions,
  ) {
    this.toolSchema = descriptionJsonSchema(options.categories);
    this.traits = traitsOf(resolveModel(options.modelId));
    this.validator = options.categories?.length
      ? (ImageDescription.extend({
          category: ImageDescription.shape.category.refine((c) => options.categories?.includes(c), {
            message: `category must be one of: ${options.categories.join(', ')}`,
          }),
        }) as unknown as typeof ImageDescription)
      : ImageDescription;
  }

  async describe(request: DescribeRequest): Promise<DescribeResult> {
    const { image } = request;
    const maxTokens = request.maxTokens ?? this.options.maxTokens;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    let out: ConverseCommandOutput;
    try {
      const input = buildConverseInput({
        modelId: this.options.modelId,
        system: request.prompt,
        image: { format: image.format, bytes: image.body },
        maxTokens,
        toolSchema: this.toolSchema,
        traits: this.traits,
      });
      out = await this.client.send(new ConverseCommand(input), { abortSignal: signal });
    } catch (error) {
      if (request.signal?.aborted) throw error;
      throw translateBedrockError(error, this.options.modelId, timeout.aborted);
    }
    const usage = { inputTokens: out.usage?.inputTokens ?? 0, outputTokens: out.usage?.outputTokens ?? 0 };
    const context = { usage, stopReason: out.stopReason };
    const toolUse = out.output?.message?.content?.find((c) => c.toolUse?.name === CATALOGUE_TOOL_NAME)?.toolUse;
    decideStopReason(out.stopReason, maxTokens, Boolean(toolUse), context);
    if (!toolUse) {
      throw new ModelOutputError(`the model did not call ${CATALOGUE_TOOL_NAME} (stopReason ${out.stopReason})`, {
        context,
      });
    }
    const parsed = this.validator.safeParse(toolUse.input);
    if (!parsed.success) {
      throw new ModelOutputError(
        `the model's answer failed validation: ${parsed.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
        { context },
      );
    }
    return { description: parsed.data, usage, modelId: this.options.modelId, attempts: 1 };
  }
}

/**
 * Each stop reason decided on its own (the answer is used only after `tool_use`/`end_turn` with the tool call):
 * - `max_tokens` repeats identically at the same budget: {@link ModelOutputTruncatedError} (the retrying layer tries
 *   once with a larger budget);
 * - `content_filtered`, `guardrail_intervened`, a refusal: an answer about the image, recorded, never retried;
 * - `model_context_window_exceeded`: the request with this image is too large for the model;
 * - `malformed_model_output` / `malformed_tool_use` and anything else without the tool call: ModelOutputError,
 *   retried within the output budget.
 */
function decideStopReason(
  stopReason: string | undefined,
  maxTokens: number,
  hasTool: boolean,
  context: Record<string, unknown>,
): void {
  switch (stopReason) {
    case 'max_tokens':
      throw new ModelOutputTruncatedError(maxTokens, `the answer stopped at max_tokens (${maxTokens})`, { context });
    case 'content_filtered':
    case 'guardrail_intervened':
    case 'refusal':
      throw new ImageRejectedError('MODEL_CONTENT_FILTERED', 'the model declined to describe this image', { context });
    case 'model_context_window_exceeded':
      throw new ImageRejectedError(
        'MODEL_INPUT_TOO_LARGE',
        'the request with this image is over the model context window',
        { context },
      );
    case 'malformed_model_output':
    case 'malformed_tool_use':
      throw new ModelOutputError(`the model's answer was malformed (${stopReason})`, { context });
    default:
      if (!hasTool) return;
  }
}
