import { descriptionJsonSchema } from '../shared/catalogue.ts';
import { type Config, requireConfig } from '../shared/config.ts';
import type { DailyQuotaExhaustedError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { resolveModel, traitsOf } from '../shared/models.ts';
import { BedrockDescriber } from './adapters/BedrockDescriber.ts';
import { CategoryTally } from './adapters/CategoryTally.ts';
import { DynamoCatalogueStore } from './adapters/DynamoCatalogueStore.ts';
import { S3ImageSource } from './adapters/S3ImageSource.ts';
import { S3ThumbnailStore } from './adapters/S3ThumbnailStore.ts';
import { discoverDeadLetterQueue, SqsDeadLetterSink } from './adapters/SqsDeadLetterSink.ts';
import { type AwsClients, createClients, destroyClients } from './clients.ts';
import { planPrefetch } from './consumer/prefetch.ts';
import { QueueWorker } from './consumer/QueueWorker.ts';
import { prepareImage, prepareOptionsFromConfig, toPixelBox } from './image/prepare.ts';
import { healthOf, registerGateMetrics } from './metrics/gateMetrics.ts';
import { MetricsRegistry, registerQuotaMetrics } from './metrics/MetricsRegistry.ts';
import { registerWorkerMetrics, startMetricsServer } from './metrics/metricsServer.ts';
import { GatedDescriber, ModelGate } from './model/ModelGate.ts';
import { probeModel } from './model/probe.ts';
import { loadPrompt } from './model/prompt.ts';
import { RetryingDescriber } from './model/RetryingDescriber.ts';
import { checkModelAtStartup } from './model/startupCheck.ts';
import { ByteBudget } from './pipeline/ByteBudget.ts';
import type { PipelineDeps } from './pipeline/processEvent.ts';
import type { Describer } from './ports.ts';
import { createQuotaLimiter } from './quota/createQuotaLimiter.ts';
import { FixedPartCalibration } from './quota/estimate.ts';
import { QuotaLimitedDescriber } from './quota/QuotaLimitedDescriber.ts';
import type { QuotaLimiter } from './quota/QuotaLimiter.ts';

export interface WorkerHandle {
  worker: QueueWorker;
  clients: AwsClients;
  analysisVersion: string;
  /** The quota limiter, unless `wrapModel` replaced it. */
  limiter?: QuotaLimiter;
  metrics: MetricsRegistry;
  /** Pauses model calls, and the worker's intake, on a configuration fault or a spent daily budget. */
  gate: ModelGate;
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
  /**
   * Check the model before the first message (worker/model/startupCheck.ts): throws ModelConfigurationError when it
   * cannot be used as configured. Default true.
   */
  checkModel?: boolean;
}

/** The gate that pauses model calls, probing with one cheap request shaped like the worker's. */
function createModelGate(config: Config, clients: AwsClients, logger: Logger, prompt: string): ModelGate {
  return new ModelGate({
    probe: () =>
      probeModel(clients.bedrock, {
        modelId: config.model.id,
        prompt,
        categories: config.model.categories,
        timeoutMs: config.model.timeoutMs,
      }),
    probeMs: config.model.probeSeconds * 1000,
    logger: logger.child({ component: 'model-gate' }),
  });
}

/** The pipeline's dependencies, wired to AWS (or the local stand-ins) from config. */
export async function createPipeline(
  config: Config,
  clients: AwsClients,
  logger: Logger,
  wrapModel?: (inner: Describer) => Describer | Promise<Describer>,
): Promise<PipelineDeps & { analysisVersion: string; gate: ModelGate }> {
  const prompt = loadPrompt(config);
  const gate = createModelGate(config, clients, logger, prompt.text);
  // Retrying(QuotaLimited(Gated(Bedrock))): every attempt passes the limiter, and none reaches the model while the
  // gate is paused.
  const single = new GatedDescriber(
    new BedrockDescriber(clients.bedrock, {
      modelId: config.model.id,
      maxTokens: config.model.maxTokens,
      categories: config.model.categories,
      timeoutMs: config.model.timeoutMs,
    }),
    gate,
  );
  const limited = wrapModel ? await wrapModel(single) : single;
  const describer = new RetryingDescriber(limited, {
    maxAttempts: config.model.maxAttempts,
    outputMaxAttempts: config.model.outputMaxAttempts,
    truncatedMaxTokens: config.model.truncatedMaxTokens,
    baseMs: config.model.retryBaseMs,
    maxMs: config.model.retryMaxMs,
    logger,
  });
  const prepareOptions = prepareOptionsFromConfig(config);
  return {
    source: new S3ImageSource(clients.s3),
    store: new DynamoCatalogueStore(clients.doc, config.tableName, new CategoryTally(clients.doc, config.tableName)),
    describer,
    prepare: (body) => prepareImage(body, prepareOptions),
    toPixelBox,
    thumbnails: config.thumbnails.bucket ? new S3ThumbnailStore(clients.s3, config.thumbnails.bucket) : undefined,
    prompt: { text: prompt.text, analysisVersion: prompt.analysisVersion },
    maxBytes: config.image.maxBytes,
    bodyBudget: new ByteBudget(config.consumer.maxInflightBytes),
    reuseSameContent: config.skipSameContent,
    analysisVersion: prompt.analysisVersion,
    gate,
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
          const traits = traitsOf(resolveModel(config.model.id));
          return new QuotaLimitedDescriber(inner, limiter, {
            maxTokens: config.model.maxTokens,
            outputBurndown: config.quota.outputBurndown,
            // A category list makes the tool schema, and so every request, longer.
            toolSchemaChars: JSON.stringify(descriptionJsonSchema(config.model.categories)).length,
            traits,
            calibration: new FixedPartCalibration(traits.image),
          });
        }));
  const pipeline = await createPipeline(config, clients, logger, wrap);
  let dailyQuotaSpent: DailyQuotaExhaustedError | undefined;
  if (options.checkModel !== false) {
    try {
      ({ dailyQuotaSpent } = await checkModelAtStartup(config, clients.bedrock, logger, pipeline.prompt.text));
    } catch (error) {
      pipeline.gate.close();
      await limiter?.close();
      if (!options.clients) destroyClients(clients);
      throw error;
    }
  }
  const worker = new QueueWorker({
    queueUrl: config.queueUrl,
    sqs: clients.sqs,
    consumer: { ...config.consumer, ...pick(planPrefetch(config)) },
    handler: { pipeline, deadLetters: new SqsDeadLetterSink(clients.sqs, dlqUrl), logger },
    logger,
  });
  const { gate } = pipeline;
  gate.on('paused', () => worker.pause());
  gate.on('resumed', () => worker.resume());
  if (dailyQuotaSpent) gate.trip(dailyQuotaSpent);
  registerWorkerMetrics(metrics, worker);
  registerGateMetrics(metrics, gate);
  const metricsServer =
    config.metricsPort === undefined
      ? undefined
      : await startMetricsServer(metrics, config.metricsPort, config.metricsHost, () => healthOf(gate));
  let closing: Promise<{ released: number }> | undefined;
  return {
    worker,
    clients,
    analysisVersion: pipeline.analysisVersion,
    limiter,
    metrics,
    gate,
    metricsUrl: metricsServer?.url,
    close(deadlineMs) {
      // Idempotent: a second call waits for the first.
      closing ??= (async () => {
        gate.close();
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
