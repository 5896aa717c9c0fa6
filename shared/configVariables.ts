import { z } from 'zod';
import { BATCH_VARIABLES } from './batchConfig.ts';
import { DEFAULT_MODEL_ID } from './models.ts';

/**
 * The whole twelve-factor configuration: every environment variable, its default and its meaning, in one place.
 * Parsed once at start-up; every problem is reported at once, each naming its variable.
 */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const optionalUrl = z.url().optional();
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

/** Each variable: its schema (with default) and a line of documentation, printed by `--help` and in the README. */
export const CONFIG_VARIABLES = {
  AWS_REGION: {
    schema: z.string().min(1).default('us-east-1'),
    doc: 'AWS region of every service; a name outside the AWS partitions only when every *_ENDPOINT is set',
  },
  S3_ENDPOINT: { schema: optionalUrl, doc: 'S3 endpoint override (local stand-in); path-style addressing is used' },
  SQS_ENDPOINT: { schema: optionalUrl, doc: 'SQS endpoint override (local stand-in)' },
  DYNAMODB_ENDPOINT: { schema: optionalUrl, doc: 'DynamoDB endpoint override (local stand-in)' },
  BEDROCK_ENDPOINT: { schema: optionalUrl, doc: 'Bedrock Runtime endpoint override (local stand-in)' },
  ...BATCH_VARIABLES,
  QUEUE_URL: { schema: z.url().optional(), doc: 'URL of the SQS queue the worker consumes and backfill feeds' },
  DLQ_URL: { schema: z.url().optional(), doc: 'URL of the dead-letter queue; poison messages are moved here at once' },
  TABLE_NAME: { schema: z.string().min(3).max(255).default('image-catalogue'), doc: 'DynamoDB catalogue table' },
  THUMBNAIL_BUCKET: {
    schema: z.string().min(3).optional(),
    doc: 'private bucket for the copies the worker makes (thumbnail, display copy); unset: none, and no images shown',
  },
  THUMBNAIL_EDGE: { schema: int(32, 1024).default(320), doc: 'long edge of thumbnails, px' },
  DISPLAY_EDGE: {
    schema: int(320, 8000).default(1600),
    doc: 'long edge of the display copy the browser shows, px (at most the model image: IMAGE_MAX_EDGE)',
  },
  MODEL_ID: {
    schema: z.string().min(1).default(DEFAULT_MODEL_ID),
    doc: 'Bedrock model id, inference profile id or ARN; default: the cheapest active Claude (docs/models.md)',
  },
  MAX_TOKENS: { schema: int(64, 8192).default(1024), doc: 'max_tokens of each model call' },
  MAX_TOKENS_RETRY: {
    schema: int(64, 32_000).default(4096),
    doc: 'max_tokens of the one retry after an answer stopped at max_tokens; <= MAX_TOKENS: reject at once',
  },
  MODEL_PROBE_SECONDS: {
    schema: int(1, 3600).default(30),
    doc: 'while paused by a configuration fault or the daily budget, seconds between probe calls',
  },
  PROMPT_FILE: { schema: z.string().min(1).optional(), doc: 'prompt file; default: shared/prompts/catalogue.v1.md' },
  CATEGORIES: { schema: list.optional(), doc: 'comma-separated list the category must come from; unset: free text' },
  IMAGE_MAX_EDGE: { schema: int(200, 8000).default(1568), doc: 'long edge of the image sent to the model, px' },
  IMAGE_MAX_INPUT_PIXELS: {
    schema: int(1, 1_000_000_000).default(100_000_000),
    doc: 'largest source image (width x height) decoded; larger is rejected as a decompression bomb',
  },
  IMAGE_MAX_BYTES: { schema: int(1, 5_000_000_000).default(50 * 1024 * 1024), doc: 'largest object fetched, bytes' },
  IMAGE_FORMAT: { schema: z.enum(['jpeg', 'webp']).default('jpeg'), doc: 'format of the image sent to the model' },
  IMAGE_QUALITY: { schema: int(30, 100).default(85), doc: 'JPEG/WebP quality of the image sent to the model' },
  WORKER_PREFETCH: {
    schema: int(1, 640).optional(),
    doc: 'messages one process holds at once; unset: what its quota share starts in 10 s, at most LIMITER_MAX_CONCURRENCY (docs/operations.md)',
  },
  WORKER_CONSUMERS: {
    schema: int(1, 64).optional(),
    doc: 'sqs-consumer instances per process; unset: derived from the prefetch (messages held = consumers x batch size)',
  },
  WORKER_BATCH_SIZE: { schema: int(1, 10).optional(), doc: 'messages per ReceiveMessage (1-10); unset: derived' },
  MESSAGE_MAX_ATTEMPTS: {
    schema: int(1, 100).default(5),
    doc: 'failed attempts (counted by the worker, not by SQS receives) before a message goes to the DLQ with its reason',
  },
  WORKER_MAX_INFLIGHT_BYTES: {
    schema: int(1_048_576, 1_099_511_627_776).default(256 * 1024 * 1024),
    doc: 'bytes of object bodies held at once (fetched, not yet prepared); sized for a 2 GB task',
  },
  WAIT_TIME_SECONDS: { schema: int(0, 20).default(20), doc: 'long-poll wait, s' },
  VISIBILITY_TIMEOUT_SECONDS: { schema: int(10, 43_200).default(300), doc: 'visibility timeout the worker sets, s' },
  HEARTBEAT_SECONDS: { schema: int(1, 43_199).default(60), doc: 'visibility extension interval while working, s' },
  HANDLER_TIMEOUT_SECONDS: { schema: int(1, 43_200).default(240), doc: 'longest time one message may take, s' },
  SHUTDOWN_TIMEOUT_SECONDS: {
    schema: int(0, 3600).default(30),
    doc: 'on SIGTERM, time to finish in-flight work before releasing it, s',
  },
  MODEL_MAX_ATTEMPTS: { schema: int(1, 50).default(8), doc: 'attempts per image for throttling/transient errors' },
  MODEL_OUTPUT_MAX_ATTEMPTS: {
    schema: int(1, 10).default(3),
    doc: 'attempts per image when the answer fails validation',
  },
  RETRY_BASE_MS: { schema: int(1, 60_000).default(500), doc: 'base of exponential backoff with full jitter, ms' },
  RETRY_MAX_MS: { schema: int(1, 600_000).default(20_000), doc: 'cap of one backoff wait, ms' },
  MODEL_TIMEOUT_MS: { schema: int(1000, 900_000).default(120_000), doc: 'timeout of one model call, ms' },
  QUOTA_RPM: { schema: int(1, 1_000_000).default(1000), doc: 'model requests per minute, for the whole fleet' },
  QUOTA_TPM: { schema: int(1, 1_000_000_000).default(2_000_000), doc: 'model tokens per minute, for the whole fleet' },
  QUOTA_OUTPUT_BURNDOWN: {
    schema: num(1, 10).optional(),
    doc: 'quota weight of an output token; default: the model table (5 on Claude 3.7/4.x and later, 1 before)',
  },
  QUOTA_TARGET: { schema: num(0.1, 1).default(0.98), doc: 'fraction of the quota the fleet aims to use' },
  QUOTA_MINUTE_MS: {
    schema: int(100, 60_000).default(60_000),
    doc: 'length of a quota minute, ms (shorter only against the stand-in)',
  },
  LIMITER_MAX_CONCURRENCY: { schema: int(1, 10_000).default(64), doc: 'model calls in flight per process' },
  REDIS_URL: {
    schema: z.string().min(1).optional(),
    doc: 'Redis holding the fleet-wide quota bucket (redis:// or rediss://host:port); unset: per-process share',
  },
  FLEET_SIZE: { schema: int(1, 10_000).default(1), doc: 'workers sharing the quota when no Redis is reachable' },
  METRICS_PORT: { schema: int(0, 65_535).optional(), doc: 'port of the Prometheus /metrics endpoint; unset: none' },
  METRICS_HOST: {
    // Every interface would include a public address, where a task has one: the metrics stay inside.
    schema: z
      .string()
      .refine((h) => !['0.0.0.0', '::', '[::]', '*'].includes(h), 'must name one interface, not all of them')
      .default('127.0.0.1'),
    doc: "address of the /metrics endpoint: 127.0.0.1 (the task's sidecars), `private` (the task's private IPv4 address) or an IP",
  },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    doc: 'log level',
  },
  LOG_FORMAT: {
    schema: z.enum(['auto', 'json', 'pretty']).default('auto'),
    doc: 'auto: pretty in a terminal, JSON otherwise',
  },
  SKIP_SAME_CONTENT: {
    schema: bool.default(true),
    doc: 'reuse the analysis of identical bytes already catalogued under another key',
  },
} as const;
