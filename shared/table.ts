/**
 * The catalogue table's key schema and indexes: one definition used by the local stack (dynalite), the tests and the
 * Pulumi stack, so they cannot drift apart.
 */
export const CATALOGUE_TABLE = {
  partitionKey: 'id',
  /** Items by category, newest first: the browser's category filter. Only items with a `category` appear. */
  byCategoryIndex: { name: 'byCategory', partitionKey: 'category', sortKey: 'updatedAt' },
  /** Items by status (catalogued / rejected / removed), newest first. */
  byStatusIndex: { name: 'byStatus', partitionKey: 'status', sortKey: 'updatedAt' },
  /** Items by the SHA-256 of their bytes: identical images under other keys reuse one analysis. */
  byContentIndex: { name: 'byContent', partitionKey: 'contentHash', sortKey: 'updatedAt' },
} as const;

/**
 * Ids of the short leases the workers take before paying the model (see CatalogueStore.claim) start with this. They
 * live in the catalogue table but carry no `status`, so no index shows them; a Scan must skip them.
 */
export const CLAIM_ID_PREFIX = 'claim#';

/** True for an item of the table that is a worker's lease, not a catalogue item. */
export function isClaimItem(raw: Record<string, unknown>): boolean {
  return typeof raw.id === 'string' && raw.id.startsWith(CLAIM_ID_PREFIX);
}

/** A DynamoDB `CreateTable` input for the catalogue, on-demand billing. */
export function catalogueCreateTableInput(tableName: string) {
  const t = CATALOGUE_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: t.partitionKey, AttributeType: 'S' as const },
      { AttributeName: t.byCategoryIndex.partitionKey, AttributeType: 'S' as const },
      { AttributeName: t.byStatusIndex.partitionKey, AttributeType: 'S' as const },
      { AttributeName: t.byContentIndex.partitionKey, AttributeType: 'S' as const },
      { AttributeName: t.byCategoryIndex.sortKey, AttributeType: 'S' as const },
    ],
    KeySchema: [{ AttributeName: t.partitionKey, KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: [t.byCategoryIndex, t.byStatusIndex, t.byContentIndex].map((ix) => ({
      IndexName: ix.name,
      KeySchema: [
        { AttributeName: ix.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: ix.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
  };
}

/**
 * Category counts kept beside the items, in the same table: `COUNTS_SHARDS` counter items, each holding a number
 * attribute per category (`c:<category>`), updated by the worker with ADD whenever a write changes an item's counted
 * category. Their ids start with `#`, which no item id (`bucket/key`, and bucket names are [a-z0-9.-]) can; they
 * carry no status or category, so no index lists them. Several shards, each item always counted in the same one,
 * keep a fleet's updates off a single hot key; a reader sums them with one GetItem each.
 */
export const CATEGORY_COUNTS = {
  shards: 4,
  idPrefix: '#counts#',
  attributePrefix: 'c:',
} as const;

/** The id of counter shard `shard`. */
export function countsShardId(shard: number): string {
  return `${CATEGORY_COUNTS.idPrefix}${shard}`;
}

/** True for a counter item (not a catalogue item): scans of the whole table skip these. */
export function isCountsItem(raw: Record<string, unknown>): boolean {
  return typeof raw.id === 'string' && raw.id.startsWith(CATEGORY_COUNTS.idPrefix);
}
