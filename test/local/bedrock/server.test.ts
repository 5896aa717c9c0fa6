import {
  type BedrockRuntimeClient,
  InternalServerException,
  InvokeModelCommand,
  ModelNotReadyException,
  ModelTimeoutException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BedrockStandIn, createBedrockStandIn } from '../../../local/bedrock/server.ts';
import { descriptionJsonSchema, ImageDescription } from '../../../shared/catalogue.ts';
import {
  bedrockClient,
  converse,
  converseInput,
  fixture,
  MODEL_ID,
  noisePng,
  solidJpeg,
  TOOL_NAME,
} from './helpers.ts';

let standIn: BedrockStandIn;
let client: BedrockRuntimeClient;
const rocket = fixture('rocket.jpg');

beforeAll(async () => {
  standIn = await createBedrockStandIn({ faults: { seed: 1 } });
  client = bedrockClient(standIn.url);
});
afterAll(async () => {
  client.destroy();
  await standIn.close();
});
beforeEach(() => {
  standIn.resetStats();
  standIn.setQuota({ rpm: 1000, tpm: 2_000_000 });
  standIn.setFaults({
    serviceUnavailableRate: 0,
    internalErrorRate: 0,
    modelNotReadyRate: 0,
    modelTimeoutRate: 0,
    dropConnectionRate: 0,
    malformedOutputRate: 0,
    latencyMs: 0,
  });
});

/** The error a call rejects with. Fails the test when the call succeeds. */
async function failure(call: Promise<unknown>): Promise<Error> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  if (!outcome) throw new Error('expected the call to fail, but it succeeded');
  return outcome;
}

describe('Converse through the real BedrockRuntimeClient', () => {
  it('answers a forced tool call with an ImageDescription of the image', async () => {
    const out = await converse(client, converseInput(rocket, 'jpeg'));

    expect(out.stopReason).toBe('tool_use');
    const block = out.output?.message?.content?.[0];
    expect(block?.toolUse?.name).toBe(TOOL_NAME);
    const description = ImageDescription.parse(block?.toolUse?.input);
    expect(description.summary).toContain('640×427');
    expect(description.summary).toContain('deterministic stand-in');
    expect(out.usage?.totalTokens).toBe((out.usage?.inputTokens ?? 0) + (out.usage?.outputTokens ?? 0));
    expect(out.metrics?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('accepts cross-region profile ids and inference-profile ARNs, each with its own quota', async () => {
    const arn =
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-haiku-4-5-20251001-v1:0';
    await converse(client, converseInput(rocket, 'jpeg', { modelId: arn }));
    await converse(client, converseInput(rocket, 'jpeg'));

    expect(Object.keys(standIn.stats().models).sort()).toEqual([
      'global.anthropic.claude-haiku-4-5-20251001-v1:0',
      MODEL_ID,
    ]);
  });

  it('answers in text, the description as JSON, when no tool is offered', async () => {
    const out = await converse(client, converseInput(fixture('camera.png'), 'png', { tool: false }));

    expect(out.stopReason).toBe('end_turn');
    const text = out.output?.message?.content?.[0]?.text ?? '';
    expect(ImageDescription.safeParse(JSON.parse(text)).success).toBe(true);
  });

  it('stops at max_tokens like the model, with an empty tool input', async () => {
    const out = await converse(client, converseInput(rocket, 'jpeg', { maxTokens: 10 }));

    expect(out.stopReason).toBe('max_tokens');
    expect(out.usage?.outputTokens).toBe(10);
    expect(out.output?.message?.content?.[0]?.toolUse?.input).toEqual({});
  });
});

describe('InvokeModel with the Anthropic Messages body', () => {
  it('answers with a tool_use block, usage and the token-count headers', async () => {
    const body = {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 1024,
      system: 'You catalogue photographs.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: rocket.toString('base64') } },
            { type: 'text', text: 'Catalogue this image.' },
          ],
        },
      ],
      tools: [{ name: TOOL_NAME, description: 'Record the entry.', input_schema: descriptionJsonSchema() }],
      tool_choice: { type: 'tool', name: TOOL_NAME },
    };
    const out = await client.send(
      new InvokeModelCommand({ modelId: MODEL_ID, contentType: 'application/json', body: JSON.stringify(body) }),
    );
    const answer = JSON.parse(new TextDecoder().decode(out.body));

    expect(answer).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'tool_use' });
    expect(answer.content[0]).toMatchObject({ type: 'tool_use', name: TOOL_NAME });
    expect(ImageDescription.safeParse(answer.content[0].input).success).toBe(true);
    expect(answer.usage.input_tokens).toBeGreaterThan(0);
    expect(standIn.stats().totals.inputTokens).toBe(answer.usage.input_tokens);
  });

  it('refuses a body without max_tokens as Bedrock does', async () => {
    const body = { anthropic_version: 'bedrock-2023-05-31', messages: [{ role: 'user', content: 'hi' }] };
    const error = await failure(
      client.send(
        new InvokeModelCommand({ modelId: MODEL_ID, contentType: 'application/json', body: JSON.stringify(body) }),
      ),
    );

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain('max_tokens');
  });
});

