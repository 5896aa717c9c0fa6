import { z } from 'zod';
import { IMAGE_SUFFIXES } from '../shared/imageFormats.ts';

/**
 * Every configuration key of the Pulumi stack: its Pulumi.yaml type, its schema (with default) and one line of
 * documentation. One table drives the program (infra/readStackConfig.ts), the `config:` section of Pulumi.yaml and the
 * README's config table (tools/infra/configDocs.ts), so the three cannot drift apart.
 *
 * Pulumi.yaml declares no key without a default: the CLI refuses to run a stack that lacks a declared key, so
 * "unset" is spelled as an empty string or an empty list.
 */
type PulumiType = 'string' | 'integer' | 'boolean' | 'array';

interface KeyDef {
  type: PulumiType;
  group: string;
  schema: z.ZodType;
  doc: string;
}

/** Image formats the worker accepts, lower and upper case: S3 suffix filters are case-sensitive. */
export const DEFAULT_SUFFIXES: readonly string[] = IMAGE_SUFFIXES.flatMap((s) => [s, s.toUpperCase()]);

const int = (min: number, max: number, def: number) => z.number().int().min(min).max(max).default(def);
const text = (def = '') => z.string().trim().default(def);
const flag = (def: boolean) => z.boolean().default(def);
const list = (def: readonly string[] = []) =>
  z
    .array(z.string().trim().min(1))
    .default([...def])
    .transform((xs) => [...xs]);

const def = <S extends z.ZodType>(type: PulumiType, group: string, schema: S, doc: string) => ({
  type,
  group,
  schema,
  doc,
});

