import type { Config } from '../../shared/config.ts';
import { fleetRates } from '../quota/createQuotaLimiter.ts';
import { estimateTokens } from '../quota/estimate.ts';

/**
 * Seconds of work a process holds: the model calls its quota share can start in this time. A Claude vision call
 * takes a few seconds, so this covers the calls in progress plus those about to start; anything more would only wait
 * in the limiter, and a crash would spend a receive on it without ever attempting it.
 */
export const PREFETCH_HORIZON_SECONDS = 10;

/** A full-size image (1568 × 1176 after preparation) with a 2,000-character prompt: the limiter's reservation. */
const TYPICAL_REQUEST = { width: 1568, height: 1176, promptChars: 2000 };

export interface PrefetchPlan {
  /** Messages held at once: consumers × batchSize (never more than `prefetch`). */
  prefetch: number;
  consumers: number;
  batchSize: number;
  /** Model calls per second this process's share admits. */
  requestsPerSecond: number;
}

/**
 * How many messages a process should hold, and how to split them over sqs-consumer instances (each waits for the
 * slowest message of its batch before polling again, so several small batches beat one large one). Explicit
 * WORKER_PREFETCH / WORKER_CONSUMERS / WORKER_BATCH_SIZE win; otherwise: the requests this process's share of the
 * quota (QUOTA_RPM and QUOTA_TPM at QUOTA_TARGET, ÷ FLEET_SIZE, per QUOTA_MINUTE_MS) starts in
 * {@link PREFETCH_HORIZON_SECONDS}, at most LIMITER_MAX_CONCURRENCY.
 */
export function planPrefetch(config: Pick<Config, 'consumer' | 'quota' | 'model'>): PrefetchPlan {
  const { quota, consumer } = config;
  const rates = fleetRates(quota);
  const perRequest = estimateTokens({ ...TYPICAL_REQUEST, maxTokens: config.model.maxTokens });
  const perMinute = Math.min(rates.requestsPerMinute, rates.tokensPerMinute / perRequest) / quota.fleetSize;
  const requestsPerSecond = perMinute / (quota.minuteMs / 1000);
  const derived = Math.min(quota.maxConcurrency, Math.max(1, Math.ceil(requestsPerSecond * PREFETCH_HORIZON_SECONDS)));
  // With WORKER_CONSUMERS and WORKER_BATCH_SIZE both set, those two decide (the prefetch is their product).
  const prefetch = consumer.prefetch ?? derived;
  const consumers =
    consumer.consumers ??
    Math.min(64, Math.max(Math.min(prefetch, 4), Math.ceil(prefetch / (consumer.batchSize ?? 10))));
  const batchSize = consumer.batchSize ?? Math.min(10, Math.max(1, Math.floor(prefetch / consumers)));
  return { prefetch: consumers * batchSize, consumers, batchSize, requestsPerSecond };
}
