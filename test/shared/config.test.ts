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

describe('AWS_REGION and REDIS_URL', () => {
  const local = {
    S3_ENDPOINT: 'http://127.0.0.1:4566',
    SQS_ENDPOINT: 'http://127.0.0.1:4566',
    DYNAMODB_ENDPOINT: 'http://127.0.0.1:4567',
    BEDROCK_ENDPOINT: 'http://127.0.0.1:4568',
  };

  it('accepts the regions of every AWS partition', () => {
    for (const region of [
      'us-east-1',
      'eu-west-3',
      'ap-southeast-7',
      'mx-central-1',
      'cn-northwest-1',
      'us-gov-west-1',
    ]) {
      expect(loadConfig({ AWS_REGION: region }).region).toBe(region);
    }
  });

  it('refuses a region outside them, naming AWS_REGION', () => {
    for (const region of ['mars-1', 'us-east', 'US-EAST-1', 'useast1', 'eu-west-1a', 'local']) {
      expect(() => loadConfig({ AWS_REGION: region }), region).toThrow(/AWS_REGION: .* is not an AWS region/);
    }
  });

  it('accepts a custom region only when every service has a local endpoint', () => {
    expect(loadConfig({ ...local, AWS_REGION: 'local' }).region).toBe('local');
    const { BEDROCK_ENDPOINT: _, ...partly } = local;
    expect(() => loadConfig({ ...partly, AWS_REGION: 'local' })).toThrow(/AWS_REGION/);
  });

  it('accepts redis:// and rediss:// URLs with a password, port and database', () => {
    for (const url of ['redis://127.0.0.1:6379', 'rediss://:token@quota.cache.amazonaws.com:6379/0', 'redis://h']) {
      expect(loadConfig({ REDIS_URL: url }).quota.redisUrl).toBe(url);
    }
  });

  it('refuses a malformed REDIS_URL without repeating it', () => {
    const cases: Array<[string, RegExp]> = [
      ['quota-store:6379', /scheme must be redis: or rediss:/],
      ['redis//:pw@host', /not a URL/],
      ['https://host:6379', /scheme must be/],
      ['redis://host:6379/queue', /database number/],
    ];
    for (const [url, message] of cases) {
      try {
        loadConfig({ REDIS_URL: url });
        expect.unreachable(url);
      } catch (error) {
        expect((error as Error).message).toMatch(/REDIS_URL: /);
        expect((error as Error).message).toMatch(message);
        expect((error as Error).message).not.toContain(url);
      }
    }
  });
});
