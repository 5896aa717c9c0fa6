import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { readStackConfig } from '../../infra/readStackConfig.ts';
import { parseStackConfig } from '../../infra/stackConfigChecks.ts';
import { DEFAULT_SUFFIXES, STACK_CONFIG } from '../../infra/stackConfigSchema.ts';
import { ConfigError } from '../../shared/errors.ts';
import { EXAMPLE_CONFIG } from '../../tools/infra/mockRuntime.ts';

function issuesOf(fn: () => unknown): Array<{ variable: string; message: string }> {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** The browser (on by default) needs a name and a certificate only the user can give. */
const BROWSER = EXAMPLE_CONFIG as { browserDomain: string; browserCertificateArn: string };

describe('parseStackConfig', () => {
  it('applies the documented defaults', () => {
    const c = parseStackConfig({ ...BROWSER });
    expect(c).toMatchObject({
      maxReceiveCount: 10,
      quotaStore: 'redis',
      browser: true,
      minWorkers: 1,
      maxWorkers: 4,
      vpcId: '',
      subnetIds: [],
      modelId: 'anthropic.claude-haiku-5-5',
      inferenceProfileId: 'global.anthropic.claude-haiku-5-5',
    });
    expect(c.notificationSuffixes).toEqual(DEFAULT_SUFFIXES);
    expect(Object.keys(c).sort()).toEqual(Object.keys(STACK_CONFIG).sort());
  });

  it('reports every bad value at once, each naming its key', () => {
    const issues = issuesOf(() =>
      parseStackConfig({ ...BROWSER, maxReceiveCount: 0, quotaStore: 'memcached', subnetIds: 'a' }),
    );
    expect(issues.map((i) => i.variable).sort()).toEqual(['maxReceiveCount', 'quotaStore', 'subnetIds']);
  });

  it('checks the rules between keys', () => {
    const issues = issuesOf(() =>
      parseStackConfig({
        ...BROWSER,
        minWorkers: 5,
        maxWorkers: 2,
        workerCpu: 1024,
        workerMemory: 1024,
        logRetentionDays: 10,
        notificationSuffixes: ['.jpg', 'jpg'],
        vpcId: 'vpc-1',
        assignPublicIp: false,
        alarmEmail: 'not-an-email',
        ecrImmutableTags: true,
        queueKmsKeyArn: 'alias/aws/sqs',
      }),
    );
    expect(issues.map((i) => i.variable).sort()).toEqual(
      [
        'alarmEmail',
        'maxWorkers',
        'notificationSuffixes',
        'queueKmsKeyArn',
        'subnetIds',
        'workerImage',
        'workerMemory',
        'logRetentionDays',
      ].sort(),
    );
  });

  it('gives no public IP in the created VPC, and needs two subnets for Redis replicas in a given one', () => {
    expect(parseStackConfig({ ...BROWSER }).assignPublicIp).toBe(false);
    expect(issuesOf(() => parseStackConfig({ ...BROWSER, assignPublicIp: true })).map((i) => i.variable)).toEqual([
      'assignPublicIp',
    ]);
    const byo = { ...BROWSER, vpcId: 'vpc-1', subnetIds: ['subnet-1'], redisReplicas: 1 };
    expect(issuesOf(() => parseStackConfig(byo)).map((i) => i.variable)).toEqual(['subnetIds']);
    expect(parseStackConfig({ ...byo, quotaStore: 'none' }).quotaStore).toBe('none');
  });

  it('checks workerEnvironment against the worker schema and the variables the stack owns', () => {
    const messages = issuesOf(() =>
      parseStackConfig({
        ...BROWSER,
        workerEnvironment: ['NOPE=1', 'QUEUE_URL=https://x', 'MODEL_TIMEOUT_MS=900000', 'x'],
      }),
    ).map((i) => `${i.variable}: ${i.message}`);
    expect(messages).toEqual([
      'workerEnvironment: "x" is not NAME=value',
      'workerEnvironment: NOPE is not a worker variable (shared/config.ts)',
      'workerEnvironment: QUEUE_URL is set by the stack; use its config key',
      'workerEnvironment: HANDLER_TIMEOUT_SECONDS: must be at least MODEL_TIMEOUT_MS',
    ]);
    expect(parseStackConfig({ ...BROWSER, workerEnvironment: ['LOG_LEVEL=debug'] }).workerEnvironment).toEqual([
      'LOG_LEVEL=debug',
    ]);
  });
});

describe('the browser and model keys', () => {
  it('needs the browser its own name and an ACM certificate in us-east-1, unless it is off', () => {
    expect(issuesOf(() => parseStackConfig({})).map((i) => i.variable)).toEqual([
      'browserDomain',
      'browserCertificateArn',
    ]);
    const wrong = {
      browserDomain: 'https://x',
      browserCertificateArn: BROWSER.browserCertificateArn.replace('us-east-1', 'eu-west-1'),
    };
    expect(issuesOf(() => parseStackConfig(wrong)).map((i) => i.message)).toEqual([
      'is not a host name',
      'must be an ACM certificate ARN in us-east-1',
    ]);
    expect(parseStackConfig({ browser: false }).browser).toBe(false);
  });

  it('needs the issuer and client of the team’s own OIDC provider', () => {
    const issues = issuesOf(() =>
      parseStackConfig({ ...BROWSER, browserAuth: 'oidc', browserOidcIssuer: 'http://idp' }),
    );
    expect(issues.map((i) => i.variable)).toEqual(['browserOidcIssuer', 'browserOidcClientId']);
  });

  it('needs the regions of a geographic inference profile, not of a global one', () => {
    const us = { ...BROWSER, inferenceProfileId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0' };
    expect(issuesOf(() => parseStackConfig(us)).map((i) => i.variable)).toEqual(['inferenceProfileRegions']);
    expect(parseStackConfig({ ...us, inferenceProfileRegions: ['us-east-1', 'us-east-2', 'us-west-2'] })).toBeTruthy();
    expect(
      parseStackConfig({ ...BROWSER, inferenceProfileId: 'global.anthropic.claude-haiku-4-5-20251001-v1:0' }),
    ).toBeTruthy();
  });
});

describe('readStackConfig', () => {
  it('reads each key with the getter of its type and reports type errors together', () => {
    pulumi.runtime.setAllConfig({
      'image-catalogue:maxWorkers': '9',
      'image-catalogue:subnetIds': '["subnet-1","subnet-2"]',
      'image-catalogue:vpcId': 'vpc-9',
      'image-catalogue:browser': 'false',
    });
    const config = readStackConfig(new pulumi.Config('image-catalogue'));
    expect(config).toMatchObject({
      maxWorkers: 9,
      subnetIds: ['subnet-1', 'subnet-2'],
      vpcId: 'vpc-9',
      browser: false,
    });

    pulumi.runtime.setAllConfig({ 'image-catalogue:maxWorkers': 'many', 'image-catalogue:browser': 'maybe' });
    const issues = issuesOf(() => readStackConfig(new pulumi.Config('image-catalogue')));
    expect(issues.map((i) => i.variable).sort()).toEqual(['browser', 'maxWorkers']);
  });
});
