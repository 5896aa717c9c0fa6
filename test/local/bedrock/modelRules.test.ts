import {
  AccessDeniedException,
  ConverseCommand,
  ResourceNotFoundException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BedrockStandIn, createBedrockStandIn } from '../../../local/bedrock/server.ts';
import { descriptionJsonSchema } from '../../../shared/catalogue.ts';
import { buildConverseInput } from '../../../shared/modelRequest.ts';
import { DEFAULT_MODEL_ID } from '../../../shared/models.ts';
import { bedrockClient, converse, converseInput, solidJpeg } from './helpers.ts';

let standIn: BedrockStandIn;
let client: ReturnType<typeof bedrockClient>;
let image: Buffer;

beforeAll(async () => {
  standIn = await createBedrockStandIn();
  client = bedrockClient(standIn.url);
  image = await solidJpeg(64, 48);
});
afterAll(async () => {
  client.destroy();
  await standIn.close();
});
beforeEach(() => {
  standIn.setAccess({ grant: ['*'] });
  standIn.setQuota({ tpd: undefined });
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

/** The worker's own request for a model (shared/modelRequest.ts). */
const shaped = (modelId: string) =>
  buildConverseInput({
    modelId,
    system: 'Catalogue this image.',
    image: { format: 'jpeg', bytes: image },
    maxTokens: 1024,
    toolSchema: descriptionJsonSchema(),
  });

describe('the stand-in is as strict as Bedrock, from the model table', () => {
  it('answers an end-of-life model with 404 and Bedrock message', async () => {
    const error = await failure(converse(client, shaped('anthropic.claude-3-haiku-20240307-v1:0')));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.message).toContain('This model version has reached the end of its life');
  });

  it('refuses the bare id of a profile-only model, and an id it does not know', async () => {
    const bare = await failure(converse(client, shaped('anthropic.claude-haiku-5-5')));
    expect(bare).toBeInstanceOf(ValidationException);
    expect(bare.message).toContain('with on-demand throughput isn’t supported');
    const unknown = await failure(converse(client, shaped('us.anthropic.claude-haiku-9-9')));
    expect(unknown).toBeInstanceOf(ValidationException);
    expect(unknown.message).toBe('The provided model identifier is invalid.');
    const notOffered = await failure(converse(client, shaped('apac.anthropic.claude-haiku-5-5')));
    expect(notOffered.message).toBe('The provided model identifier is invalid.');
  });

  it('takes the worker requests for each active model as they are shaped', async () => {
    for (const id of [
      DEFAULT_MODEL_ID,
      'us.anthropic.claude-haiku-4-5-20251001-v1:0',
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
    ]) {
      const out = await client.send(new ConverseCommand(shaped(id)));
      expect(out.stopReason, id).toBe('tool_use');
    }
  });

  it('enforces sampling rules: none on Haiku 5.5, temperature or top_p on Haiku 4.5', async () => {
    const withTemperature = shaped(DEFAULT_MODEL_ID);
    withTemperature.inferenceConfig = { maxTokens: 1024, temperature: 0 };
    expect(await failure(client.send(new ConverseCommand(withTemperature)))).toBeInstanceOf(ValidationException);
    const both = converseInput(image, 'jpeg');
    both.inferenceConfig = { maxTokens: 1024, temperature: 0, topP: 0.9 };
    const error = await failure(converse(client, both));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain('cannot both be specified');
  });

  it('refuses a forced tool while thinking is on (Haiku 5.5 thinks unless told not to)', async () => {
    const thinking = shaped(DEFAULT_MODEL_ID);
    delete thinking.additionalModelRequestFields;
    const error = await failure(client.send(new ConverseCommand(thinking)));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain('tool_choice forces tool use');
  });

  it('refuses strict tools where the model has none', async () => {
    const strict = shaped(DEFAULT_MODEL_ID);
    const spec = strict.toolConfig?.tools?.[0]?.toolSpec;
    if (spec) spec.strict = true;
    expect(await failure(client.send(new ConverseCommand(strict)))).toBeInstanceOf(ValidationException);
  });

  it('reports the hidden tool-use prompt as input tokens, and counts output with the model burndown', async () => {
    standIn.resetStats();
    const withTool = await client.send(new ConverseCommand(shaped(DEFAULT_MODEL_ID)));
    const settled = standIn.stats().models[DEFAULT_MODEL_ID]?.tokensSettled;
    const input = withTool.usage?.inputTokens ?? 0;
    const output = withTool.usage?.outputTokens ?? 0;
    expect(settled).toBe(input + 5 * output);
    const noTool = converseInput(image, 'jpeg', {
      modelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
      tool: false,
    });
    const withToolSameModel = converseInput(image, 'jpeg', { modelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0' });
    const a = await converse(client, noTool);
    const b = await converse(client, withToolSameModel);
    const schemaTokens = Math.ceil(
      (JSON.stringify(descriptionJsonSchema()).length + 'record_catalogue_entry'.length) / 4,
    );
    expect((b.usage?.inputTokens ?? 0) - (a.usage?.inputTokens ?? 0)).toBeGreaterThanOrEqual(schemaTokens + 313 - 1);
  });

  it('denies access to chosen models at run time, and grants it again (method and admin route)', async () => {
    standIn.setAccess({ deny: ['claude-haiku-5-5'] });
    const denied = await failure(client.send(new ConverseCommand(shaped(DEFAULT_MODEL_ID))));
    expect(denied).toBeInstanceOf(AccessDeniedException);
    // Other models are not affected.
    await client.send(new ConverseCommand(shaped('us.anthropic.claude-haiku-4-5-20251001-v1:0')));
    const grant = await fetch(`${standIn.url}/_standin/access`, {
      method: 'PUT',
      body: JSON.stringify({ grant: ['global.anthropic.claude-haiku-5-5'] }),
    });
    expect(await grant.json()).toEqual({ denied: [] });
    await client.send(new ConverseCommand(shaped(DEFAULT_MODEL_ID)));
  });

  it('counts a daily budget and answers "Too many tokens per day" when it is spent', async () => {
    standIn.resetStats();
    standIn.setQuota({ tpd: 6000, modelId: DEFAULT_MODEL_ID });
    let error: Error | undefined;
    for (let i = 0; i < 10 && !error; i++) {
      error = await client.send(new ConverseCommand(shaped(DEFAULT_MODEL_ID))).then(
        () => undefined,
        (e: Error) => e,
      );
    }
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error?.message).toBe('Too many tokens per day, please wait before trying again.');
    expect(standIn.stats().models[DEFAULT_MODEL_ID]?.throttled.day).toBe(1);
    standIn.setQuota({ tpd: 1_000_000_000, modelId: DEFAULT_MODEL_ID });
  });

  it('answers content_filtered when its filter fault fires', async () => {
    standIn.setFaults({ contentFilteredRate: 1 });
    try {
      const out = await client.send(new ConverseCommand(shaped(DEFAULT_MODEL_ID)));
      expect(out.stopReason).toBe('content_filtered');
      expect(out.output?.message?.content?.some((c) => c.toolUse)).toBe(false);
    } finally {
      standIn.setFaults({ contentFilteredRate: 0 });
    }
  });
});
