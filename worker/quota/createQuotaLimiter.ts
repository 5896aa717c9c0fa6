import type { Redis } from 'ioredis';
import type { Config } from '../../shared/config.ts';
import { FailoverQuotaStore } from './FailoverQuotaStore.ts';
import { LocalTokenBucket } from './LocalTokenBucket.ts';
import { QuotaLimiter } from './QuotaLimiter.ts';
import { createQuotaRedis, RedisTokenBucket } from './RedisTokenBucket.ts';
import { type BucketShape, type QuotaLogger, type QuotaRates, scaleRates, silentLogger } from './rates.ts';

export interface CreateQuotaLimiterOptions {
  logger?: QuotaLogger;
  /** Bucket and AIMD shape beyond what Config sets (minuteMs comes from `QUOTA_MINUTE_MS`). */
  shape?: Partial<Omit<BucketShape, 'minuteMs'>>;
  /** A Redis client to use instead of connecting to `REDIS_URL` (not closed by the limiter). */
  redis?: Redis;
  /** While on the local fallback, how often to try Redis again, ms. Default 1 000. */
  probeMs?: number;
  /** Longest wait for one Redis command before falling back, ms. Default 1 000. */
  redisTimeoutMs?: number;
}

/** The fleet's admitted rates: quota × target (`QUOTA_RPM`, `QUOTA_TPM`, `QUOTA_TARGET`). */
export function fleetRates(quota: Config['quota']): QuotaRates {
  return scaleRates({ requestsPerMinute: quota.rpm, tokensPerMinute: quota.tpm }, quota.target);
}

/**
 * Builds the limiter the worker uses, from Config. With `REDIS_URL` (or an injected client): the fleet's buckets in
 * Redis, falling back to quota ÷ `FLEET_SIZE` in-process while Redis is unreachable. Without: quota ÷ `FLEET_SIZE`
 * in-process only. Either way `bottleneck` bounds the calls in flight to `LIMITER_MAX_CONCURRENCY`.
 */
export function createQuotaLimiter(
  config: Pick<Config, 'quota' | 'model'>,
  options: CreateQuotaLimiterOptions = {},
): QuotaLimiter {
  const { quota } = config;
  const logger = options.logger ?? silentLogger;
  const shape = { ...options.shape, minuteMs: quota.minuteMs };
  const rates = fleetRates(quota);
  const share = 1 / quota.fleetSize;
  const local = new LocalTokenBucket({ rates, share, shape });
  if (options.redis === undefined && quota.redisUrl === undefined) {
    logger.info({ rates: local.rates(), fleetSize: quota.fleetSize }, 'quota: per-process share (no REDIS_URL)');
    return new QuotaLimiter({ store: local, maxConcurrency: quota.maxConcurrency, logger });
  }
  const redis =
    options.redis ?? createQuotaRedis(quota.redisUrl as string, { timeoutMs: options.redisTimeoutMs, logger });
  const primary = new RedisTokenBucket({
    redis,
    modelId: config.model.id,
    rates,
    shape,
    ownsClient: options.redis === undefined,
  });
  const store = new FailoverQuotaStore({ primary, fallback: local, probeMs: options.probeMs, logger });
  logger.info({ rates, keys: primary.keys, fleetSize: quota.fleetSize }, 'quota: fleet buckets in Redis');
  return new QuotaLimiter({ store, maxConcurrency: quota.maxConcurrency, logger });
}
