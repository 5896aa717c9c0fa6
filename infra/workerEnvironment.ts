import { loadConfig } from '../shared/config.ts';
import { CONFIG_VARIABLES } from '../shared/configVariables.ts';
import { ConfigError, type ConfigIssue } from '../shared/errors.ts';
import { parseAssignments } from './rules.ts';

/**
 * The stack config keys the worker's environment follows from. Declared here rather than taken from StackConfig:
 * the config schema calls {@link workerEnvironmentIssues}, so importing its type back would make a cycle.
 */
export interface WorkerEnvironmentSettings {
  workerEnvironment: string[];
  modelId: string;
  inferenceProfileId: string;
  quotaRpm: number;
  quotaTpm: number;
  quotaOutputBurndown: number;
  limiterMaxConcurrency: number;
  handlerTimeoutSeconds: number;
  maxWorkers: number;
}

/** Variables whose values come from the stack's own resources: known only once they exist. */
const RESOURCE_VARIABLES = ['QUEUE_URL', 'DLQ_URL', 'TABLE_NAME', 'THUMBNAIL_BUCKET', 'REDIS_URL', 'AWS_REGION'];

/** Variables the stack derives from its config keys; `workerEnvironment` may not override these either. */
const DERIVED_VARIABLES = [
  'MODEL_ID',
  'QUOTA_RPM',
  'QUOTA_TPM',
  'QUOTA_OUTPUT_BURNDOWN',
  'LIMITER_MAX_CONCURRENCY',
  'HANDLER_TIMEOUT_SECONDS',
  'FLEET_SIZE',
  'LOG_FORMAT',
];

/** The model id the worker calls: the inference profile when one is configured, else the foundation model. */
function invokedModelId(config: Pick<WorkerEnvironmentSettings, 'modelId' | 'inferenceProfileId'>): string {
  return config.inferenceProfileId || config.modelId;
}

/**
 * The worker's environment that follows from config alone (resource-derived values are added by the worker
 * module). `FLEET_SIZE` is `maxWorkers`: the per-task share used only when Redis is unreachable errs low, never
 * over the quota.
 */
export function staticWorkerEnvironment(config: WorkerEnvironmentSettings): Record<string, string> {
  const extra = parseAssignments(config.workerEnvironment).values;
  return {
    ...extra,
    MODEL_ID: invokedModelId(config),
    QUOTA_RPM: String(config.quotaRpm),
    QUOTA_TPM: String(config.quotaTpm),
    // 0: the worker takes the burndown from its model table.
    ...(config.quotaOutputBurndown > 0 ? { QUOTA_OUTPUT_BURNDOWN: String(config.quotaOutputBurndown) } : {}),
    LIMITER_MAX_CONCURRENCY: String(config.limiterMaxConcurrency),
    HANDLER_TIMEOUT_SECONDS: String(config.handlerTimeoutSeconds),
    FLEET_SIZE: String(config.maxWorkers),
    LOG_FORMAT: 'json',
  };
}

/**
 * Checks `workerEnvironment` and the whole environment the worker will get, by parsing it with the worker's own
 * config schema (shared/config.ts) with placeholders for resource values: a bad value or a broken cross-field rule
 * (e.g. HANDLER_TIMEOUT_SECONDS below MODEL_TIMEOUT_MS) fails `pulumi preview` instead of every task at start-up.
 */
export function workerEnvironmentIssues(config: WorkerEnvironmentSettings): ConfigIssue[] {
  const { values, problems } = parseAssignments(config.workerEnvironment);
  const issues: ConfigIssue[] = problems.map((message) => ({ variable: 'workerEnvironment', message }));
  const managed = new Set([...RESOURCE_VARIABLES, ...DERIVED_VARIABLES]);
  for (const name of Object.keys(values)) {
    if (!(name in CONFIG_VARIABLES)) {
      issues.push({ variable: 'workerEnvironment', message: `${name} is not a worker variable (shared/config.ts)` });
    } else if (managed.has(name)) {
      issues.push({ variable: 'workerEnvironment', message: `${name} is set by the stack; use its config key` });
    }
  }
  const placeholders = {
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/queue',
    DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
    TABLE_NAME: 'catalogue',
    THUMBNAIL_BUCKET: 'thumbnails',
    REDIS_URL: 'rediss://redis.invalid:6379',
    AWS_REGION: 'us-east-1',
  };
  try {
    loadConfig({ ...placeholders, ...staticWorkerEnvironment(config) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const issue of error.issues) {
      issues.push({ variable: 'workerEnvironment', message: `${issue.variable}: ${issue.message}` });
    }
  }
  return issues;
}
