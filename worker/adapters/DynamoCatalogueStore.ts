import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { errorName, transient } from '../../shared/awsErrors.ts';
import { CatalogueItem } from '../../shared/catalogue.ts';
import { CATALOGUE_TABLE, CLAIM_ID_PREFIX } from '../../shared/table.ts';
import type { CatalogueStore, ReadToken, WriteResult } from '../ports.ts';
import { type CategoryTally, countedCategoryOf } from './CategoryTally.ts';

/**
 * The catalogue in DynamoDB. Every write is conditional, so at-least-once, out-of-order delivery converges on the
 * bucket's final state: a failed condition means a newer (or equal) result is already stored, which is not an error.
 */
export class DynamoCatalogueStore implements CatalogueStore {
  /**
   * @param tally keeps the category counts in step with every write that changes an item's counted category;
   *   unset: no counts (tests of the store alone, tools that write items of their own).
   */
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly tally?: CategoryTally,
  ) {}

  async get(id: string): Promise<CatalogueItem | undefined> {
    try {
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }));
      return out.Item ? fromStored(out.Item) : undefined;
    } catch (error) {
      throw transient('DynamoDB GetItem', error, { id });
    }
  }

  async findByContent(contentHash: string, analysisVersion: string): Promise<CatalogueItem | undefined> {
    try {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: CATALOGUE_TABLE.byContentIndex.name,
          KeyConditionExpression: 'contentHash = :h',
          FilterExpression: 'analysisVersion = :av AND #status = :catalogued',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':h': contentHash, ':av': analysisVersion, ':catalogued': 'catalogued' },
          ScanIndexForward: false,
          Limit: 25,
        }),
      );
      const found = out.Items?.[0];
      return found ? fromStored(found) : undefined;
    } catch (error) {
      throw transient('DynamoDB Query (byContent)', error, { contentHash });
    }
  }

  putContent(item: CatalogueItem): Promise<WriteResult> {
    // A reprocess that brings the display copy an older item lacks is a change too (backfill
    // --reprocess-without-display), even at the same analysis version.
    const addsDisplay = item.displayKey ? ' OR attribute_not_exists(#dk)' : '';
    return this.conditionalPut(item, {
      // Written when: nothing is stored; or the stored write is older; or it is the same content (same eTag, not a
      // tombstone) analysed differently (another analysis version or outcome) — a re-analysis keeps the stored seq.
      ConditionExpression: `attribute_not_exists(id) OR #seq < :seq OR (#eTag = :eTag AND #status <> :removed AND (#av <> :av OR #status <> :status${addsDisplay}))`,
      ExpressionAttributeNames: {
        '#seq': 'seq',
        '#eTag': 'eTag',
        '#status': 'status',
        '#av': 'analysisVersion',
        ...(item.displayKey ? { '#dk': 'displayKey' } : {}),
      },
      ExpressionAttributeValues: {
        ':seq': item.seq,
        ':eTag': item.eTag ?? '',
        ':removed': 'removed',
        ':av': item.analysisVersion ?? '',
        ':status': item.status,
      },
    });
  }

  putTombstone(item: CatalogueItem): Promise<WriteResult> {
    return this.conditionalPut(item, {
      ConditionExpression: 'attribute_not_exists(id) OR #seq < :seq',
      ExpressionAttributeNames: { '#seq': 'seq' },
      ExpressionAttributeValues: { ':seq': item.seq },
    });
  }

  async advanceSeq(id: string, eTag: string, seq: string): Promise<WriteResult> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id },
          UpdateExpression: 'SET #seq = :seq',
          ConditionExpression: 'attribute_exists(id) AND #seq < :seq AND #eTag = :eTag AND #status <> :removed',
          ExpressionAttributeNames: { '#seq': 'seq', '#eTag': 'eTag', '#status': 'status' },
          ExpressionAttributeValues: { ':seq': seq, ':eTag': eTag, ':removed': 'removed' },
        }),
      );
      return 'written';
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return 'superseded';
      throw transient('DynamoDB UpdateItem', error, { id });
    }
  }

  replace(item: CatalogueItem, expected: ReadToken): Promise<WriteResult> {
    if (expected === 'absent') {
      return this.conditionalPut(item, {
        ConditionExpression: 'attribute_not_exists(id)',
        ExpressionAttributeNames: {},
        ExpressionAttributeValues: {},
      });
    }
    // seq and updatedAt (ms) together name the version read: every write sets updatedAt, advanceSeq moves seq.
    return this.conditionalPut(item, {
      ConditionExpression: '#seq = :seq AND #updatedAt = :updatedAt',
      ExpressionAttributeNames: { '#seq': 'seq', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ':seq': expected.seq, ':updatedAt': expected.updatedAt },
    });
  }

  async claim(claimId: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = Date.now();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { id: CLAIM_ID_PREFIX + claimId, claimOwner: owner, claimUntil: now + leaseMs },
          ConditionExpression: 'attribute_not_exists(id) OR claimUntil < :now OR claimOwner = :owner',
          ExpressionAttributeValues: { ':now': now, ':owner': owner },
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw transient('DynamoDB PutItem (claim)', error, { claimId });
    }
  }

  async release(claimId: string, owner: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { id: CLAIM_ID_PREFIX + claimId },
          ConditionExpression: 'claimOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Already expired and taken by another: nothing of ours to give back.
      if (errorName(error) === 'ConditionalCheckFailedException') return;
      throw transient('DynamoDB DeleteItem (claim)', error, { claimId });
    }
  }

  async contentInUse(contentHash: string, exceptId: string): Promise<boolean> {
    try {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: CATALOGUE_TABLE.byContentIndex.name,
          KeyConditionExpression: 'contentHash = :h',
          FilterExpression: '#id <> :id AND #status = :catalogued',
          ExpressionAttributeNames: { '#id': 'id', '#status': 'status' },
          ExpressionAttributeValues: { ':h': contentHash, ':id': exceptId, ':catalogued': 'catalogued' },
          ProjectionExpression: 'id',
        }),
      );
      return (out.Items?.length ?? 0) > 0;
    } catch (error) {
      throw transient('DynamoDB Query (byContent)', error, { contentHash });
    }
  }

  /** The conditional write every put goes through; counts the category transition once it succeeded. */
  private async conditionalPut(
    item: CatalogueItem,
    condition: {
      ConditionExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
    },
  ): Promise<WriteResult> {
    const counted = this.tally ? countedCategoryOf(item) : undefined;
    let replaced: Record<string, unknown> | undefined;
    try {
      const names = Object.keys(condition.ExpressionAttributeNames).length > 0;
      const out = await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toStored(this.tally ? { ...item, countedCategory: counted } : item),
          ConditionExpression: condition.ConditionExpression,
          // DynamoDB refuses empty maps.
          ExpressionAttributeNames: names ? condition.ExpressionAttributeNames : undefined,
          ExpressionAttributeValues: names ? condition.ExpressionAttributeValues : undefined,
          // What was replaced, to count the transition: only a write that passed its condition returns it.
          ReturnValues: this.tally ? 'ALL_OLD' : undefined,
        }),
      );
      replaced = out.Attributes;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return 'superseded';
      throw transient('DynamoDB PutItem', error, { id: item.id });
    }
    const before = typeof replaced?.countedCategory === 'string' ? replaced.countedCategory : undefined;
    await this.tally?.transition(item.id, before, counted);
    return 'written';
  }
}

/** Validated on the way in and out: the table only ever holds items of the schema. */
function toStored(item: CatalogueItem): Record<string, unknown> {
  return CatalogueItem.parse(item);
}

function fromStored(raw: Record<string, unknown>): CatalogueItem {
  return CatalogueItem.parse(raw);
}
