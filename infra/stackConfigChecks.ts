import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../shared/errors.ts';
import {
  fargateMemoryOptions,
  LOG_RETENTION_DAYS,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  overlappingSuffixes,
  queueVisibilityTimeoutSeconds,
} from './rules.ts';
import { STACK_CONFIG, type StackConfig, type StackConfigKey } from './stackConfigSchema.ts';
import { workerEnvironmentIssues } from './workerEnvironment.ts';

/** Rules between stack config keys, checked after each key's own schema: every problem at once, each naming its key. */
/**
 * Validates raw config values (undefined = unset) and applies the defaults.
 * @throws ConfigError listing every problem at once, each naming its config key.
 */
export function parseStackConfig(raw: Partial<Record<StackConfigKey, unknown>>): StackConfig {
  const issues: ConfigIssue[] = [];
  const parsed: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(STACK_CONFIG)) {
    const result = entry.schema.safeParse(raw[key as StackConfigKey]);
    if (result.success) parsed[key] = result.data;
    else for (const issue of result.error.issues) issues.push({ variable: key, message: issue.message });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const config = parsed as StackConfig;
  issues.push(...crossFieldIssues(config), ...workerEnvironmentIssues(config));
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

function crossFieldIssues(c: StackConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (variable: StackConfigKey, message: string) => issues.push({ variable, message });
  if (c.maxWorkers < c.minWorkers) add('maxWorkers', 'must be at least minWorkers');
  const memory = fargateMemoryOptions(c.workerCpu);
  if (memory.length === 0) add('workerCpu', 'Fargate allows 256, 512, 1024, 2048, 4096, 8192 or 16384');
  else if (!memory.includes(c.workerMemory)) {
    add('workerMemory', `with workerCpu ${c.workerCpu}, Fargate allows ${memory[0]}-${memory.at(-1)} MiB in steps`);
  }
  if (!LOG_RETENTION_DAYS.includes(c.logRetentionDays)) {
    add('logRetentionDays', `CloudWatch allows ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  if (queueVisibilityTimeoutSeconds(c.handlerTimeoutSeconds) > MAX_VISIBILITY_TIMEOUT_SECONDS) {
    add('handlerTimeoutSeconds', `6x must fit the ${MAX_VISIBILITY_TIMEOUT_SECONDS} s SQS visibility limit`);
  }
  for (const [a, b] of overlappingSuffixes(c.notificationSuffixes)) {
    add('notificationSuffixes', `"${a}" and "${b}" overlap; S3 rejects overlapping filters`);
  }
  if (Boolean(c.vpcId) !== c.subnetIds.length > 0) add('subnetIds', 'vpcId and subnetIds go together');
  if (!c.vpcId && c.assignPublicIp) {
    add('assignPublicIp', 'the created VPC has private subnets only; its tasks reach AWS through VPC endpoints');
  }
  if (c.vpcId && c.quotaStore === 'redis' && c.redisReplicas > 0 && c.subnetIds.length < 2) {
    add('subnetIds', 'Redis replicas (Multi-AZ) need subnets in two availability zones');
  }
  if (c.ecrImmutableTags && !c.workerImage) {
    add('workerImage', 'with ecrImmutableTags, name a versioned image (":latest" cannot be pushed twice)');
  }
  if (c.alarmEmail && !z.email().safeParse(c.alarmEmail).success) add('alarmEmail', 'is not an email address');
  if (c.queueKmsKeyArn && !c.queueKmsKeyArn.startsWith('arn:')) {
    add('queueKmsKeyArn', 'must be a key ARN (the worker role is granted that key only)');
  }
  return [...issues, ...browserIssues(c), ...modelIssues(c)];
}

function browserIssues(c: StackConfig): ConfigIssue[] {
  if (!c.browser) return [];
  const issues: ConfigIssue[] = [];
  const add = (variable: StackConfigKey, message: string) => issues.push({ variable, message });
  const need = 'the browser needs its own name and certificate (sign-in callback, TLS 1.2); or set browser: false';
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(c.browserDomain)) {
    add('browserDomain', c.browserDomain ? 'is not a host name' : need);
  }
  if (!/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(c.browserCertificateArn)) {
    add('browserCertificateArn', c.browserCertificateArn ? 'must be an ACM certificate ARN in us-east-1' : need);
  }
  if (c.browserAuth === 'oidc') {
    if (!z.url({ protocol: /^https$/ }).safeParse(c.browserOidcIssuer).success) {
      add('browserOidcIssuer', 'with browserAuth oidc, the https issuer URL');
    }
    if (!c.browserOidcClientId) add('browserOidcClientId', 'with browserAuth oidc, the client id');
  }
  return issues;
}

/** Geographic profiles route to a fixed set of regions, which the role must name: no region wildcard. */
function modelIssues(c: StackConfig): ConfigIssue[] {
  const geographic = c.inferenceProfileId && !c.inferenceProfileId.startsWith('global.');
  if (geographic && c.inferenceProfileRegions.length === 0) {
    return [{ variable: 'inferenceProfileRegions', message: `name the regions ${c.inferenceProfileId} routes to` }];
  }
  return [];
}