describe("Bedrock's validation, as the SDK's ValidationException", () => {
  it('refuses a model that is not Anthropic Claude', async () => {
    const error = await failure(converse(client, converseInput(rocket, 'jpeg', { modelId: 'amazon.titan-text-v1' })));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain('model identifier is invalid');
  });

  it('refuses an image over 3.75 MB', async () => {
    const big = await noisePng(1200, 1100);
    expect(big.length).toBeGreaterThan(3.75 * 1024 * 1024);

    const error = await failure(converse(client, converseInput(big, 'png')));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain('max size');
  });

  it('refuses an image over 8000 px on a side', async () => {
    const wide = await sharp({ create: { width: 8001, height: 8, channels: 3, background: '#000' } })
      .png()
      .toBuffer();

    const error = await failure(converse(client, converseInput(wide, 'png')));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain('8000');
  });

  it('refuses bytes that are not the declared format, an unsupported format, and non-images', async () => {
    const tiff = fixture('coffee.tif');
    const cases: Array<[Buffer, string, string]> = [
      [rocket, 'png', 'does not match the provided media type image/png'],
      [tiff, 'tiff', 'enum value set'],
      [tiff, 'jpeg', 'does not match'],
      [Buffer.from('definitely not an image'), 'jpeg', 'Could not process image'],
    ];
    for (const [bytes, format, message] of cases) {
      const error = await failure(converse(client, converseInput(bytes, format)));
      expect(error).toBeInstanceOf(ValidationException);
      expect(error.message).toContain(message);
    }
    expect(standIn.stats()).toMatchObject({ invalid: 4, totals: { requests: 0 } });
  });

  it('refuses a truncated image whose header is fine when the analyser decodes it', async () => {
    const photo = await solidJpeg(256, 256);
    const error = await failure(converse(client, converseInput(photo.subarray(0, photo.length / 2), 'jpeg')));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain('Could not process image');
  });

  it('refuses max tokens over the model limit and a forced tool that is not offered', async () => {
    const tooMany = await failure(converse(client, converseInput(rocket, 'jpeg', { maxTokens: 70_000 })));
    const input = converseInput(rocket, 'jpeg');
    input.toolConfig!.toolChoice = { tool: { name: 'other_tool' } };
    const unknownTool = await failure(converse(client, input));

    expect(tooMany).toBeInstanceOf(ValidationException);
    expect(tooMany.message).toContain('64000');
    expect(unknownTool).toBeInstanceOf(ValidationException);
  });
});

describe('errors raised by the SDK as their real classes', () => {
  it('throttles over the requests quota with ThrottlingException', async () => {
    standIn.setQuota({ rpm: 1 });
    await converse(client, converseInput(rocket, 'jpeg'));

    const error = await failure(converse(client, converseInput(rocket, 'jpeg')));

    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error.message).toBe('Too many requests, please wait before trying again.');
    expect((error as ThrottlingException).$metadata.httpStatusCode).toBe(429);
  });

  it('throttles over the tokens quota with ThrottlingException', async () => {
    standIn.setQuota({ tpm: 1500 });

    const error = await failure(converse(client, converseInput(rocket, 'jpeg', { maxTokens: 1024 })));

    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error.message).toBe('Too many tokens, please wait before trying again.');
  });

  it.each([
    ['serviceUnavailableRate', ServiceUnavailableException, 503],
    ['internalErrorRate', InternalServerException, 500],
    ['modelNotReadyRate', ModelNotReadyException, 429],
    ['modelTimeoutRate', ModelTimeoutException, 408],
  ] as const)('injects %s as %o', async (rate, Class, status) => {
    standIn.setFaults({ [rate]: 1 });

    const error = await failure(converse(client, converseInput(rocket, 'jpeg')));

    expect(error).toBeInstanceOf(Class);
    expect((error as ThrottlingException).$metadata.httpStatusCode).toBe(status);
  });

  it('drops the connection: the SDK fails without a service exception', async () => {
    standIn.setFaults({ dropConnectionRate: 1 });

    const error = await failure(converse(client, converseInput(rocket, 'jpeg')));

    expect(error).not.toHaveProperty('$fault');
    expect(error.message).toContain('NGHTTP2_INTERNAL_ERROR');
    expect(standIn.stats().faults.dropConnection).toBe(1);
  });

  it('returns malformed tool output that the catalogue schema rejects', async () => {
    standIn.setFaults({ malformedOutputRate: 1 });

    for (let i = 0; i < 6; i++) {
      const out = await converse(client, converseInput(rocket, 'jpeg'));
      expect(ImageDescription.safeParse(out.output?.message?.content?.[0]?.toolUse?.input).success).toBe(false);
    }
  });
});

describe('admin routes over HTTP/1.1', () => {
  it('serves stats, changes the quota and the faults, and resets', async () => {
    await converse(client, converseInput(rocket, 'jpeg'));

    const stats = await (await fetch(`${standIn.url}/_standin/stats`)).json();
    const quota = await fetch(`${standIn.url}/_standin/quota`, {
      method: 'PUT',
      body: JSON.stringify({ modelId: MODEL_ID, rpm: 7 }),
    });
    const badQuota = await fetch(`${standIn.url}/_standin/quota`, { method: 'PUT', body: JSON.stringify({ rpm: -1 }) });
    const faults = await fetch(`${standIn.url}/_standin/faults`, {
      method: 'PUT',
      body: JSON.stringify({ latencyMs: 3 }),
    });
    const reset = await fetch(`${standIn.url}/_standin/reset`, { method: 'POST' });

    expect(stats.totals).toMatchObject({ requests: 1, accepted: 1 });
    expect(await quota.json()).toMatchObject({ overrides: { [MODEL_ID]: { rpm: 7 } } });
    expect(badQuota.status).toBe(400);
    expect(await faults.json()).toMatchObject({ latencyMs: 3 });
    expect(reset.status).toBe(200);
    expect(standIn.stats().totals.requests).toBe(0);
    expect(standIn.stats().models).toEqual({});
    standIn.setQuota({ modelId: MODEL_ID, rpm: 1000 });
  });

  it('answers unknown operations with 404', async () => {
    const response = await fetch(`${standIn.url}/model/${encodeURIComponent(MODEL_ID)}/converse-stream`, {
      method: 'POST',
      body: '{}',
    });

    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });
});
