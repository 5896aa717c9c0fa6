import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOOL_SCHEMA_CHARS,
  estimateTokens,
  MAX_IMAGE_TOKENS,
  settledTokens,
  TOOL_USE_SYSTEM_TOKENS,
} from '../../../worker/quota/estimate.ts';

describe('estimateTokens', () => {
  const tool = TOOL_USE_SYSTEM_TOKENS + Math.ceil(DEFAULT_TOOL_SCHEMA_CHARS / 4);

  it('adds image (w × h / 750), prompt (chars / 4), tool definition and max_tokens', () => {
    expect(estimateTokens({ width: 1000, height: 750, promptChars: 400, maxTokens: 1024 })).toBe(
      1000 + 100 + tool + 1024,
    );
    expect(estimateTokens({ width: 1, height: 1, promptChars: 1, maxTokens: 64 })).toBe(1 + 1 + tool + 64);
  });

  it('caps the image at what Claude downscales it to', () => {
    const huge = estimateTokens({ width: 8000, height: 8000, promptChars: 0, maxTokens: 0 });
    expect(huge).toBe(MAX_IMAGE_TOKENS + tool);
    // A prepared image at the default long edge (1568 × 1045 = 2,185 by the formula) is capped too.
    expect(estimateTokens({ width: 1568, height: 1045, promptChars: 0, maxTokens: 0 })).toBe(MAX_IMAGE_TOKENS + tool);
  });

  it('takes another tool schema size (a category list)', () => {
    const base = estimateTokens({ width: 750, height: 1, promptChars: 0, maxTokens: 0, toolSchemaChars: 0 });
    expect(base).toBe(1 + TOOL_USE_SYSTEM_TOKENS);
    expect(estimateTokens({ width: 750, height: 1, promptChars: 0, maxTokens: 0, toolSchemaChars: 401 })).toBe(
      base + 101,
    );
  });

  it('the default tool schema is the catalogue entry (about 1.4 KB of JSON)', () => {
    expect(DEFAULT_TOOL_SCHEMA_CHARS).toBeGreaterThan(500);
    expect(DEFAULT_TOOL_SCHEMA_CHARS).toBeLessThan(10_000);
  });
});

describe('settledTokens', () => {
  it('counts input + output × burndown', () => {
    expect(settledTokens({ inputTokens: 1500, outputTokens: 200 })).toBe(1700);
    expect(settledTokens({ inputTokens: 1500, outputTokens: 200 }, 5)).toBe(2500);
  });
});
