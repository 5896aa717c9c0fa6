import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BedrockStandIn, createBedrockStandIn } from '../../../local/bedrock/server.ts';
import { claudeScaledSize, imageTokens, textTokens } from '../../../local/bedrock/tokens.ts';
import { descriptionJsonSchema } from '../../../shared/catalogue.ts';
import { rowByKey } from '../../../shared/models.ts';
import { bedrockClient, converse, converseInput, PROMPT, solidJpeg, TOOL_NAME } from './helpers.ts';

describe('Claude token counts', () => {
  it("counts image tokens as ⌈w × h / 750⌉, Anthropic's published examples included", () => {
    expect(imageTokens(200, 200)).toBe(54);
    expect(imageTokens(1000, 1000)).toBe(1334);
    expect(imageTokens(100, 75)).toBe(10);
  });

  it("counts on the size after Claude's own downscale (long edge 1568, ~1.15 MP)", () => {
    expect(claudeScaledSize(4000, 3000)).toEqual({ width: 1238, height: 928 });
    expect(imageTokens(4000, 3000)).toBe(1532);
    expect(claudeScaledSize(3000, 600)).toEqual({ width: 1568, height: 313 });
    expect(imageTokens(8000, 8000)).toBe(imageTokens(1072, 1072));
    expect(claudeScaledSize(640, 427)).toEqual({ width: 640, height: 427 });
  });

  it('counts text as ⌈characters / 4⌉', () => {
    expect(textTokens(0)).toBe(0);
    expect(textTokens(1)).toBe(1);
    expect(textTokens(8)).toBe(2);
    expect(textTokens(9)).toBe(3);
  });
});

describe('usage reported to the client', () => {
  let standIn: BedrockStandIn;
  beforeAll(async () => {
    standIn = await createBedrockStandIn();
  });
  afterAll(() => standIn.close());

  it('is image tokens + prompt and tool schema tokens in, the answer JSON / 4 out', async () => {
    const client = bedrockClient(standIn.url);
    const system = 'You catalogue photographs.';
    const image = await solidJpeg(100, 75);

    const out = await converse(client, converseInput(image, 'jpeg', { system }));
    client.destroy();

    const characters =
      system.length + PROMPT.length + TOOL_NAME.length + JSON.stringify(descriptionJsonSchema()).length;
    const answer = JSON.stringify(out.output?.message?.content?.[0]?.toolUse?.input);
    // Reported input includes the system prompt Claude adds for tool use (Haiku 4.5: 313 with a forced tool).
    const hidden = rowByKey('claude-haiku-4-5').toolUseSystemTokens;
    expect(out.usage?.inputTokens).toBe(10 + Math.ceil(characters / 4) + hidden);
    expect(out.usage?.outputTokens).toBe(Math.ceil(answer.length / 4));
    const model = Object.values(standIn.stats().models)[0]!;
    // The quota counts output tokens with the model's burndown (5 on Haiku 4.5).
    expect(model.minutes[0]).toMatchObject({
      tokensReserved: (out.usage?.inputTokens ?? 0) + 1024,
      tokensSettled: (out.usage?.inputTokens ?? 0) + 5 * (out.usage?.outputTokens ?? 0),
    });
  });
});
