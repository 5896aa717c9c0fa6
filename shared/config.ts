import type { z } from 'zod';
import { CUSTOM_REGION, isAwsRegion, redisUrlProblem } from './configChecks.ts';
import { CONFIG_VARIABLES } from './configVariables.ts';
import { describeEnv, parseEnv } from './env.ts';
import { ConfigError, type ConfigIssue } from './errors.ts';
import { resolveModel, traitsOf } from './models.ts';

type Vars = typeof CONFIG_VARIABLES;
type RawConfig = { [K in keyof Vars]: z.output<Vars[K]['schema']> };

export interface Config {
  region: string;
  /** Static credentials when AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are given; else the SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  endpoints: { s3?: string; sqs?: string; dynamodb?: string; bedrock?: string };
  /** Batch inference (backfill --mode batch): staging bucket, service role, control-plane endpoint override. */
  batch: { bucket?: string; roleArn?: string; controlEndpoint?: string };
  queueUrl?: string;
  dlqUrl?: string;
  tableName: string;
  thumbnails: { bucket?: string; edge: number; displayEdge: number };
  model: {
    id: string;
    maxTokens: number;
    /** max_tokens of the one retry after a `max_tokens` stop. */
    truncatedMaxTokens: number;
    /** Seconds between probes while paused. */
    probeSeconds: number;
    promptFile?: string;
    categories?: string[];
    maxAttempts: number;
    outputMaxAttempts: number;
    retryBaseMs: number;
    retryMaxMs: number;
    timeoutMs: number;
  };
  image: { maxEdge: number; maxInputPixels: number; maxBytes: number; format: 'jpeg' | 'webp'; quality: number };
  consumer: {
    /** Unset: derived from the quota share (worker/consumer/prefetch.ts). */
    prefetch?: number;
    consumers?: number;
    batchSize?: number;
    messageMaxAttempts: number;
    waitTimeSeconds: number;
    visibilityTimeoutSeconds: number;
    heartbeatSeconds: number;
    handlerTimeoutSeconds: number;
    shutdownTimeoutSeconds: number;
    /** Bytes of object bodies held at once, fetched and not yet prepared. */
    maxInflightBytes: number;
  };
  quota: {
    rpm: number;
    tpm: number;
    outputBurndown: number;
    /** Where outputBurndown came from. */
    outputBurndownSource: 'QUOTA_OUTPUT_BURNDOWN' | 'model table' | 'unknown model';
    target: number;
    minuteMs: number;
    maxConcurrency: number;
    redisUrl?: string;
    fleetSize: number;
  };
  metricsPort?: number;
  /** Interface of the metrics endpoint, or `private` for the task's private IPv4 address. */
  metricsHost: string;
  log: { level: RawConfig['LOG_LEVEL']; format: RawConfig['LOG_FORMAT'] };
  skipSameContent: boolean;
}

