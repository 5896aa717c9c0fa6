import { describe, expect, it } from 'vitest';
import { descriptionJsonSchema } from '../../shared/catalogue.ts';
import { buildAnthropicBody, buildConverseInput, strictSchema } from '../../shared/modelRequest.ts';
import {
  DEFAULT_MODEL_ID,
  imageTokensFor,
  MODEL_TABLE,
  priceOf,
  profileIdOf,
  resolveModel,
  rowByKey,
  traitsOf,
  usabilityProblem,
} from '../../shared/models.ts';

const image = { format: 'jpeg' as const, bytes: new Uint8Array([0xff, 0xd8, 0xff]) };
const request = (modelId: string) => ({
  modelId,
  system: 'Describe the image.',
  image,
  maxTokens: 1024,
  toolSchema: descriptionJsonSchema(),
});

describe('model table', () => {
  it('resolves bare ids, profiles and ARNs to the same row', () => {
    const forms = [
      'anthropic.claude-haiku-4-5-20251001-v1:0',
      'us.anthropic.claude-haiku-4-5-20251001-v1:0',
      'global.anthropic.claude-haiku-4-5-20251001-v1:0',
      'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-haiku-4-5-20251001-v1:0',
    ];
    expect(forms.map((f) => resolveModel(f).row?.key)).toEqual(Array(forms.length).fill('claude-haiku-4-5'));
    expect(forms.map((f) => resolveModel(f).via)).toEqual(['bare', 'us', 'global', 'bare', 'eu']);
    expect(resolveModel('anthropic.claude-unknown-9').row).toBeUndefined();
  });

  it('the default is the cheapest active row, called through its global profile, with thinking turned off', () => {
    const active = MODEL_TABLE.filter((r) => r.lifecycle === 'active' && r.output.forcedTool);
    const cheapest = [...active].sort((a, b) => a.price.outputPerMillion - b.price.outputPerMillion)[0];
    const model = resolveModel(DEFAULT_MODEL_ID);
    expect(model.row?.key).toBe(cheapest?.key);
    expect(model.via).toBe('global');
    expect(usabilityProblem(model, '2026-12-01')).toBeUndefined();
    expect(traitsOf(model).thinkingOff).toEqual({ type: 'disabled' });
  });

  it('tells end of life, with the date and a replacement, and a bare id of a profile-only model', () => {
    expect(usabilityProblem(resolveModel('anthropic.claude-3-haiku-20240307-v1:0'), '2026-12-01')).toEqual({
      kind: 'end-of-life',
      date: '2026-09-10',
      replacement: 'global.anthropic.claude-haiku-5-5',
    });
    expect(usabilityProblem(resolveModel('anthropic.claude-haiku-5-5'))).toEqual({
      kind: 'profile-required',
      profileId: 'global.anthropic.claude-haiku-5-5',
    });
    expect(usabilityProblem(resolveModel('apac.anthropic.claude-haiku-5-5'))?.kind).toBe('profile-not-offered');
    expect(profileIdOf(rowByKey('claude-3-haiku'))).toBe('us.anthropic.claude-3-haiku-20240307-v1:0');
  });

  it('every row is complete: prices, dates, burndown, a replacement that exists', () => {
    for (const row of MODEL_TABLE) {
      expect(row.price.inputPerMillion).toBeGreaterThan(0);
      expect(row.price.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect([1, 5]).toContain(row.outputBurndown);
      if (row.lifecycle === 'end-of-life') expect(row.endOfLife).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (row.replacement) expect(rowByKey(row.replacement).lifecycle).toBe('active');
      if (row.thinking.defaultOn) expect(row.thinking.off).toBeDefined();
    }
  });

  it('prices the global profile below the geographic one for the newer models', () => {
    const global = priceOf('global.anthropic.claude-haiku-5-5');
    const us = priceOf('us.anthropic.claude-haiku-5-5');
    expect(global?.inputPerMillion).toBe(0.1);
    expect(us?.inputPerMillion).toBeCloseTo(0.11);
    expect(priceOf('us.anthropic.claude-3-haiku-20240307-v1:0')?.inputPerMillion).toBe(0.25);
  });

  it('counts image tokens with the model image rule (downscaled past 1568 px / 1.15 MP)', () => {
    const rule = rowByKey('claude-haiku-4-5').image;
    expect(imageTokensFor(rule, 1000, 750)).toBe(1000);
    expect(imageTokensFor(rule, 8000, 6000)).toBeLessThanOrEqual(1534);
    expect(imageTokensFor(rule, 0, 10)).toBe(0);
  });

  it('guesses cautiously for an unknown id: no sampling, burndown 5', () => {
    const traits = traitsOf(resolveModel('us.anthropic.claude-sonnet-9'));
    expect(traits).toMatchObject({ known: false, sampling: 'none', outputBurndown: 5, strictTool: false });
  });
});

describe('requests shaped per model', () => {
  it('a Haiku 5.5 request carries no temperature, top_p or top_k, and turns thinking off', () => {
    for (const id of ['global.anthropic.claude-haiku-5-5', 'us.anthropic.claude-haiku-5-5']) {
      const converse = buildConverseInput(request(id));
      expect(converse.inferenceConfig).toEqual({ maxTokens: 1024 });
      expect(converse.additionalModelRequestFields).toEqual({ thinking: { type: 'disabled' } });
      const body = buildAnthropicBody(request(id));
      expect(Object.keys(body)).not.toContain('temperature');
      expect(Object.keys(body)).not.toContain('top_p');
      expect(Object.keys(body)).not.toContain('top_k');
      expect(body.thinking).toEqual({ type: 'disabled' });
    }
  });

  it('a Haiku 4.5 request never carries both temperature and top_p, and uses a strict tool', () => {
    const converse = buildConverseInput(request('us.anthropic.claude-haiku-4-5-20251001-v1:0'));
    expect(converse.inferenceConfig?.temperature).toBe(0);
    expect(converse.inferenceConfig?.topP).toBeUndefined();
    expect(converse.additionalModelRequestFields).toBeUndefined();
    const spec = converse.toolConfig?.tools?.[0]?.toolSpec;
    expect(spec?.strict).toBe(true);
    const body = buildAnthropicBody(request('us.anthropic.claude-haiku-4-5-20251001-v1:0'));
    expect(body.temperature).toBe(0);
    expect(body.top_p).toBeUndefined();
  });

  it('puts the prompt in the system prompt and forces the one tool in both forms', () => {
    const converse = buildConverseInput(request(DEFAULT_MODEL_ID));
    expect(converse.system).toEqual([{ text: 'Describe the image.' }]);
    expect(converse.toolConfig?.toolChoice).toEqual({ tool: { name: 'record_catalogue_entry' } });
    const body = buildAnthropicBody(request(DEFAULT_MODEL_ID));
    expect(body.system).toBe('Describe the image.');
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'record_catalogue_entry' });
    expect(JSON.stringify(body.messages)).toContain('"media_type":"image/jpeg"');
  });

  it('a strict schema closes every object and drops what strict mode cannot express', () => {
    const schema = JSON.stringify(strictSchema(descriptionJsonSchema()));
    expect(schema).not.toMatch(/"(maxLength|minLength|maximum|minimum|maxItems)"/);
    expect(schema.match(/"additionalProperties":false/g)?.length).toBe(4);
  });
});
