import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../shared/config.ts';
import type { WebClients } from './http/app.ts';

/**
 * The browser's SDK clients from config: DynamoDB (reads) and S3 (presigning only). Credentials come from the
 * default provider chain; presigned URLs are signed with them, so they must be allowed s3:GetObject on the buckets.
 */
export function createWebClients(config: Pick<Config, 'region' | 'endpoints'>): WebClients & { destroy(): void } {
  const { region, endpoints } = config;
  // WHEN_REQUIRED keeps x-amz-checksum-mode out of presigned GET URLs: the browser cannot use it anyway.
  const s3 = new S3Client({
    region,
    endpoint: endpoints.s3,
    forcePathStyle: endpoints.s3 !== undefined,
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const dynamodb = new DynamoDBClient({ region, endpoint: endpoints.dynamodb });
  const doc = DynamoDBDocumentClient.from(dynamodb);
  return {
    s3,
    doc,
    destroy() {
      s3.destroy();
      // The document client's own destroy() is a no-op: the base client holds the sockets.
      dynamodb.destroy();
    },
  };
}
