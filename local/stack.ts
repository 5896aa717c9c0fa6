import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import type { BedrockStandIn, BedrockStandInOptions } from './bedrock/server.ts';
import { ensureCatalogueTable, startDynamo } from './dynamo.ts';
import { LocalStackError } from './errors.ts';
import { startFauxqs } from './fauxqs.ts';
import { listenError } from './listen.ts';
import { ensureQueues } from './queues.ts';
import { S3EventBridge } from './S3EventBridge.ts';
import type { S3Write } from './s3WriteTap.ts';

/**
 * The local stack: in-process stand-ins for S3 + SQS (fauxqs), DynamoDB (dynalite) and Bedrock, on loopback, with the
 * queue, dead-letter queue, buckets and catalogue table the worker expects, and a bridge that turns every upload and
 * delete in the image bucket into an S3 event notification on the queue. Every end-to-end test, the demo
 * (`npm start`) and the benchmarks run on it.
 */

const port = z.number().int().min(0).max(65_535).optional();
const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not a valid S3 bucket name');
const queueName = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'not a valid SQS queue name');

const BridgeOptions = z.object({
  enabled: z.boolean().optional(),
  suffixes: z.array(z.string().min(1)).optional(),
  configurationId: z.string().min(1).optional(),
  /** Send the `s3:TestEvent` S3 sends when notifications are configured, once the stack is up. Default false. */
  sendTestEvent: z.boolean().optional(),
});

const OptionsSchema = z.object({
  dataDir: z.string().min(1).optional(),
  host: z.string().min(1).default('127.0.0.1'),
  ports: z.object({ s3sqs: port, dynamodb: port, bedrock: port }).default({}),
  bucket: bucketName.default('images'),
  thumbnailBucket: bucketName.default('image-thumbnails'),
  batchBucket: bucketName.default('image-batch-staging'),
  queueName: queueName.default('image-events'),
  dlqName: queueName.default('image-events-dlq'),
  maxReceiveCount: z.number().int().min(1).max(1000).default(10),
  visibilityTimeoutSeconds: z.number().int().min(0).max(43_200).default(30),
  tableName: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'not a valid table name')
    .default('image-catalogue'),
  bridge: z.union([z.boolean(), BridgeOptions]).default(true),
});

export type S3EventBridgeSettings = z.input<typeof BridgeOptions>;

/** How to start the stack. Every field is optional. */
export interface LocalStackOptions {
  /**
   * Folder for state that survives a restart: `<dataDir>/fauxqs` (SQLite: queues, messages, buckets, objects) and
   * `<dataDir>/dynamodb` (LevelDB: the catalogue). Default: none, everything in memory and gone on close.
   */
  dataDir?: string;
  /** Interface every stand-in listens on. Default '127.0.0.1'. */
  host?: string;
  /** Ports; 0 or unset: an ephemeral port. */
  ports?: { s3sqs?: number; dynamodb?: number; bedrock?: number };
  /** The image bucket, the one that sends notifications. Default 'images'. */
  bucket?: string;
  /** Bucket of the worker's thumbnails; sends no notifications. Default 'image-thumbnails'. */
  thumbnailBucket?: string;
  /** Staging bucket of batch inference (backfill --mode batch); sends no notifications. Default 'image-batch-staging'. */
  batchBucket?: string;
  /** Default 'image-events'. */
  queueName?: string;
  /** Default 'image-events-dlq'. */
  dlqName?: string;
  /**
   * Receives before SQS moves a message to the DLQ. Default 10, as the Pulumi stack: the budget for crashes; real
   * failures are counted by the worker itself (MESSAGE_MAX_ATTEMPTS).
   */
  maxReceiveCount?: number;
  /** The queue's default visibility timeout, s. Default 30. */
  visibilityTimeoutSeconds?: number;
  /** Default 'image-catalogue'. */
  tableName?: string;
  /** Options of the Bedrock stand-in (host and port come from here unless set), or false for none. Default {}. */
  bedrock?: BedrockStandInOptions | false;
  /** The S3 event bridge: true, false (no notifications) or its settings. Default true. */
  bridge?: boolean | S3EventBridgeSettings;
  /** Logs start-up and undeliverable notifications. Default silent. */
  logger?: Logger;
}

export interface LocalStack {
  endpoints: { s3: string; sqs: string; dynamodb: string; bedrock?: string };
  bucket: string;
  thumbnailBucket: string;
  batchBucket: string;
  queueUrl: string;
  dlqUrl: string;
  tableName: string;
  region: 'us-east-1';
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The variables of shared/config.ts that point a worker (or any AWS tool) at this stack. */
  env: Record<string, string>;
  /** SDK clients configured for the stack (S3 with path-style addressing); closed by `close()`. */
  clients: { s3: S3Client; sqs: SQSClient; dynamodb: DynamoDBClient; ddbDoc: DynamoDBDocumentClient };
  bedrock?: BedrockStandIn;
  bridge: S3EventBridge;
  /** Stops everything; idempotent. */
  close(): Promise<void>;
}

