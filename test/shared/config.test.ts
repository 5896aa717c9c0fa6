import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig, requireConfig } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';

describe('loadConfig', () => {
  it('gives every variable its default', () => {
    const c = loadConfig({});
    expect(c.model.id).toBe('global.anthropic.claude-haiku-5-5');
    expect(c.quota).toMatchObject({ outputBurndown: 5, outputBurndownSource: 'model table' });
    expect(c.quota).toMatchObject({ rpm: 1000, tpm: 2_000_000, outputBurndown: 5 });
    expect(c.image.maxEdge).toBe(1568);
    expect(c.consumer.visibilityTimeoutSeconds).toBeGreaterThan(c.consumer.heartbeatSeconds);
    expect(c.queueUrl).toBeUndefined();
  });

  it('reports every problem at once, naming each variable', () => {
    try {
      loadConfig({ QUOTA_RPM: 'lots', IMAGE_FORMAT: 'bmp', QUEUE_URL: 'not a url', WORKER_BATCH_SIZE: '11' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const vars = (error as ConfigError).issues.map((i) => i.variable).sort();
      expect(vars).toEqual(['IMAGE_FORMAT', 'QUEUE_URL', 'QUOTA_RPM', 'WORKER_BATCH_SIZE']);
      expect((error as Error).message).toContain('QUOTA_RPM');
    }
  });

  it('checks cross-field rules', () => {
    expect(() => loadConfig({ HEARTBEAT_SECONDS: '300', VISIBILITY_TIMEOUT_SECONDS: '300' })).toThrow(
      /HEARTBEAT_SECONDS: must be less than VISIBILITY_TIMEOUT_SECONDS/,
    );
  });

  it('parses lists and booleans, and treats empty strings as unset', () => {
    const c = loadConfig({ CATEGORIES: 'food, people ,space', SKIP_SAME_CONTENT: 'no', TABLE_NAME: '' });
    expect(c.model.categories).toEqual(['food', 'people', 'space']);
    expect(c.skipSameContent).toBe(false);
    expect(c.tableName).toBe('image-catalogue');
  });

  it('names the variables a command requires', () => {
    expect(() => requireConfig(loadConfig({}), ['queueUrl'])).toThrow(/QUEUE_URL: required/);
  });

  it('documents every variable with its default', () => {
    const doc = describeConfig();
    expect(doc).toContain('QUOTA_TPM');
    expect(doc).toContain('[default: 2000000]');
  });
});