export const STACK_CONFIG = {
  // Storage
  imageBucketVersioning: def('boolean', 'Storage', flag(false), 'keep earlier versions of overwritten images'),
  notificationPrefix: def('string', 'Storage', text(), 'only keys under this prefix raise events; empty: all keys'),
  notificationSuffixes: def(
    'array',
    'Storage',
    list(DEFAULT_SUFFIXES),
    'key suffixes that raise events, one notification entry each (case-sensitive); empty list: every object',
  ),
  forceDestroy: def(
    'boolean',
    'Storage',
    flag(false),
    '`pulumi destroy` deletes non-empty buckets and the ECR repository with their contents',
  ),
  // Queue
  maxReceiveCount: def(
    'integer',
    'Queue',
    int(1, 1000, 10),
    'SQS receives before a message moves to the DLQ: the budget for crashes (a killed worker spends one receive of each message it held); real failures are counted by the worker (MESSAGE_MAX_ATTEMPTS)',
  ),
  queueRetentionDays: def('integer', 'Queue', int(1, 14, 4), 'days a message waits in the queue (the DLQ keeps 14)'),
  queueKmsKeyArn: def(
    'string',
    'Queue',
    text(),
    'customer-managed KMS key for both queues (its key policy must let s3.amazonaws.com use it); empty: SQS-managed SSE',
  ),
  handlerTimeoutSeconds: def(
    'integer',
    'Queue',
    int(10, 7200, 240),
    'longest time one message may take (HANDLER_TIMEOUT_SECONDS); queue visibility timeout = 6x this',
  ),
  // Catalogue table
  tableDeletionProtection: def('boolean', 'Table', flag(true), 'DynamoDB deletion protection on the catalogue table'),
  // Model and quota
  modelId: def(
    'string',
    'Model',
    text('anthropic.claude-haiku-5-5'),
    'Bedrock foundation model id (docs/models.md lists the current ones)',
  ),
  inferenceProfileId: def(
    'string',
    'Model',
    text('global.anthropic.claude-haiku-5-5'),
    'inference profile the worker calls (global.<modelId> or us./eu./... <modelId>); empty: the model itself, only for models that allow it on demand',
  ),
  inferenceProfileRegions: def(
    'array',
    'Model',
    list(),
    'regions a geographic profile (us., eu., apac.) routes to, from its model card; the role is granted exactly these',
  ),
  quotaRpm: def('integer', 'Model', int(1, 1_000_000, 1000), 'model requests per minute for the whole fleet'),
  quotaTpm: def('integer', 'Model', int(1, 1_000_000_000, 2_000_000), 'model tokens per minute for the whole fleet'),
  quotaOutputBurndown: def(
    'integer',
    'Model',
    int(0, 10, 0),
    'quota weight of an output token; 0: the model table (5 on Claude 3.7/4.x and later)',
  ),
  limiterMaxConcurrency: def('integer', 'Model', int(1, 10_000, 64), 'model calls in flight per worker task'),
  workerEnvironment: def(
    'array',
    'Model',
    list(),
    'further worker variables as NAME=value (any of shared/config.ts except those the stack sets)',
  ),
  // Worker fleet
  workerImage: def('string', 'Fleet', text(), 'worker image; empty: <ECR repository URL>:latest'),
  workerCpu: def('integer', 'Fleet', int(256, 16_384, 1024), 'Fargate CPU units per task (1024 = 1 vCPU)'),
  workerMemory: def('integer', 'Fleet', int(512, 122_880, 2048), 'Fargate memory per task, MiB'),
  workerArchitecture: def(
    'string',
    'Fleet',
    z.enum(['X86_64', 'ARM64']).default('X86_64'),
    'CPU architecture of the image: X86_64 or ARM64',
  ),
  minWorkers: def('integer', 'Fleet', int(0, 1000, 1), 'fewest worker tasks; 0 scales to zero when idle'),
  maxWorkers: def('integer', 'Fleet', int(1, 1000, 4), 'most worker tasks'),
  backlogPerWorker: def('integer', 'Fleet', int(1, 1_000_000, 500), 'queued messages per worker task when scaling'),
  scaleInIdleMinutes: def('integer', 'Fleet', int(1, 1440, 15), 'minutes of empty queue before scaling to minWorkers'),
  fargateSpot: def('boolean', 'Fleet', flag(false), 'run workers on Fargate Spot (cheaper, may be interrupted)'),
  logRetentionDays: def('integer', 'Fleet', int(1, 3653, 30), 'CloudWatch log retention, days'),
  ecrImmutableTags: def('boolean', 'Fleet', flag(false), 'ECR tags cannot be overwritten (then set workerImage)'),
  // Network
  vpcId: def('string', 'Network', text(), 'existing VPC for the workers and Redis; empty: create a small VPC'),
  subnetIds: def('array', 'Network', list(), 'subnets of vpcId (two AZs or more for Redis replicas)'),
  assignPublicIp: def(
    'boolean',
    'Network',
    flag(false),
    'tasks in vpcId get a public IP (only for public subnets without NAT); the created VPC is private, never',
  ),
  // Quota store
  quotaStore: def(
    'string',
    'Quota store',
    z.enum(['redis', 'none']).default('redis'),
    'redis: ElastiCache holds the fleet-wide quota bucket; none: each task takes quota / maxWorkers',
  ),
  redisNodeType: def('string', 'Quota store', text('cache.t4g.micro'), 'ElastiCache node type'),
  redisReplicas: def('integer', 'Quota store', int(0, 5, 0), 'Redis replicas; 1 or more enables Multi-AZ failover'),
  // Alarms
  alarmEmail: def('string', 'Alarms', text(), 'email subscribed to the alarm topic; empty: none'),
  oldestMessageAlarmSeconds: def(
    'integer',
    'Alarms',
    int(60, 1_209_600, 3600),
    'alarm when the oldest queued message is older than this, s',
  ),
  // Catalogue browser
  browser: def('boolean', 'Browser', flag(true), 'deploy the catalogue browser (API Lambda + page on CloudFront)'),
  browserLambdaPath: def('string', 'Browser', text('web/dist-lambda'), 'folder `npm run build:web` writes'),
  browserLambdaHandler: def('string', 'Browser', text('index.handler'), 'handler of the browser API Lambda'),
  browserEdgePath: def('string', 'Browser', text('web/dist-edge'), 'folder of the sign-in edge bundle (build:web)'),
  browserSitePath: def('string', 'Browser', text('web/public'), 'folder of the static page uploaded to S3'),
  browserPriceClass: def(
    'string',
    'Browser',
    z.enum(['PriceClass_100', 'PriceClass_200', 'PriceClass_All']).default('PriceClass_100'),
    'CloudFront price class',
  ),
  browserDomain: def(
    'string',
    'Browser',
    text(),
    "the browser's host name (e.g. photos.example.com; point it at the distribution); required with browser",
  ),
  browserCertificateArn: def(
    'string',
    'Browser',
    text(),
    'ACM certificate for browserDomain, in us-east-1 (CloudFront enforces TLS 1.2 only with its own certificate)',
  ),
  browserAuth: def(
    'string',
    'Browser',
    z.enum(['cognito', 'oidc']).default('cognito'),
    'who signs in: cognito (a user pool the stack creates; add users to it) or oidc (your own provider)',
  ),
  browserOidcIssuer: def('string', 'Browser', text(), 'with browserAuth oidc: the issuer URL'),
  browserOidcClientId: def(
    'string',
    'Browser',
    text(),
    'with browserAuth oidc: a public client (PKCE) whose redirect URI is https://<browserDomain>/auth/callback',
  ),
  browserRateLimit: def(
    'integer',
    'Browser',
    int(0, 2_000_000_000, 1000),
    'WAF: requests per client IP per 5 minutes before it is blocked; 0: no WAF',
  ),
  browserApiConcurrency: def('integer', 'Browser', int(1, 1000, 10), 'reserved concurrency of the API Lambda'),
  browserAccessLogDays: def('integer', 'Browser', int(1, 3650, 90), 'days CloudFront access logs are kept'),
} satisfies Record<string, KeyDef>;

export type StackConfigKey = keyof typeof STACK_CONFIG;
/** The parsed value of each key. */
export type StackConfig = { -readonly [K in StackConfigKey]: z.output<(typeof STACK_CONFIG)[K]['schema']> };

/** The default of a key, as Pulumi.yaml and the README show it. */
export function defaultOf(key: StackConfigKey): unknown {
  const parsed = STACK_CONFIG[key].schema.safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}
