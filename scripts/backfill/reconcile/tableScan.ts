import { type DynamoDBDocumentClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { transient } from '../../../shared/awsErrors.ts';

/** What the reconcile needs of a catalogue item. */
export const StoredState = z.object({
  id: z.string(),
  bucket: z.string(),
  key: z.string(),
  status: z.string(),
  eTag: z.string().optional(),
  size: z.number().optional(),
  analysisVersion: z.string().optional(),
});
export type StoredState = z.infer<typeof StoredState>;

/**
 * Every catalogue item of one bucket: a parallel Scan (`segments` at once), projected to what the comparison needs.
 * Items without a `status` are not catalogue items (the workers' short leases live in the same table) and are skipped.
 */
export async function scanBucketItems(
  doc: DynamoDBDocumentClient,
  tableName: string,
  bucket: string,
  options: { segments?: number; onPage?: (items: number) => void } = {},
): Promise<StoredState[]> {
  const segments = options.segments ?? 4;
  const found: StoredState[] = [];
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let start: Record<string, unknown> | undefined;
      do {
        let page: ScanCommandOutput;
        try {
          page = await doc.send(
            new ScanCommand({
              TableName: tableName,
              Segment: segment,
              TotalSegments: segments,
              ExclusiveStartKey: start,
              FilterExpression: '#bucket = :bucket AND attribute_exists(#status)',
              ProjectionExpression: '#id, #bucket, #key, #status, #eTag, #size, #av',
              ExpressionAttributeNames: {
                '#id': 'id',
                '#bucket': 'bucket',
                '#key': 'key',
                '#status': 'status',
                '#eTag': 'eTag',
                '#size': 'size',
                '#av': 'analysisVersion',
              },
              ExpressionAttributeValues: { ':bucket': bucket },
            }),
          );
        } catch (error) {
          throw transient('DynamoDB Scan', error, { segment });
        }
        for (const raw of page.Items ?? []) {
          const item = StoredState.safeParse(raw);
          if (item.success) found.push(item.data);
        }
        options.onPage?.(found.length);
        start = page.LastEvaluatedKey;
      } while (start);
    }),
  );
  return found;
}
