import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BedrockStandIn, createBedrockStandIn } from '../../../local/bedrock/server.ts';
import { ImageRejectedError, ModelConfigurationError, ModelOutputTruncatedError } from '../../../shared/errors.ts';
import { DEFAULT_MODEL_ID } from '../../../shared/models.ts';
import { BedrockDescriber } from '../../../worker/adapters/BedrockDescriber.ts';
import { RetryingDescriber } from '../../../worker/model/RetryingDescriber.ts';
import type { DescribeRequest } from '../../../worker/ports.ts';
import { bedrockClient } from '../../local/bedrock/helpers.ts';

let standIn: BedrockStandIn;
let client: ReturnType<typeof bedrockClient>;
let request: DescribeRequest;

beforeAll(async () => {
  standIn = await createBedrockStandIn();
  client = bedrockClient(standIn.url);
  const body = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#884422' } })
    .jpeg()
    .toBuffer();
  request = { image: { body, format: 'jpeg', width: 120, height: 80 }, prompt: 'Catalogue this image.' };
});
afterAll(async () => {
  client.destroy();
  await standIn.close();
});
beforeEach(() => {
  standIn.resetStats();
  standIn.setFaults({ contentFilteredRate: 0 });
});

/** Model calls the stand-in answered (200) since the last reset. */
const calls = () => standIn.stats().completed;

const describer = (modelId: string, maxTokens: number, truncatedMaxTokens?: number) =>
  new RetryingDescriber(new BedrockDescriber(client, { modelId, maxTokens, timeoutMs: 10_000 }), {
    maxAttempts: 8,
    outputMaxAttempts: 3,
    truncatedMaxTokens,
    baseMs: 1,
    maxMs: 2,
  });

describe('stop reasons, decided one by one (real SDK client against the stand-in)', () => {
  it('a max_tokens stop is retried once with the larger budget, not three times at the same one', async () => {
    const result = await describer(DEFAULT_MODEL_ID, 64, 2048).describe(request);
    expect(result.attempts).toBe(2);
    expect(calls()).toBe(2);
  });

  it('a max_tokens stop with no larger budget rejects the image after one call', async () => {
    const error = await describer(DEFAULT_MODEL_ID, 64, 64)
      .describe(request)
      .catch((e) => e);
    expect(error).toBeInstanceOf(ImageRejectedError);
    expect(error.reason).toBe('MODEL_OUTPUT_TRUNCATED');
    expect(error.cause).toBeInstanceOf(ModelOutputTruncatedError);
    expect(calls()).toBe(1);
  });

  it('a max_tokens stop at the larger budget too rejects the image after two calls', async () => {
    const error = await describer(DEFAULT_MODEL_ID, 64, 65)
      .describe(request)
      .catch((e) => e);
    expect(error).toMatchObject({ reason: 'MODEL_OUTPUT_TRUNCATED' });
    expect(calls()).toBe(2);
  });

  it('a content_filtered answer is recorded as a rejection after one call, never retried', async () => {
    standIn.setFaults({ contentFilteredRate: 1 });
    const error = await describer(DEFAULT_MODEL_ID, 1024, 4096)
      .describe(request)
      .catch((e) => e);
    expect(error).toBeInstanceOf(ImageRejectedError);
    expect(error.reason).toBe('MODEL_CONTENT_FILTERED');
    expect(calls()).toBe(1);
  });

  it('an end-of-life model and a bare id of a profile-only model are configuration faults, not rejections', async () => {
    const eol = await describer('anthropic.claude-3-haiku-20240307-v1:0', 1024)
      .describe(request)
      .catch((e) => e);
    expect(eol).toBeInstanceOf(ModelConfigurationError);
    expect(eol).toMatchObject({ kind: 'end-of-life' });
    expect(eol.message).toContain('2026-09-10');
    expect(eol.message).toContain('global.anthropic.claude-haiku-5-5');
    const bare = await describer('anthropic.claude-haiku-5-5', 1024)
      .describe(request)
      .catch((e) => e);
    expect(bare).toMatchObject({ kind: 'profile-required' });
  });

  it('denied access is a configuration fault that names the fix', async () => {
    standIn.setAccess({ deny: ['*'] });
    try {
      const error = await describer(DEFAULT_MODEL_ID, 1024)
        .describe(request)
        .catch((e) => e);
      expect(error).toBeInstanceOf(ModelConfigurationError);
      expect(error).toMatchObject({ kind: 'access-denied' });
      expect(error.message).toContain('Model access');
    } finally {
      standIn.setAccess({ grant: ['*'] });
    }
  });
});
