import { descriptionJsonSchema } from '../shared/catalogue.ts';
import { type Config, requireConfig } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import { BedrockDescriber } from './adapters/BedrockDescriber.ts';
import { DynamoCatalogueStore } from './adapters/DynamoCatalogueStore.ts';
import { S3ImageSource } from './adapters/S3ImageSource.ts';
import { S3ThumbnailStore } from './adapters/S3ThumbnailStore.ts';
import { discoverDeadLetterQueue, SqsDeadLetterSink } from './adapters/SqsDeadLetterSink.ts';
import { type AwsClients, createClients, destroyClients } from './clients.ts';
import { planPrefetch } from './consumer/prefetch.ts';
import { QueueWorker } from './consumer/QueueWorker.ts';
import { prepareImage, prepareOptionsFromConfig, toPixelBox } from './image/prepare.ts';
import { MetricsRegistry, registerQuotaMetrics } from './metrics/MetricsRegistry.ts';
import { registerWorkerMetrics, startMetricsServer } from './metrics/metricsServer.ts';
import { loadPrompt } from './model/prompt.ts';
import { RetryingDescriber } from './model/RetryingDescriber.ts';
import type { PipelineDeps } from './pipeline/processEvent.ts';
import type { Describer } from './ports.ts';
import { createQuotaLimiter } from './quota/createQuotaLimiter.ts';
import { QuotaLimitedDescriber } from './quota/QuotaLimitedDescriber.ts';
import type { QuotaLimiter } from './quota/QuotaLimiter.ts';

export interface WorkerHandle {
  worker: QueueWorker;
  clients: AwsClients;
  analysisVersion: string;
  /** The quota limiter, unless `wrapModel` replaced it. */
  limiter?: QuotaLimiter;
  metrics: MetricsRegistry;
  /** The /metrics endpoint, when METRICS_PORT is set. */
  metricsUrl?: string;
  /** Graceful stop, then closes the clients. */
  close(deadlineMs?: number): Promise<{ released: number }>;
}

export interface CreateWorkerOptions {
  config: Config;
  logger: Logger;
  clients?: AwsClients;
  /**
   * Wraps the single-attempt model call; every retry passes through it. Default: the quota limiter built from
   * config (QUOTA_*, REDIS_URL, FLEET_SIZE). `false`: no limiter (only for baselines in benchmarks).
   */
  wrapModel?: ((inner: Describer) => Describer | Promise<Describer>) | false;
}

/** The pipeline's dependencies, wired to AWS (or the local stand-ins) from config. */
async function createPipeline(
  config: Config,
  clients: AwsClients,
  logger: Logger,
  wrapModel?: (inner: Describer) => Describer | Promise<Describer>,
): Promise<PipelineDeps & { analysisVersion: string }> {
  const prompt = loadPrompt(config);
  const single = new BedrockDescriber(clients.bedrock, {
    modelId: config.model.id,
    maxTokens: config.model.maxTokens,
    categories: config.model.categories,
    timeoutMs: config.model.timeoutMs,
  });
  const limited = wrapModel ? await wrapModel(single) : single;
  const describer = new RetryingDescriber(limited, {
    maxAttempts: config.model.maxAttempts,
    outputMaxAttempts: config.model.outputMaxAttempts,
    baseMs: config.model.retryBaseMs,
    maxMs: config.model.retryMaxMs,
    logger,
  });
  const prepareOptions = prepareOptionsFromConfig(config);
  return {
    source: new S3ImageSource(clients.s3),
    store: new DynamoCatalogueStore(clients.doc, config.tableName),
    describer,
    prepare: (body) => prepareImage(body, prepareOptions),
    toPixelBox,
    thumbnails: config.thumbnails.bucket ? new S3ThumbnailStore(clients.s3, config.thumbnails.bucket) : undefined,
    prompt: { text: prompt.text, analysisVersion: prompt.analysisVersion },
    maxBytes: config.image.maxBytes,
    reuseSameContent: config.skipSameContent,
    analysisVersion: prompt.analysisVersion,
  };
}

function pick(plan: ReturnType<typeof planPrefetch>) {
  return { consumers: plan.consumers, batchSize: plan.batchSize };
}

/** Builds a ready-to-start worker from config. */
export async function createWorker(options: CreateWorkerOptions): Promise<WorkerHandle> {
  const config = requireConfig(options.config, ['queueUrl']);
  const clients = options.clients ?? createClients(config);
  const logger = options.logger;
  const dlqUrl = config.dlqUrl ?? (await discoverDeadLetterQueue(clients.sqs, config.queueUrl));
  const metrics = new MetricsRegistry();
  let limiter: QuotaLimiter | undefined;
  const wrap =
    options.wrapModel === false
      ? undefined
      : (options.wrapModel ??
        ((inner: Describer) => {
          limiter = createQuotaLimiter(config, { logger: logger.child({ component: 'quota' }) });
          registerQuotaMetrics(metrics, limiter, { model: config.model.id });
          return new QuotaLimitedDescriber(inner, limiter, {
            maxTokens: config.model.maxTokens,
            outputBurndown: config.quota.outputBurndown,
            // A category list makes the tool schema, and so every request, longer.
            toolSchemaChars: JSON.stringify(descriptionJsonSchema(config.model.categories)).length,
          });
        }));
  const pipeline = await createPipeline(config, clients, logger, wrap);
  const worker = new QueueWorker({
    queueUrl: config.queueUrl,
    sqs: clients.sqs,
    consumer: { ...config.consumer, ...pick(planPrefetch(config)) },
    handler: { pipeline, deadLetters: new SqsDeadLetterSink(clients.sqs, dlqUrl), logger },
    logger,
  });
  registerWorkerMetrics(metrics, worker);
  const metricsServer =
    config.metricsPort === undefined ? undefined : await startMetricsServer(metrics, config.metricsPort);
  let closing: Promise<{ released: number }> | undefined;
  return {
    worker,
    clients,
    analysisVersion: pipeline.analysisVersion,
    limiter,
    metrics,
    metricsUrl: metricsServer?.url,
    close(deadlineMs) {
      // Idempotent: a second call waits for the first.
      closing ??= (async () => {
        const result = await worker.stop(deadlineMs);
        await limiter?.close();
        metricsServer?.close();
        if (!options.clients) destroyClients(clients);
        return result;
      })();
      return closing;
    },
  };
}
