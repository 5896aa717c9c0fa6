import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../../shared/logger.ts';
import { CATALOGUE_TABLE } from '../../shared/table.ts';
import { UpstreamError } from './errors.ts';

export interface CategoryCounts {
  categories: Array<{ name: string; count: number }>;
  /** Catalogued items counted. */
  total: number;
  /** False when the row or time budget ran out first: the counts are then a lower bound. */
  complete: boolean;
  /** When the counts were read (ISO 8601); they are served from memory for `ttlSeconds` after that. */
  computedAt: string;
}

export interface CategoryCounterOptions {
  /** How long counts are served from memory, s. Default 300. 0: read on every call. */
  ttlSeconds?: number;
  /** Most index rows read per count. Default 1,000,000. */
  budget?: number;
  /** Longest a count may take, ms (a Lambda has a timeout; a page should not wait forever). Default 5000. */
  maxMs?: number;
  /** Parallel scan segments. Default 4. */
  segments?: number;
  /** Rows asked for per Scan request (DynamoDB also stops each page at 1 MB). Default 10,000. */
  pageSize?: number;
  now?: () => number;
  logger?: Logger;
}

/**
 * Distinct categories with their counts. There is no aggregate to read (the worker keeps none, and a counter item
 * updated by every worker write would be a hot key at fleet speed), so this is a parallel Scan of the sparse
 * `byCategory` index projecting only `category`, bounded by a row and a time budget, cached in memory, one scan
 * shared by concurrent callers. DynamoDB charges a Scan by the size of the rows it reads, projection or not: at
 * 100,000 items of ~1.5 KB that is ~18,000 read units (about half a US cent on demand) per refresh, at most once
 * per `ttlSeconds` per process. Past a few million items, keep counts beside the table (a stream-fed aggregate).
 */
export class CategoryCounter {
  private readonly ttlMs: number;
  private readonly budget: number;
  private readonly maxMs: number;
  private readonly segments: number;
  private readonly pageSize: number;
  private readonly now: () => number;
  private cached?: { at: number; value: CategoryCounts };
  private inFlight?: Promise<CategoryCounts>;
  private readonly logger?: Logger;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: CategoryCounterOptions = {},
  ) {
    this.ttlMs = (options.ttlSeconds ?? 300) * 1000;
    this.budget = options.budget ?? 1_000_000;
    this.maxMs = options.maxMs ?? 5000;
    this.segments = options.segments ?? 4;
    this.pageSize = options.pageSize ?? 10_000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
  }

  async counts(): Promise<CategoryCounts> {
    if (this.cached && this.now() - this.cached.at < this.ttlMs) return this.cached.value;
    this.inFlight ??= this.scan().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async scan(): Promise<CategoryCounts> {
    const started = this.now();
    const counts = new Map<string, number>();
    const perSegment = Math.ceil(this.budget / this.segments);
    let complete = true;
    let read = 0;
    await Promise.all(
      Array.from({ length: this.segments }, async (_, segment) => {
        let startKey: Record<string, unknown> | undefined;
        let scanned = 0;
        do {
          const out = await this.doc
            .send(
              new ScanCommand({
                TableName: this.tableName,
                IndexName: CATALOGUE_TABLE.byCategoryIndex.name,
                ProjectionExpression: '#c',
                FilterExpression: '#s = :s',
                ExpressionAttributeNames: { '#c': 'category', '#s': 'status' },
                ExpressionAttributeValues: { ':s': 'catalogued' },
                Segment: segment,
                TotalSegments: this.segments,
                Limit: Math.min(perSegment - scanned, this.pageSize),
                ExclusiveStartKey: startKey,
              }),
            )
            .catch((error: unknown) => {
              throw new UpstreamError('the catalogue table could not be read', { cause: error });
            });
          scanned += out.ScannedCount ?? 0;
          for (const item of out.Items ?? []) {
            const name = item.category;
            if (typeof name === 'string') counts.set(name, (counts.get(name) ?? 0) + 1);
          }
          startKey = out.LastEvaluatedKey;
        } while (startKey && scanned < perSegment && this.now() - started < this.maxMs);
        if (startKey) complete = false;
        read += scanned;
      }),
    );
    const categories = [...counts]
      .map(([name, count]) => ({ name, count }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
    const value: CategoryCounts = {
      categories,
      total: categories.reduce((sum, c) => sum + c.count, 0),
      complete,
      computedAt: new Date(started).toISOString(),
    };
    this.logger?.debug({ read, categories: categories.length, ms: this.now() - started }, 'category counts read');
    this.cached = { at: started, value };
    return value;
  }
}
