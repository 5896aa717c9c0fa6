import type { BedrockRuntimeClient, ConverseCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import { ImageRejectedError, ModelOutputError, ModelOutputTruncatedError } from '../../../shared/errors.ts';
import { CATALOGUE_TOOL_NAME } from '../../../shared/modelRequest.ts';
import { DEFAULT_MODEL_ID } from '../../../shared/models.ts';
import { BedrockDescriber } from '../../../worker/adapters/BedrockDescriber.ts';
import { sampleDescription } from '../../helpers/fakes.ts';

// Every Converse stop reason Bedrock documents (API_runtime_Converse: end_turn, tool_use, max_tokens, stop_sequence,
// guardrail_intervened, content_filtered, malformed_model_output, malformed_tool_use,
// model_context_window_exceeded), as an answer the stub client returns: the stand-in sends only some of them.
// BedrockDescriber.test.ts and BedrockDescriber.stopReasons.test.ts run the real client against the stand-in.

const request = {
  image: { body: Buffer.from('jpeg'), format: 'jpeg' as const, width: 10, height: 10 },
  prompt: 'Catalogue this image.',
};

function answering(out: Partial<ConverseCommandOutput>) {
  const client = { send: async () => out } as unknown as BedrockRuntimeClient;
  return new BedrockDescriber(client, { modelId: DEFAULT_MODEL_ID, maxTokens: 512, timeoutMs: 1000 });
}

const toolAnswer = (stopReason: string, input: unknown = sampleDescription()): Partial<ConverseCommandOutput> => ({
  stopReason: stopReason as ConverseCommandOutput['stopReason'],
  usage: { inputTokens: 1500, outputTokens: 200, totalTokens: 1700 },
  output: {
    message: {
      role: 'assistant',
      content: [
        { text: 'Here it is.' },
        { toolUse: { toolUseId: 't1', name: CATALOGUE_TOOL_NAME, input: input as never } },
      ],
    },
  },
});

const failure = (out: Partial<ConverseCommandOutput>) =>
  answering(out)
    .describe(request)
    .then(
      () => {
        throw new Error('expected the answer to be refused');
      },
      (e: unknown) => e as Error,
    );

describe('BedrockDescriber: what each answer means', () => {
  it.each(['tool_use', 'end_turn', 'stop_sequence'])(
    '%s with the tool call: the description and its usage',
    async (stop) => {
      const result = await answering(toolAnswer(stop)).describe(request);
      expect(result).toEqual({
        description: sampleDescription(),
        usage: { inputTokens: 1500, outputTokens: 200 },
        modelId: DEFAULT_MODEL_ID,
        attempts: 1,
      });
    },
  );

  it('an answer without usage counts zero tokens', async () => {
    const { usage: _, ...out } = toolAnswer('tool_use');
    expect((await answering(out).describe(request)).usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it('max_tokens: truncated, with the budget it stopped at', async () => {
    const e = await failure(toolAnswer('max_tokens'));
    expect(e).toBeInstanceOf(ModelOutputTruncatedError);
    expect(e.message).toBe('the answer stopped at max_tokens (512)');
  });

  it.each(['content_filtered', 'guardrail_intervened', 'refusal'])(
    '%s: the image is rejected as declined',
    async (stop) => {
      const e = await failure(toolAnswer(stop));
      expect(e).toBeInstanceOf(ImageRejectedError);
      expect((e as ImageRejectedError).reason).toBe('MODEL_CONTENT_FILTERED');
      expect(e.message).toBe('the model declined to describe this image');
    },
  );

  it('model_context_window_exceeded: the image is rejected as too large for the model', async () => {
    const e = await failure(toolAnswer('model_context_window_exceeded'));
    expect((e as ImageRejectedError).reason).toBe('MODEL_INPUT_TOO_LARGE');
    expect(e.message).toBe('the request with this image is over the model context window');
  });

  it.each(['malformed_model_output', 'malformed_tool_use'])('%s: a malformed answer, retried', async (stop) => {
    const e = await failure(toolAnswer(stop));
    expect(e).toBeInstanceOf(ModelOutputError);
    expect(e).not.toBeInstanceOf(ModelOutputTruncatedError);
    expect(e.message).toBe(`the model's answer was malformed (${stop})`);
    expect((e as ModelOutputError).context).toMatchObject({ stopReason: stop, usage: { inputTokens: 1500 } });
  });

  it('an answer without the tool call, or calling another tool, is a model output error naming the stop', async () => {
    const text: Partial<ConverseCommandOutput> = {
      stopReason: 'end_turn',
      output: { message: { role: 'assistant', content: [{ text: 'A photo of a dog.' }] } },
    };
    expect((await failure(text)).message).toBe(`the model did not call ${CATALOGUE_TOOL_NAME} (stopReason end_turn)`);
    const other = toolAnswer('tool_use');
    const content = other.output?.message?.content ?? [];
    other.output = {
      message: {
        role: 'assistant',
        content: content.map((c) => (c.toolUse ? { toolUse: { ...c.toolUse, name: 'other_tool' } } : c)),
      },
    };
    expect(await failure(other)).toBeInstanceOf(ModelOutputError);
    expect(await failure({ stopReason: 'tool_use' })).toBeInstanceOf(ModelOutputError);
  });

  it('a tool input that fails the schema names the first fields at fault', async () => {
    const e = await failure(toolAnswer('tool_use', { ...sampleDescription(), summary: 42, category: undefined }));
    expect(e).toBeInstanceOf(ModelOutputError);
    expect(e.message).toMatch(/^the model's answer failed validation: summary: .+; category: .+$/);
  });

  it('a category outside the configured list fails validation', async () => {
    const client = { send: async () => toolAnswer('tool_use') } as unknown as BedrockRuntimeClient;
    const strict = new BedrockDescriber(client, {
      modelId: DEFAULT_MODEL_ID,
      maxTokens: 512,
      timeoutMs: 1000,
      categories: ['Animal', 'Landscape'],
    });
    const e = (await strict.describe(request).catch((x: unknown) => x)) as Error;
    expect(e.message).toContain('category must be one of: Animal, Landscape');
  });
});
