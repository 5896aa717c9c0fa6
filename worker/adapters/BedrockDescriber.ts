import {
  type BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { errorName, httpStatusOf } from '../../shared/awsErrors.ts';
import { descriptionJsonSchema, ImageDescription } from '../../shared/catalogue.ts';
import { ModelOutputError, ModelRequestError, ThrottledError, TransientError } from '../../shared/errors.ts';
import { CATALOGUE_TOOL_DESCRIPTION, CATALOGUE_TOOL_NAME } from '../../shared/modelRequest.ts';
import type { DescribeRequest, DescribeResult, Describer } from '../ports.ts';

export interface BedrockDescriberOptions {
  modelId: string;
  maxTokens: number;
  /** Categories the answer must come from; unset: free text. */
  categories?: readonly string[];
  /** Timeout of one call, ms. */
  timeoutMs: number;
}

/**
 * One Converse call with a single forced tool whose input schema is the catalogue entry: the answer is JSON by
 * construction, and is validated with the same zod schema. Makes exactly one attempt (the client must be built with
 * `maxAttempts: 1`): retrying and quota limiting are decorators, so every attempt passes through the limiter.
 */
export class BedrockDescriber implements Describer {
  private readonly toolSchema: Record<string, unknown>;
  private readonly validator: typeof ImageDescription;

  constructor(
    private readonly client: BedrockRuntimeClient,
    private readonly options: BedrockDescriberOptions,
  ) {
    this.toolSchema = descriptionJsonSchema(options.categories);
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
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    let out: ConverseCommandOutput;
    try {
      out = await this.client.send(
        new ConverseCommand({
          modelId: this.options.modelId,
          messages: [
            {
              role: 'user',
              content: [{ image: { format: image.format, source: { bytes: image.body } } }, { text: request.prompt }],
            },
          ],
          inferenceConfig: { maxTokens: this.options.maxTokens, temperature: 0 },
          toolConfig: {
            tools: [
              {
                toolSpec: {
                  name: CATALOGUE_TOOL_NAME,
                  description: CATALOGUE_TOOL_DESCRIPTION,
                  inputSchema: { json: this.toolSchema as never },
                },
              },
            ],
            toolChoice: { tool: { name: CATALOGUE_TOOL_NAME } },
          },
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (request.signal?.aborted) throw error;
      throw translateBedrockError(error, timeout.aborted);
    }
    const usage = { inputTokens: out.usage?.inputTokens ?? 0, outputTokens: out.usage?.outputTokens ?? 0 };
    const toolUse = out.output?.message?.content?.find((c) => c.toolUse?.name === CATALOGUE_TOOL_NAME)?.toolUse;
    if (!toolUse) {
      throw new ModelOutputError(`the model did not call ${CATALOGUE_TOOL_NAME} (stopReason ${out.stopReason})`, {
        context: { usage, stopReason: out.stopReason },
      });
    }
    const parsed = this.validator.safeParse(toolUse.input);
    if (!parsed.success) {
      throw new ModelOutputError(
        `the model's answer failed validation: ${parsed.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
        { context: { usage } },
      );
    }
    return { description: parsed.data, usage, modelId: this.options.modelId, attempts: 1 };
  }
}

/** Bedrock's exceptions as the pipeline's typed errors (DESIGN.md, "Facts": which to retry). */
export function translateBedrockError(error: unknown, timedOut = false): Error {
  const name = errorName(error);
  const status = httpStatusOf(error);
  const message = `Bedrock ${name}${status ? ` (HTTP ${status})` : ''}: ${(error as Error)?.message ?? String(error)}`;
  const options = { cause: error, context: { awsError: name, httpStatus: status } };
  if (name === 'ThrottlingException' || (status === 429 && name !== 'ModelNotReadyException')) {
    return new ThrottledError(message, options);
  }
  if (name === 'ValidationException' || name === 'AccessDeniedException' || name === 'ResourceNotFoundException') {
    return new ModelRequestError(message, options);
  }
  if (timedOut) return new TransientError(`Bedrock call timed out: ${message}`, options);
  // ModelNotReadyException, 5xx, ModelTimeoutException, ModelErrorException, connection resets, HTTP/2 stream errors:
  // passing faults, retried within the budget.
  return new TransientError(message, options);
}
