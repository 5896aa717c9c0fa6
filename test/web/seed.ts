import { BatchWriteCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type CatalogueItem, searchTextOf } from '../../shared/catalogue.ts';
import { CATEGORY_COUNTS, countsShardId } from '../../shared/table.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** A valid catalogue item number `n`; later `n` is newer. Overrides replace fields (undefined removes one). */
export function makeItem(n: number, over: Partial<CatalogueItem> = {}): CatalogueItem {
  const key = over.key ?? `photos/${String(n).padStart(6, '0')}.jpg`;
  const bucket = over.bucket ?? 'images';
  const summary = over.summary ?? `Photo number ${n}`;
  const category = over.category ?? 'photo';
  const labels = over.labels ?? [
    {
      name: 'thing',
      box: { left: 0.1, top: 0.2, width: 0.3, height: 0.4 },
      boxPx: { left: 64, top: 96, width: 192, height: 192 },
    },
  ];
  const text = over.text ?? '';
  const at = new Date(T0 + n * 1000).toISOString();
  const item: CatalogueItem = {
    id: `${bucket}/${key}`,
    bucket,
    key,
    status: 'catalogued',
    seq: String(n).padStart(20, '0'),
    eTag: `${n}`.padStart(32, '0'),
    size: 1000 + n,
    summary,
    category,
    labels,
    sensitive: { verdict: 'none', reason: 'nothing personal' },
    text,
    image: {
      format: 'jpeg',
      width: 640,
      height: 480,
      bytes: 1000 + n,
      preparedWidth: 640,
      preparedHeight: 480,
      preparedFormat: 'jpeg',
      preparedBytes: 900,
    },
    thumbnailKey: `thumbnails/${n}.webp`,
    searchText: searchTextOf({ summary, category, labels, text }),
    createdAt: at,
    updatedAt: at,
    ...over,
  };
  return item;
}

/** A rejected item as the worker stores it: no description, no thumbnail, a reason. */
export function makeRejected(n: number, reason = 'not an image: the bytes are text'): CatalogueItem {
  const at = new Date(T0 + n * 1000).toISOString();
  return {
    id: `images/broken/${n}.jpg`,
    bucket: 'images',
    key: `broken/${n}.jpg`,
    status: 'rejected',
    seq: String(n).padStart(20, '0'),
    reason,
    reasonCode: 'NOT_AN_IMAGE',
    createdAt: at,
    updatedAt: at,
  };
}

/** A tombstone as the worker stores it. */
export function makeRemoved(n: number): CatalogueItem {
  const at = new Date(T0 + n * 1000).toISOString();
  return {
    id: `images/gone/${n}.jpg`,
    bucket: 'images',
    key: `gone/${n}.jpg`,
    status: 'removed',
    seq: String(n).padStart(20, '0'),
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * Writes items with BatchWriteItem, `concurrency` batches of 25 at a time, retrying what comes back unprocessed, and
 * adds their catalogued categories to the counter items as the worker's CategoryTally would have (each item marked
 * `countedCategory`, so a later worker write moves its count).
 */
export async function seedItems(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: readonly CatalogueItem[],
  concurrency = 8,
): Promise<void> {
  const batches: CatalogueItem[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      let requests: NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]['RequestItems']>[string] = batch.map(
        (item) => ({ PutRequest: { Item: stripEmpty(counted(item)) } }),
      );
      while (requests.length > 0) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        requests = out.UnprocessedItems?.[tableName] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await addCategoryCounts(doc, tableName, items);
}

async function addCategoryCounts(doc: DynamoDBDocumentClient, tableName: string, items: readonly CatalogueItem[]) {
  const counts = new Map<string, number>();
  for (const item of items) {
    if (item.status === 'catalogued' && item.category) counts.set(item.category, (counts.get(item.category) ?? 0) + 1);
  }
  if (counts.size === 0) return;
  const entries = [...counts];
  await doc.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { id: countsShardId(0) },
      UpdateExpression: `ADD ${entries.map((_, i) => `#c${i} :n${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(
        entries.map(([name], i) => [`#c${i}`, `${CATEGORY_COUNTS.attributePrefix}${name}`]),
      ),
      ExpressionAttributeValues: Object.fromEntries(entries.map(([, n], i) => [`:n${i}`, n])),
    }),
  );
}

function counted(item: CatalogueItem): CatalogueItem {
  return item.status === 'catalogued' && item.category ? { ...item, countedCategory: item.category } : item;
}

/** As the worker stores items: no undefined, no empty strings. */
function stripEmpty(item: CatalogueItem): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined && v !== ''));
}
