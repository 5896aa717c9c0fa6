import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { transient } from '../../shared/awsErrors.ts';
import { fullJitterDelay, sleep } from '../../shared/backoff.ts';

/** BatchGetItem reads at most 100 keys per call. */
const BATCH_GET_SIZE = 100;

/** What the backfill needs to know of a catalogue item. */
export const ItemState = z.object({
  id: z.string(),
  status: z.string(),
  eTag: z.string().optional(),
  analysisVersion: z.string().optional(),
  /** The worker-made display copy, absent on items catalogued before display copies existed. */
  displayKey: z.string().optional(),
  /** Why the item was rejected (`--retry-rejected --reason`). */
  reasonCode: z.string().optional(),
});
export type ItemState = z.infer<typeof ItemState>;

export interface CatalogueLookupOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Attempts for keys DynamoDB leaves unprocessed (throttling). Default 10. */
  maxAttempts?: number;
  random?: () => number;
}

/**
 * Reads the state of many catalogue items: BatchGetItem, 100 keys per call, the calls of one lookup in parallel,
 * `UnprocessedKeys` retried with backoff (DynamoDB returns them under throttling instead of failing the call).
 */
export class CatalogueLookup {
  calls = 0;

  constructor(private readonly options: CatalogueLookupOptions) {}

  /** The items that exist among `ids`, by id. */
  async get(ids: readonly string[]): Promise<Map<string, ItemState>> {
    const unique = [...new Set(ids)];
    const found = new Map<string, ItemState>();
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += BATCH_GET_SIZE) chunks.push(unique.slice(i, i + BATCH_GET_SIZE));
    await Promise.all(chunks.map((chunk) => this.getChunk(chunk, found)));
    return found;
  }

  private async getChunk(ids: string[], found: Map<string, ItemState>): Promise<void> {
    const { doc, tableName } = this.options;
    const maxAttempts = this.options.maxAttempts ?? 10;
    let keys: Record<string, unknown>[] = ids.map((id) => ({ id }));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt >= maxAttempts) {
        throw transient(
          'DynamoDB BatchGetItem',
          new Error(`${keys.length} keys still unprocessed after ${maxAttempts} attempts`),
        );
      }
      if (attempt > 0) await sleep(fullJitterDelay(attempt, 50, 2000, this.options.random));
      this.calls++;
      let out: BatchGetCommandOutput;
      try {
        out = await doc.send(
          new BatchGetCommand({
            RequestItems: {
              [tableName]: {
                Keys: keys,
                ProjectionExpression: '#id, #status, #eTag, #av, #dk, #rc',
                ExpressionAttributeNames: {
                  '#id': 'id',
                  '#status': 'status',
                  '#eTag': 'eTag',
                  '#av': 'analysisVersion',
                  '#dk': 'displayKey',
                  '#rc': 'reasonCode',
                },
              },
            },
          }),
        );
      } catch (error) {
        throw transient('DynamoDB BatchGetItem', error, { keys: keys.length });
      }
      for (const raw of out.Responses?.[tableName] ?? []) {
        const item = ItemState.safeParse(raw);
        if (item.success) found.set(item.data.id, item.data);
      }
      keys = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
}
