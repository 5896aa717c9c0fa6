import { type Config, requireConfig } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import { BedrockDescriber } from './adapters/BedrockDescriber.ts';
import { DynamoCatalogueStore } from './adapters/DynamoCatalogueStore.ts';
import { S3ImageSource } from './adapters/S3ImageSource.ts';
import { S3ThumbnailStore } from './adapters/S3ThumbnailStore.ts';
import { discoverDeadLetterQueue, SqsDeadLetterSink } from './adapters/SqsDeadLetterSink.ts';
import { type AwsClients, createClients, destroyClients } from './clients.ts';
import { QueueWorker } from './consumer/QueueWorker.ts';
import { prepareImage, prepareOptionsFromConfig, toPixelBox } from './image/prepare.ts';
import { loadPrompt } from './model/prompt.ts';
import { RetryingDescriber } from './model/RetryingDescriber.ts';
import type { PipelineDeps } from './pipeline/processEvent.ts';
import type { Describer } from './ports.ts';

export interface WorkerHandle {
  worker: QueueWorker;
  clients: AwsClients;
  analysisVersion: string;
  /** Graceful stop, then closes the clients. */
  close(deadlineMs?: number): Promise<{ released: number }>;
}

export interface CreateWorkerOptions {
  config: Config;
  logger: Logger;
  clients?: AwsClients;
  /** Wraps the single-attempt model call, e.g. with the quota limiter. Every retry passes through it. */
  wrapModel?: (inner: Describer) => Describer | Promise<Describer>;
}

/** The pipeline's dependencies, wired to AWS (or the local stand-ins) from config. */
export async function createPipeline(
  config: Config,
  clients: AwsClients,
  logger: Logger,
  wrapModel?: CreateWorkerOptions['wrapModel'],
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
    analysisVersion: prompt.analysisVersion,
  };
}

/** Builds a ready-to-start worker from config. */
export async function createWorker(options: CreateWorkerOptions): Promise<WorkerHandle> {
  const config = requireConfig(options.config, ['queueUrl']);
  const clients = options.clients ?? createClients(config);
  const logger = options.logger;
  const dlqUrl = config.dlqUrl ?? (await discoverDeadLetterQueue(clients.sqs, config.queueUrl));
  const pipeline = await createPipeline(config, clients, logger, options.wrapModel);
  const worker = new QueueWorker({
    queueUrl: config.queueUrl,
    sqs: clients.sqs,
    consumer: config.consumer,
    handler: { pipeline, deadLetters: new SqsDeadLetterSink(clients.sqs, dlqUrl), logger },
    logger,
  });
  return {
    worker,
    clients,
    analysisVersion: pipeline.analysisVersion,
    async close(deadlineMs) {
      const result = await worker.stop(deadlineMs);
      if (!options.clients) destroyClients(clients);
      return result;
    },
  };
}
