import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BedrockStandIn, createBedrockStandIn } from '../../../local/bedrock/server.ts';
import { loadConfig } from '../../../shared/config.ts';
import {
  ImageRejectedError,
  ModelOutputError,
  ModelOutputTruncatedError,
  ThrottledError,
  TransientError,
} from '../../../shared/errors.ts';
import { BedrockDescriber, type BedrockDescriberOptions } from '../../../worker/adapters/BedrockDescriber.ts';
import type { PreparedImage } from '../../../worker/ports.ts';

/** BedrockDescriber with the real Bedrock Runtime client (HTTP/2) against the Bedrock stand-in. */
describe('BedrockDescriber on the Bedrock stand-in', () => {
  let bedrock: BedrockStandIn;
  let client: BedrockRuntimeClient;
  let image: PreparedImage;
  // The configured default model, so the test follows the project's choice of model.
  const modelId = loadConfig({}).model.id;
  const describer = (over: Partial<BedrockDescriberOptions> = {}) =>
    new BedrockDescriber(client, { modelId, maxTokens: 1024, timeoutMs: 20_000, ...over });
  const describe_ = (over: Partial<BedrockDescriberOptions> = {}, signal?: AbortSignal, img = image) =>
    describer(over).describe({ image: img, prompt: 'Describe the image.', signal });
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e,
    );

  beforeAll(async () => {
    bedrock = await createBedrockStandIn({});
    client = new BedrockRuntimeClient({
      endpoint: bedrock.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const body = await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 200, g: 40, b: 40 } } })
      .jpeg()
      .toBuffer();
    image = { body, format: 'jpeg', width: 96, height: 64 };
  });
  afterEach(() => {
    bedrock.setFaults({
      latencyMs: 0,
      serviceUnavailableRate: 0,
      internalErrorRate: 0,
      modelNotReadyRate: 0,
      modelTimeoutRate: 0,
      dropConnectionRate: 0,
      malformedOutputRate: 0,
    });
    bedrock.setQuota({ rpm: 1000, tpm: 2_000_000 });
    bedrock.resetStats();
  });
  afterAll(async () => {
    client?.destroy();
    await bedrock?.close();
  });

  it('answers with a valid description, the usage the service reports, the model and one attempt', async () => {
    const result = await describe_();
    expect(result.modelId).toBe(modelId);
    expect(result.attempts).toBe(1);
    expect(result.description.summary.length).toBeGreaterThan(0);
    const stats = bedrock.stats();
    expect(stats.totals.accepted).toBe(1);
    expect(result.usage).toEqual({ inputTokens: stats.totals.inputTokens, outputTokens: stats.totals.outputTokens });
    expect(result.usage.inputTokens).toBeGreaterThan(0);
  });

  it('keeps the category inside a configured list', async () => {
    const categories = ['alpha', 'beta'];
    const result = await describe_({ categories });
    expect(categories).toContain(result.description.category);
  });

  it('throttling is a ThrottledError (the limiter slows down for it), not a plain passing fault', async () => {
    bedrock.setQuota({ rpm: 1 });
    await describe_();
    const error = await failure(describe_());
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error).toMatchObject({ retryable: true, context: { awsError: 'ThrottlingException', httpStatus: 429 } });
  });

  it.each([
    ['serviceUnavailableRate', 'ServiceUnavailableException', 503],
    ['internalErrorRate', 'InternalServerException', 500],
    ['modelNotReadyRate', 'ModelNotReadyException', 429],
    ['modelTimeoutRate', 'ModelTimeoutException', 408],
  ] as const)('%s: %s is a retryable TransientError, not a throttle', async (rate, awsError, httpStatus) => {
    bedrock.setFaults({ [rate]: 1 });
    const error = await failure(describe_());
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ retryable: true, context: { awsError, httpStatus } });
  });

  it('a dropped connection is a TransientError', async () => {
    bedrock.setFaults({ dropConnectionRate: 1 });
    expect(await failure(describe_())).toBeInstanceOf(TransientError);
  });

  it('a call slower than the timeout is a TransientError that says so', async () => {
    bedrock.setFaults({ latencyMs: 3000 });
    const error = await failure(describe_({ timeoutMs: 200 }));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(/timed out/);
  });

  it('our own abort is passed through as it is, not translated into a retryable error', async () => {
    bedrock.setFaults({ latencyMs: 3000 });
    const stop = new AbortController();
    const pending = failure(describe_({}, stop.signal));
    setTimeout(() => stop.abort(new Error('shutting down')), 50);
    const error = await pending;
    expect(error).toBeDefined();
    expect(error).not.toBeInstanceOf(TransientError);
  });

  it('an answer that breaks the schema is a ModelOutputError, never returned', async () => {
    bedrock.setFaults({ malformedOutputRate: 1, seed: 3 });
    const error = await failure(describe_());
    expect(error).toBeInstanceOf(ModelOutputError);
    expect((error as Error).message).toMatch(/failed validation/);
  });

  it('an answer cut short at max_tokens is a ModelOutputTruncatedError carrying the budget it hit', async () => {
    const error = await failure(describe_({ maxTokens: 64 }));
    expect(error).toBeInstanceOf(ModelOutputTruncatedError);
    expect(error).toMatchObject({ retryable: false, maxTokens: 64 });
  });

  it('an image the service cannot read is rejected with our own reason code, never the raw AWS text', async () => {
    const garbage: PreparedImage = { body: Buffer.from('not a jpeg at all'), format: 'jpeg', width: 10, height: 10 };
    const error = await failure(describe_({}, undefined, garbage));
    expect(error).toBeInstanceOf(ImageRejectedError);
    expect(error).toMatchObject({ retryable: false, reason: 'MODEL_REJECTED_IMAGE' });
    expect((error as Error).message).not.toMatch(/ValidationException|arn:aws|\d{12}/);
  });
});