/**
 * Reads the configuration from an environment (default `process.env`). Empty strings count as unset.
 * @throws ConfigError listing every problem, each naming its variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): Config {
  const r = parseEnv(CONFIG_VARIABLES, env) as RawConfig;
  const issues: ConfigIssue[] = [];
  // Cross-field rules: a heartbeat must land before the message becomes visible again, or it is processed twice.
  if (r.HEARTBEAT_SECONDS >= r.VISIBILITY_TIMEOUT_SECONDS) {
    issues.push({ variable: 'HEARTBEAT_SECONDS', message: 'must be less than VISIBILITY_TIMEOUT_SECONDS' });
  }
  if (r.HANDLER_TIMEOUT_SECONDS * 1000 < r.MODEL_TIMEOUT_MS) {
    issues.push({ variable: 'HANDLER_TIMEOUT_SECONDS', message: 'must be at least MODEL_TIMEOUT_MS' });
  }
  if (r.RETRY_MAX_MS < r.RETRY_BASE_MS) {
    issues.push({ variable: 'RETRY_MAX_MS', message: 'must be at least RETRY_BASE_MS' });
  }
  if (r.CATEGORIES !== undefined && r.CATEGORIES.length === 0) {
    issues.push({ variable: 'CATEGORIES', message: 'must name at least one category when set' });
  }
  issues.push(...connectionIssues(r));
  if (issues.length > 0) throw new ConfigError(issues);
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  return {
    region: r.AWS_REGION,
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN?.trim() || undefined }
        : undefined,
    endpoints: { s3: r.S3_ENDPOINT, sqs: r.SQS_ENDPOINT, dynamodb: r.DYNAMODB_ENDPOINT, bedrock: r.BEDROCK_ENDPOINT },
    batch: { bucket: r.BATCH_BUCKET, roleArn: r.BATCH_ROLE_ARN, controlEndpoint: r.BEDROCK_CONTROL_ENDPOINT },
    queueUrl: r.QUEUE_URL,
    dlqUrl: r.DLQ_URL,
    tableName: r.TABLE_NAME,
    thumbnails: { bucket: r.THUMBNAIL_BUCKET, edge: r.THUMBNAIL_EDGE, displayEdge: r.DISPLAY_EDGE },
    model: {
      id: r.MODEL_ID,
      maxTokens: r.MAX_TOKENS,
      truncatedMaxTokens: r.MAX_TOKENS_RETRY,
      probeSeconds: r.MODEL_PROBE_SECONDS,
      promptFile: r.PROMPT_FILE,
      categories: r.CATEGORIES,
      maxAttempts: r.MODEL_MAX_ATTEMPTS,
      outputMaxAttempts: r.MODEL_OUTPUT_MAX_ATTEMPTS,
      retryBaseMs: r.RETRY_BASE_MS,
      retryMaxMs: r.RETRY_MAX_MS,
      timeoutMs: r.MODEL_TIMEOUT_MS,
    },
    image: {
      maxEdge: r.IMAGE_MAX_EDGE,
      maxInputPixels: r.IMAGE_MAX_INPUT_PIXELS,
      maxBytes: r.IMAGE_MAX_BYTES,
      format: r.IMAGE_FORMAT,
      quality: r.IMAGE_QUALITY,
    },
    consumer: {
      prefetch: r.WORKER_PREFETCH,
      consumers: r.WORKER_CONSUMERS,
      batchSize: r.WORKER_BATCH_SIZE,
      messageMaxAttempts: r.MESSAGE_MAX_ATTEMPTS,
      waitTimeSeconds: r.WAIT_TIME_SECONDS,
      visibilityTimeoutSeconds: r.VISIBILITY_TIMEOUT_SECONDS,
      heartbeatSeconds: r.HEARTBEAT_SECONDS,
      handlerTimeoutSeconds: r.HANDLER_TIMEOUT_SECONDS,
      shutdownTimeoutSeconds: r.SHUTDOWN_TIMEOUT_SECONDS,
      maxInflightBytes: r.WORKER_MAX_INFLIGHT_BYTES,
    },
    quota: {
      rpm: r.QUOTA_RPM,
      tpm: r.QUOTA_TPM,
      ...burndownOf(r),
      target: r.QUOTA_TARGET,
      minuteMs: r.QUOTA_MINUTE_MS,
      maxConcurrency: r.LIMITER_MAX_CONCURRENCY,
      redisUrl: r.REDIS_URL,
      fleetSize: r.FLEET_SIZE,
    },
    metricsPort: r.METRICS_PORT,
    metricsHost: r.METRICS_HOST,
    log: { level: r.LOG_LEVEL, format: r.LOG_FORMAT },
    skipSameContent: r.SKIP_SAME_CONTENT,
  };
}

/** The region and the Redis URL: checked here so a typo exits 3 at start rather than failing every poll. */
function connectionIssues(r: RawConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const allLocal = [r.S3_ENDPOINT, r.SQS_ENDPOINT, r.DYNAMODB_ENDPOINT, r.BEDROCK_ENDPOINT].every(Boolean);
  if (!isAwsRegion(r.AWS_REGION) && !(allLocal && CUSTOM_REGION.test(r.AWS_REGION))) {
    issues.push({
      variable: 'AWS_REGION',
      message: `${JSON.stringify(r.AWS_REGION)} is not an AWS region (e.g. us-east-1, eu-west-3, ap-southeast-2)`,
    });
  }
  const redisProblem = r.REDIS_URL === undefined ? undefined : redisUrlProblem(r.REDIS_URL);
  if (redisProblem) issues.push({ variable: 'REDIS_URL', message: redisProblem });
  return issues;
}

/** QUOTA_OUTPUT_BURNDOWN when set, else the model table's (an unknown model: 5, the newer models' rate). */
function burndownOf(r: RawConfig): Pick<Config['quota'], 'outputBurndown' | 'outputBurndownSource'> {
  if (r.QUOTA_OUTPUT_BURNDOWN !== undefined) {
    return { outputBurndown: r.QUOTA_OUTPUT_BURNDOWN, outputBurndownSource: 'QUOTA_OUTPUT_BURNDOWN' };
  }
  const traits = traitsOf(resolveModel(r.MODEL_ID));
  return {
    outputBurndown: traits.outputBurndown,
    outputBurndownSource: traits.known ? 'model table' : 'unknown model',
  };
}

/** Asserts the variables a command needs are set, naming each missing one. */
export function requireConfig<K extends 'queueUrl' | 'dlqUrl'>(
  config: Config,
  keys: readonly K[],
): Config & { [P in K]-?: string } {
  const names: Record<string, string> = { queueUrl: 'QUEUE_URL', dlqUrl: 'DLQ_URL' };
  const missing = keys.filter((k) => !config[k]);
  if (missing.length) {
    throw new ConfigError(missing.map((k) => ({ variable: names[k] ?? k, message: 'required for this command' })));
  }
  return config as Config & { [P in K]-?: string };
}

/** The documentation of every variable, for `--help` and the README. */
export function describeConfig(): string {
  return describeEnv(CONFIG_VARIABLES);
}
