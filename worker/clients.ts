import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../shared/config.ts';

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  bedrock: BedrockRuntimeClient;
}

/**
 * The SDK clients, from config. Credentials come from the default provider chain (environment, ECS task role...).
 * Bedrock gets `maxAttempts: 1`: our own retry layer retries, so every attempt passes through the quota limiter.
 */
export function createClients(config: Pick<Config, 'region' | 'endpoints' | 'credentials'>): AwsClients {
  const { endpoints } = config;
  const region = { region: config.region, credentials: config.credentials };
  const s3 = new S3Client({ ...region, endpoint: endpoints.s3, forcePathStyle: endpoints.s3 !== undefined });
  const sqs = new SQSClient({ ...region, endpoint: endpoints.sqs });
  const dynamodb = new DynamoDBClient({ ...region, endpoint: endpoints.dynamodb });
  const doc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const bedrock = new BedrockRuntimeClient({ ...region, endpoint: endpoints.bedrock, maxAttempts: 1 });
  return { s3, sqs, dynamodb, doc, bedrock };
}

export function destroyClients(c: AwsClients): void {
  c.s3.destroy();
  c.sqs.destroy();
  c.doc.destroy();
  c.dynamodb.destroy();
  c.bedrock.destroy();
}
