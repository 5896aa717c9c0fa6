import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { z } from 'zod';
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AwsClients } from '../../worker/clients.ts';
import type { CreateWorkerOptions } from '../../worker/createWorker.ts';
import { loadPrompt } from '../../worker/model/prompt.ts';
import type { Describer } from '../../worker/ports.ts';
import { createQuotaLimiter } from '../../worker/quota/createQuotaLimiter.ts';
import { estimateTokens } from '../../worker/quota/estimate.ts';
import { QuotaLimitedDescriber } from '../../worker/quota/QuotaLimitedDescriber.ts';
import type { QuotaLimiter } from '../../worker/quota/QuotaLimiter.ts';
import type { BucketShape } from '../../worker/quota/rates.ts';
import { CallTrace } from './CallTrace.ts';
import { Strategy } from './ipc.ts';
import { TwoBucketDescriber } from './TwoBucketDescriber.ts';

/** The benchmark's own variables of a worker process (the rest is the worker's ordinary configuration). */
export const BenchEnv = z.object({
  BENCH_STRATEGY: Strategy,
  /** Two-bucket processor: fraction of the limits it runs at (75 %), its pause after a 429 and its attempts. */
  BENCH_TWO_BUCKET_FRACTION: z.coerce.number().min(0.01).max(1).default(0.75),
  BENCH_TWO_BUCKET_PAUSE_MS: z.coerce.number().min(0).default(15_000),
  BENCH_TWO_BUCKET_ATTEMPTS: z.coerce.number().int().min(1).default(5),
  /** Tuning only: a JSON patch of ours' bucket shape (worker/quota/rates.ts), e.g. '{"decrease":0.8}'. */
  BENCH_QUOTA_SHAPE: z
    .string()
    .optional()
    .transform((s) => (s ? z.record(z.string(), z.number()).parse(JSON.parse(s)) : undefined))
    .transform((s) => s as Partial<Omit<BucketShape, 'minuteMs'>> | undefined),
  /** Tuning only: a folder where ours writes a trace of every model call (CallTrace.ts). */
  BENCH_TRACE_DIR: z.string().min(1).optional(),
});
export type BenchEnv = z.infer<typeof BenchEnv>;

export interface BuiltStrategy {
  /** The clients to give createWorker (the Bedrock client replaced for the SDK baselines). */
  clients: AwsClients;
  wrapModel: CreateWorkerOptions['wrapModel'];
  /** The limiter ours built itself (tuning runs), which createWorker's handle does not know. */
  ownLimiter(): QuotaLimiter | undefined;
  trace?: CallTrace;
}

/**
 * How a strategy calls the model. naive and adaptive: no limiter, a Bedrock client with the SDK's own retries
 * (standard mode, or adaptive mode with its client-side rate limiter). two-bucket: TwoBucketDescriber at its share of
 * the quota. ours: createWorker's default, or the same wiring with a tuning shape or a call trace.
 */
export function buildStrategy(bench: BenchEnv, config: Config, clients: AwsClients, logger: Logger): BuiltStrategy {
  const s = bench.BENCH_STRATEGY;
  if (s === 'naive' || s === 'adaptive') {
    clients.bedrock.destroy();
    const bedrock = new BedrockRuntimeClient({
      region: config.region,
      credentials: config.credentials,
      endpoint: config.endpoints.bedrock,
      ...(s === 'adaptive' ? { retryMode: 'adaptive' } : {}),
    });
    return { clients: { ...clients, bedrock }, wrapModel: false, ownLimiter: () => undefined };
  }
  if (s === 'two-bucket') {
    const share = bench.BENCH_TWO_BUCKET_FRACTION / config.quota.fleetSize;
    const promptChars = loadPrompt(config).text.length;
    const wrapModel = (inner: Describer) =>
      new TwoBucketDescriber(inner, {
        requestsPerMinute: config.quota.rpm * share,
        tokensPerMinute: config.quota.tpm * share,
        minuteMs: config.quota.minuteMs,
        pauseMs: bench.BENCH_TWO_BUCKET_PAUSE_MS,
        maxAttempts: bench.BENCH_TWO_BUCKET_ATTEMPTS,
        // The same estimate as ours: what Bedrock reserves (input + max_tokens).
        estimate: (request) =>
          estimateTokens({
            width: request.image.width,
            height: request.image.height,
            promptChars,
            maxTokens: config.model.maxTokens,
          }),
      });
    return { clients, wrapModel, ownLimiter: () => undefined };
  }
  if (!bench.BENCH_QUOTA_SHAPE && !bench.BENCH_TRACE_DIR) {
    return { clients, wrapModel: undefined, ownLimiter: () => undefined };
  }
  // createWorker's default wiring, with a tuning shape and/or a trace under the limiter.
  let limiter: QuotaLimiter | undefined;
  const built: BuiltStrategy = { clients, wrapModel: undefined, ownLimiter: () => limiter };
  built.wrapModel = (inner: Describer) => {
    limiter = createQuotaLimiter(config, { logger, shape: bench.BENCH_QUOTA_SHAPE });
    const traced = bench.BENCH_TRACE_DIR ? new CallTrace(inner) : undefined;
    built.trace = traced;
    return new QuotaLimitedDescriber(traced ?? inner, limiter, {
      maxTokens: config.model.maxTokens,
      outputBurndown: config.quota.outputBurndown,
    });
  };
  return built;
}
