import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { transient } from '../../shared/awsErrors.ts';
import type { CatalogueItem } from '../../shared/catalogue.ts';
import { CATEGORY_COUNTS, countsShardId } from '../../shared/table.ts';

/** The category an item counts under: catalogued items only, by their category. */
export function countedCategoryOf(item: Pick<CatalogueItem, 'status' | 'category'>): string | undefined {
  return item.status === 'catalogued' && item.category ? item.category : undefined;
}

/**
 * Keeps the category counter items (shared/table.ts CATEGORY_COUNTS) in step with the catalogue. The store calls it
 * only after a conditional write that succeeded, with the category the replaced item was counted under (its
 * `countedCategory`, read back with ReturnValues ALL_OLD) and the one the new item counts under. A redelivered event
 * whose write fails its condition changes nothing, so it counts nothing; a write that keeps the category counts
 * nothing either. Items written before counters existed carry no `countedCategory`: their first rewrite (a backfill
 * reprocess) counts them once.
 *
 * Not atomic with the item write (dynalite has no transactions): a worker killed between the two loses one
 * transition. The counts are for the browser's category menu, where that is acceptable; `npm run backfill --
 * --reprocess-without-display` or a recount can correct drift.
 */
export class CategoryTally {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Moves item `id` from `before` to `after` in the counts; nothing when they are equal. */
  async transition(id: string, before: string | undefined, after: string | undefined): Promise<void> {
    if (before === after) return;
    const names: Record<string, string> = {};
    const values: Record<string, number> = {};
    const adds: string[] = [];
    if (before !== undefined) {
      names['#before'] = `${CATEGORY_COUNTS.attributePrefix}${before}`;
      values[':minus'] = -1;
      adds.push('#before :minus');
    }
    if (after !== undefined) {
      names['#after'] = `${CATEGORY_COUNTS.attributePrefix}${after}`;
      values[':plus'] = 1;
      adds.push('#after :plus');
    }
    const shardId = countsShardId(shardOf(id));
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id: shardId },
          UpdateExpression: `ADD ${adds.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      throw transient('DynamoDB UpdateItem (category counts)', error, { id, shard: shardId });
    }
  }
}

/** The shard an item is always counted in: a hash of its id, so its -1 lands where its +1 did. */
function shardOf(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % CATEGORY_COUNTS.shards;
}
