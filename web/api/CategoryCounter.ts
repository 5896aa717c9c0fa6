import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../../shared/logger.ts';
import { CATALOGUE_TABLE } from '../../shared/table.ts';
import { UpstreamError } from './errors.ts';

export interface CategoryCounts {
  categories: Array<{ name: string; count: number }>;
  /** Catalogued items counted. */
  total: number;
  /** False when the read budget ran out first: the counts are then a lower bound. */
  complete: boolean;
  /** When the counts were read (ISO 8601); they are served from memory for `ttlSeconds` after that. */
  computedAt: string;
}

export interface CategoryCounterOptions {
  /** How long counts are served from memory, s. Default 300. 0: read on every call. */
  ttlSeconds?: number;
  /** Most index rows read per count. Default 1,000,000. */
  budget?: number;
  /** Parallel scan segments. Default 4. */
  segments?: number;
  now?: () => number;
  logger?: Logger;
}

/**
 * Distinct categories with their counts. There is no aggregate to read (the worker keeps none, and a counter item
 * updated by every worker write would be a hot key at fleet speed), so this is a parallel Scan of the sparse
 * `byCategory` index projecting only `category`, bounded by a row budget and cached in memory. Concurrent callers
 * share one scan. At 100,000 items that is ~25 pages of 1 MB per refresh, i.e. once per `ttlSeconds` at most.
 */
export class CategoryCounter {
  private readonly ttlMs: number;
  private readonly budget: number;
  private readonly segments: number;
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
    this.segments = options.segments ?? 4;
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
                Limit: Math.min(perSegment - scanned, 10_000),
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
        } while (startKey && scanned < perSegment);
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
