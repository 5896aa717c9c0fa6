import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { readStackConfig } from '../../infra/readStackConfig.ts';
import { DEFAULT_SUFFIXES, parseStackConfig, STACK_CONFIG } from '../../infra/stackConfigSchema.ts';
import { ConfigError } from '../../shared/errors.ts';

function issuesOf(fn: () => unknown): Array<{ variable: string; message: string }> {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseStackConfig', () => {
  it('applies the documented defaults', () => {
    const c = parseStackConfig({});
    expect(c).toMatchObject({
      maxReceiveCount: 5,
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
    const issues = issuesOf(() => parseStackConfig({ maxReceiveCount: 0, quotaStore: 'memcached', subnetIds: 'a' }));
    expect(issues.map((i) => i.variable).sort()).toEqual(['maxReceiveCount', 'quotaStore', 'subnetIds']);
  });

  it('checks the rules between keys', () => {
    const issues = issuesOf(() =>
      parseStackConfig({
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

  it('needs a public IP in the created VPC, and two subnets for Redis replicas in a given one', () => {
    expect(issuesOf(() => parseStackConfig({ assignPublicIp: false })).map((i) => i.variable)).toEqual([
      'assignPublicIp',
    ]);
    const byo = { vpcId: 'vpc-1', subnetIds: ['subnet-1'], redisReplicas: 1 };
    expect(issuesOf(() => parseStackConfig(byo)).map((i) => i.variable)).toEqual(['subnetIds']);
    expect(parseStackConfig({ ...byo, quotaStore: 'none' }).quotaStore).toBe('none');
  });

  it('checks workerEnvironment against the worker schema and the variables the stack owns', () => {
    const messages = issuesOf(() =>
      parseStackConfig({ workerEnvironment: ['NOPE=1', 'QUEUE_URL=https://x', 'MODEL_TIMEOUT_MS=900000', 'x'] }),
    ).map((i) => `${i.variable}: ${i.message}`);
    expect(messages).toEqual([
      'workerEnvironment: "x" is not NAME=value',
      'workerEnvironment: NOPE is not a worker variable (shared/config.ts)',
      'workerEnvironment: QUEUE_URL is set by the stack; use its config key',
      'workerEnvironment: HANDLER_TIMEOUT_SECONDS: must be at least MODEL_TIMEOUT_MS',
    ]);
    expect(parseStackConfig({ workerEnvironment: ['LOG_LEVEL=debug'] }).workerEnvironment).toEqual(['LOG_LEVEL=debug']);
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
