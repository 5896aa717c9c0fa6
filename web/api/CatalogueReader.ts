import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { CatalogueItem, type ItemStatus } from '../../shared/catalogue.ts';
import type { Logger } from '../../shared/logger.ts';
import { CATALOGUE_TABLE } from '../../shared/table.ts';
import { decodeCursor, encodeCursor, queryFingerprint, type StartKey } from './cursor.ts';
import { InvalidParameterError, MalformedItemError, UpstreamError } from './errors.ts';
import { searchTerms } from './params.ts';

/** What a list row carries: enough for a grid card, not the labels or the visible text. */
export const ListRow = CatalogueItem.pick({
  id: true,
  bucket: true,
  key: true,
  status: true,
  summary: true,
  category: true,
  sensitive: true,
  thumbnailKey: true,
  reason: true,
  reasonCode: true,
  updatedAt: true,
  image: true,
});
export type ListRow = z.infer<typeof ListRow>;

const LIST_ATTRIBUTES = Object.keys(ListRow.shape);

export interface ListQuery {
  /** Rows wanted, 1-100. */
  limit: number;
  status: ItemStatus;
  category?: string;
  /** Lower-case search words, all of which must occur in `searchText`. */
  q?: string;
  cursor?: string;
}

export interface ListPage {
  items: ListRow[];
  /** Where the next page starts; absent when there is nothing more. */
  cursor?: string;
  /** Rows DynamoDB evaluated for this page (equal to the rows returned, plus one, unless a filter applied). */
  scanned: number;
  /** True when a filtered page stopped because it evaluated its budget of rows, not because it was full. */
  budgetSpent: boolean;
}

export interface CatalogueReaderOptions {
  /** Most rows a filtered request (search, or category + status) evaluates before it returns. Default 5000. */
  filterBudget?: number;
  logger?: Logger;
}

const T = CATALOGUE_TABLE;

/**
 * The query's expression parts: the listed attributes' projection, the index partition value (the status, or the
 * category), a status filter for a category query, and one `contains` filter per search word.
 */
function listExpression(
  query: ListQuery,
  partitionKey: string,
  terms: readonly string[],
): { names: Record<string, string>; values: Record<string, unknown>; filters: string[]; projection: string } {
  const byCategory = query.category !== undefined;
  const names: Record<string, string> = {};
  LIST_ATTRIBUTES.forEach((a, i) => {
    names[`#a${i}`] = a;
  });
  const projection = Object.keys(names).join(', ');
  names['#pk'] = partitionKey;
  const values: Record<string, unknown> = { ':pk': byCategory ? query.category : query.status };
  const filters: string[] = [];
  if (byCategory) {
    // byCategory holds every status that has a category: narrow it to the one asked for.
    names['#status'] = 'status';
    values[':status'] = query.status;
    filters.push('#status = :status');
  }
  if (terms.length > 0) {
    names['#search'] = 'searchText';
    terms.forEach((term, i) => {
      values[`:t${i}`] = term;
      filters.push(`contains(#search, :t${i})`);
    });
  }
  return { names, values, filters, projection };
}

/**
 * Reads the catalogue for the browser, through the two indexes only: a plain page is one Query on `byStatus` (or
 * `byCategory`) newest first, so it costs the same at 100 items as at 100 million. Search is a filtered Query on the
 * same index: DynamoDB evaluates rows in index order and drops those that do not contain every word; a request stops
 * when it has its page or has evaluated `filterBudget` rows, and returns a cursor either way.
 */
export class CatalogueReader {
  private readonly filterBudget: number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: CatalogueReaderOptions = {},
  ) {
    this.filterBudget = options.filterBudget ?? 5000;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const byCategory = query.category !== undefined;
    const index = byCategory ? T.byCategoryIndex : T.byStatusIndex;
    const keyNames = [T.partitionKey, index.partitionKey, index.sortKey];
    const terms = searchTerms(query.q);
    const fingerprint = queryFingerprint([index.name, query.status, query.category, terms.join(' ')]);
    let startKey: StartKey | undefined = query.cursor ? decodeCursor(query.cursor, fingerprint, keyNames) : undefined;

    const { names, values, filters, projection } = listExpression(query, index.partitionKey, terms);
    const filtered = filters.length > 0;
    // One row more than asked tells whether another page exists, so the last page carries no cursor.
    const want = query.limit + 1;
    const items: Array<{ row: ListRow; raw: Record<string, unknown> }> = [];
    let scanned = 0;
    let budgetSpent = false;
    let next: StartKey | undefined;

    for (let round = 0; ; round++) {
      // Unfiltered, and first try of a category query (its status filter matches nearly every row, as only catalogued
      // rows have a category): read just what is missing. Search words match few rows: read in large pages, and so
      // does a category query whose first page came back short.
      const missing = want - items.length;
      const large = Math.max(want * 4, 500);
      const pageLimit = !filtered
        ? missing
        : Math.min(this.filterBudget - scanned, terms.length === 0 && round === 0 ? missing : large);
      const out = await this.guard(
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index.name,
            KeyConditionExpression: '#pk = :pk',
            FilterExpression: filtered ? filters.join(' AND ') : undefined,
            ProjectionExpression: projection,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            Limit: pageLimit,
            ExclusiveStartKey: startKey,
          }),
        ),
        query.cursor !== undefined,
      );
      scanned += out.ScannedCount ?? 0;
      for (const raw of out.Items ?? []) {
        const row = this.parseRow(raw);
        if (row) items.push({ row, raw });
        if (items.length === want) break;
      }
      if (items.length === want) {
        items.pop();
        next = pick(items[items.length - 1]!.raw, keyNames);
        break;
      }
      startKey = out.LastEvaluatedKey as StartKey | undefined;
      if (!startKey) break;
      if (filtered && scanned >= this.filterBudget) {
        budgetSpent = true;
        next = startKey;
        break;
      }
    }
    return {
      items: items.map((i) => i.row),
      cursor: next && encodeCursor(fingerprint, next),
      scanned,
      budgetSpent,
    };
  }

  /** One item, all of it; undefined when there is none. */
  async get(id: string): Promise<CatalogueItem | undefined> {
    const out = await this.guard(
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: { [T.partitionKey]: id } })),
    );
    if (!out.Item) return undefined;
    const parsed = CatalogueItem.safeParse(out.Item);
    if (parsed.success) return parsed.data;
    this.options.logger?.warn({ id, issues: parsed.error.issues.slice(0, 3) }, 'catalogue item does not parse');
    throw new MalformedItemError('the catalogue item is malformed', { context: { id } });
  }

  private parseRow(raw: Record<string, unknown>): ListRow | undefined {
    const parsed = ListRow.safeParse(raw);
    if (parsed.success) return parsed.data;
    // One bad row must not hide a whole page: skip it, and say so in the logs.
    this.options.logger?.warn({ id: raw.id, issues: parsed.error.issues.slice(0, 3) }, 'skipping malformed row');
    return undefined;
  }

  /** Runs a DynamoDB call, translating its failure: a refused start key is the client's cursor, the rest is ours. */
  private async guard<R>(call: Promise<R>, cursorGiven = false): Promise<R> {
    try {
      return await call;
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ValidationException' && cursorGiven) {
        throw new InvalidParameterError('cursor', 'does not fit this query');
      }
      throw new UpstreamError('the catalogue table could not be read', { cause: error, context: { name } });
    }
  }
}

function pick(raw: Record<string, unknown>, names: readonly string[]): StartKey {
  return Object.fromEntries(names.map((n) => [n, String(raw[n])]));
}