const REGION = 'us-east-1';
/** The stand-in checks the shape of a batch job's role ARN only; this one names no real account. */
const LOCAL_BATCH_ROLE_ARN = 'arn:aws:iam::123456789012:role/image-catalogue-batch-local';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Starts the local stack. On failure, whatever had started is stopped again before the error is thrown.
 * @throws PortInUseError when a configured port is taken; LocalStackError or a ZodError for bad options.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const { bedrock: bedrockOptions, logger: givenLogger, ...rest } = options;
  // The Bedrock stand-in checks its own options.
  const o = OptionsSchema.parse(rest);
  if (o.bucket === o.thumbnailBucket) throw new LocalStackError('bucket and thumbnailBucket must differ');
  if (o.queueName === o.dlqName) throw new LocalStackError('queueName and dlqName must differ');
  const logger = givenLogger ?? pino({ level: 'silent' });
  const dataDir = o.dataDir ? resolve(o.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });

  const closers: (() => Promise<void>)[] = [];
  // In reverse order of start: the bridge delivers what it holds before the clients and fauxqs go away.
  const closeAll = async () => {
    let failure: unknown;
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  };

  // Writes reach the bridge once it exists; nothing can write before the queues and clients are made.
  let onWrite: (write: S3Write) => void = () => {};
  try {
    const fauxqs = await startFauxqs({
      host: o.host,
      port: o.ports.s3sqs ?? 0,
      dataDir: dataDir && join(dataDir, 'fauxqs'),
      onWrite: (write) => onWrite(write),
    });
    closers.push(() => fauxqs.close());
    const dynamo = await startDynamo({
      host: o.host,
      port: o.ports.dynamodb ?? 0,
      path: dataDir && join(dataDir, 'dynamodb'),
    });
    closers.push(() => dynamo.close());
    let bedrock: BedrockStandIn | undefined;
    if (bedrockOptions !== false) {
      const bedrockPort = bedrockOptions?.port ?? o.ports.bedrock ?? 0;
      const { createBedrockStandIn } = await import('./bedrock/server.ts');
      try {
        // Batch jobs read their input from, and write their output to, the S3 stand-in.
        const batch = { s3Endpoint: fauxqs.url, ...bedrockOptions?.batch };
        bedrock = await createBedrockStandIn({ host: o.host, logger, ...bedrockOptions, batch, port: bedrockPort });
      } catch (error) {
        throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
          ? listenError(error, o.host, bedrockPort, 'bedrock')
          : error;
      }
      const started = bedrock;
      closers.push(() => started.close());
    }

    const common = { region: REGION, credentials: CREDENTIALS };
    const s3 = new S3Client({ ...common, endpoint: fauxqs.url, forcePathStyle: true });
    const sqs = new SQSClient({ ...common, endpoint: fauxqs.url });
    const dynamodb = new DynamoDBClient({ ...common, endpoint: dynamo.url });
    const ddbDoc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
    // The bridge has a client of its own, so a caller destroying `clients.sqs` cannot stop notifications.
    const bridgeSqs = new SQSClient({ ...common, endpoint: fauxqs.url });
    closers.push(async () => {
      for (const client of [s3, sqs, ddbDoc, dynamodb, bridgeSqs]) client.destroy();
    });

    const [{ queueUrl, dlqUrl }] = await Promise.all([
      ensureQueues(sqs, fauxqs.url, o),
      ensureCatalogueTable(dynamodb, o.tableName),
    ]);
    fauxqs.createBucket(o.bucket);
    fauxqs.createBucket(o.thumbnailBucket);
    fauxqs.createBucket(o.batchBucket);

    const { sendTestEvent, ...bridgeSettings } = typeof o.bridge === 'boolean' ? { enabled: o.bridge } : o.bridge;
    const bridge = new S3EventBridge({
      ...bridgeSettings,
      bucket: o.bucket,
      queueUrl,
      sqs: bridgeSqs,
      region: REGION,
      logger: logger.child({ component: 's3-event-bridge' }),
    });
    onWrite = (write) => bridge.handleWrite(write);
    closers.push(() => bridge.close());
    if (bridge.enabled && sendTestEvent) await bridge.sendTestEvent();

    const endpoints = { s3: fauxqs.url, sqs: fauxqs.url, dynamodb: dynamo.url, bedrock: bedrock?.url };
    const env: Record<string, string> = {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      S3_ENDPOINT: endpoints.s3,
      SQS_ENDPOINT: endpoints.sqs,
      DYNAMODB_ENDPOINT: endpoints.dynamodb,
      QUEUE_URL: queueUrl,
      DLQ_URL: dlqUrl,
      TABLE_NAME: o.tableName,
      THUMBNAIL_BUCKET: o.thumbnailBucket,
    };
    if (endpoints.bedrock) {
      env.BEDROCK_ENDPOINT = endpoints.bedrock;
      // The stand-in serves the control plane (batch inference) on the same port; on AWS it is another host.
      env.BEDROCK_CONTROL_ENDPOINT = endpoints.bedrock;
      env.BATCH_BUCKET = o.batchBucket;
      env.BATCH_ROLE_ARN = LOCAL_BATCH_ROLE_ARN;
    }
    logger.info({ endpoints, queueUrl, dlqUrl, dataDir: dataDir ?? null }, 'local stack up');

    let closing: Promise<void> | undefined;
    return {
      endpoints,
      bucket: o.bucket,
      thumbnailBucket: o.thumbnailBucket,
      batchBucket: o.batchBucket,
      queueUrl,
      dlqUrl,
      tableName: o.tableName,
      region: REGION,
      credentials: { ...CREDENTIALS },
      env,
      clients: { s3, sqs, dynamodb, ddbDoc },
      bedrock,
      bridge,
      close: () => {
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (error) {
    await closeAll().catch((closeError: unknown) => logger.warn({ err: closeError }, 'cleanup after failed start'));
    throw error;
  }
}
