import { BedrockClient } from '@aws-sdk/client-bedrock';
import { EXIT } from '../../../shared/cli.ts';
import { type Config, loadConfig, requireConfig } from '../../../shared/config.ts';
import { ConfigError } from '../../../shared/errors.ts';
import { createLogger, type Logger } from '../../../shared/logger.ts';
import {
  type AwsClients,
  createClients,
  DynamoCatalogueStore,
  destroyClients,
  type LoadedPrompt,
  loadPrompt,
  prepareImage,
  prepareOptionsFromConfig,
  S3ImageSource,
  S3ThumbnailStore,
} from '../../../worker/index.ts';
import { runDryRun } from '../dryRun.ts';
import { formatDryRun } from '../report.ts';
import { estimateBatch, formatBatchEstimate } from './batchEstimate.ts';
import type { BatchModeArgs, batchFlags } from './flags.ts';
import { BatchModeOptions } from './options.ts';
import { type BatchDeps, runBatchBackfill } from './runBatch.ts';
import { formatBatchSummary } from './summary.ts';

type Args = BatchModeArgs & { flags: ReturnType<typeof batchFlags> };

/** The batch-mode command, once its flags are read: wires config, clients and the worker's parts. */
export async function runBatchCommand(args: Args, given?: Logger): Promise<number> {
  const config = loadConfig();
  const logger = given ?? createLogger({ level: config.log.level, format: config.log.format, name: 'backfill-batch' });
  const prompt = loadPrompt(config);
  const clients = createClients(config);
  const controller = new AbortController();
  const onSignal = () => {
    logger.warn('stopping: the manifest in the staging bucket keeps the run; start the command again to resume');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (args.dryRun) {
      const report = await runDryRun(
        { ...args.backfill, ...args.dryRun },
        {
          s3: clients.s3,
          doc: clients.doc,
          tableName: config.tableName,
          analysisVersion: prompt.analysisVersion,
          model: config.model,
          prompt: prompt.text,
          image: config.image,
          quota: config.quota,
          logger,
          signal: controller.signal,
        },
      );
      const limits = BatchModeOptions.parse({
        stagingBucket: 'dry-run',
        roleArn: 'arn:aws:iam::000000000000:role/dry-run',
        ...definedOf(args.flags),
      });
      const estimate = estimateBatch(report, limits);
      process.stdout.write(`${formatDryRun(report)}\n${formatBatchEstimate(estimate)}\n`);
      process.stdout.write(`${JSON.stringify({ dryRun: report, batch: estimate })}\n`);
      return report.complete ? EXIT.ok : EXIT.interrupted;
    }
    const staging = batchConfig(config);
    const queue = requireConfig(config, ['queueUrl']);
    const bedrock = controlPlaneClient(config);
    try {
      const summary = await runBatchBackfill(
        { ...args.backfill },
        { ...definedOf(args.flags), ...staging, restart: args.restart },
        batchDeps(config, clients, prompt, queue.queueUrl, bedrock, logger, controller.signal),
      );
      process.stdout.write(`${formatBatchSummary(summary)}\n${JSON.stringify({ batch: summary })}\n`);
      return summary.outcome === 'aborted' ? EXIT.interrupted : EXIT.ok;
    } finally {
      bedrock.destroy();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    destroyClients(clients);
  }
}

/** The batch run's dependencies from config: the worker's own preparation, source and store. */
export function batchDeps(
  config: Config,
  clients: AwsClients,
  prompt: LoadedPrompt,
  queueUrl: string,
  bedrock: BedrockClient,
  logger?: Logger,
  signal?: AbortSignal,
): BatchDeps {
  const prepareOptions = prepareOptionsFromConfig(config);
  return {
    s3: clients.s3,
    sqs: clients.sqs,
    doc: clients.doc,
    bedrock,
    queueUrl,
    tableName: config.tableName,
    model: config.model,
    prompt,
    source: new S3ImageSource(clients.s3),
    store: new DynamoCatalogueStore(clients.doc, config.tableName),
    prepare: (body) => prepareImage(body, prepareOptions),
    thumbnails: config.thumbnails.bucket ? new S3ThumbnailStore(clients.s3, config.thumbnails.bucket) : undefined,
    reuseSameContent: config.skipSameContent,
    maxBytes: config.image.maxBytes,
    logger,
    signal,
  };
}

/** The Bedrock control-plane client (batch jobs), from config. */
export function controlPlaneClient(config: Config): BedrockClient {
  return new BedrockClient({
    region: config.region,
    credentials: config.credentials,
    endpoint: config.batch.controlEndpoint,
  });
}

function batchConfig(config: Config): { stagingBucket: string; roleArn: string } {
  const missing = [
    ...(config.batch.bucket ? [] : [{ variable: 'BATCH_BUCKET', message: 'required by --mode batch' }]),
    ...(config.batch.roleArn ? [] : [{ variable: 'BATCH_ROLE_ARN', message: 'required by --mode batch' }]),
  ];
  if (missing.length) throw new ConfigError(missing);
  return { stagingBucket: config.batch.bucket as string, roleArn: config.batch.roleArn as string };
}

function definedOf<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
