import type { Logger } from '../../shared/logger.ts';
import { type HttpRequest, type HttpResponse, jsonResponse } from '../http/types.ts';
import type { CatalogueReader } from './CatalogueReader.ts';
import type { CategoryCounter } from './CategoryCounter.ts';
import { ApiError, MethodNotAllowedError, NotFoundError } from './errors.ts';
import { ItemParams, ListParams, NoParams, parseItemId, parseQuery } from './params.ts';
import type { UrlSigner } from './UrlSigner.ts';
import { detailView, summaryView, type ViewContext } from './views.ts';

export interface ApiDeps {
  reader: CatalogueReader;
  categories: CategoryCounter;
  signer: UrlSigner;
  /** Private bucket of the thumbnails; unset: items are listed without thumbnails. */
  thumbnailBucket?: string;
  /** Rows a filtered request may evaluate (for the API description). */
  searchBudget: number;
  logger: Logger;
}

/** What `GET /api` answers: the routes, their parameters, and how search works. */
function describe(searchBudget: number) {
  return {
    name: 'image-catalogue browser API',
    readOnly: true,
    routes: {
      'GET /api/items': {
        parameters: {
          limit: 'rows per page, 1-100 (default 24)',
          cursor: 'opaque; the `cursor` of the previous page of the same query',
          status: 'catalogued (default) | rejected | removed; removed items (tombstones) only when asked for',
          category: 'exact category, case-insensitive (Query on the byCategory index)',
          q: 'search words (at most 8), all of which must occur in the summary, category, labels or visible text',
        },
        returns: '{ items, cursor?, scanned, budgetSpent }, newest first',
      },
      'GET /api/items/{id}': {
        parameters: { includeRemoved: 'true | false (default): whether a tombstone is returned or 404' },
        returns: 'the item with its labels (normalised and pixel boxes), visible text, and presigned image URLs',
      },
      'GET /api/categories': { returns: '{ categories: [{ name, count }], total, complete, computedAt }' },
      'GET /api/health': { returns: '{ ok: true }' },
    },
    search:
      `Search is a filtered scan: a Query on the status (or category) index, newest first, with a contains() filter ` +
      `per word on the lower-cased searchText. One request evaluates at most ${searchBudget} rows; when it stops ` +
      'before filling the page it sets budgetSpent and returns a cursor to continue. This is acceptable here: people ' +
      'browse newest first, each request has a bounded cost and latency, and it needs no second store to keep in ' +
      'step with the table. A catalogue of many millions searched often wants a real text index (OpenSearch) fed ' +
      'from a DynamoDB stream.',
    images:
      'thumbnailUrl and imageUrl are presigned S3 GET URLs for private buckets, valid for at least 3/4 of their ' +
      'lifetime; nothing is public.',
  };
}

/**
 * The JSON API under /api/: a function from request to response, shared by the node:http server and the Lambda
 * handler. Read-only: every route is a GET (HEAD is answered by the transports).
 */
export function createApi(deps: ApiDeps): (request: HttpRequest) => Promise<HttpResponse> {
  const ctx: ViewContext = { signer: deps.signer, thumbnailBucket: deps.thumbnailBucket };
  const index = describe(deps.searchBudget);

  async function route(request: HttpRequest): Promise<HttpResponse> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      throw new MethodNotAllowedError(`${request.method} is not allowed: this API is read-only`);
    }
    const path = request.path.replace(/\/+$/, '');
    if (path === '/api') {
      parseQuery(NoParams, request.query);
      return jsonResponse(200, index, 'no-cache');
    }
    if (path === '/api/health') {
      parseQuery(NoParams, request.query);
      return jsonResponse(200, { ok: true });
    }
    if (path === '/api/items') {
      const params = parseQuery(ListParams, request.query);
      const page = await deps.reader.list(params);
      const items = await Promise.all(page.items.map((row) => summaryView(row, ctx)));
      return jsonResponse(200, { items, cursor: page.cursor, scanned: page.scanned, budgetSpent: page.budgetSpent });
    }
    if (path.startsWith('/api/items/')) {
      const id = parseItemId(path.slice('/api/items/'.length));
      const params = parseQuery(ItemParams, request.query);
      const item = await deps.reader.get(id);
      if (!item || (item.status === 'removed' && !params.includeRemoved)) {
        throw new NotFoundError('no such item in the catalogue', { context: { id } });
      }
      return jsonResponse(200, await detailView(item, ctx));
    }
    if (path === '/api/categories') {
      parseQuery(NoParams, request.query);
      return jsonResponse(200, await deps.categories.counts(), 'private, max-age=60');
    }
    throw new NotFoundError(`no route ${path}; see GET /api`);
  }

  return async (request) => {
    try {
      return await route(request);
    } catch (error) {
      if (error instanceof ApiError) {
        if (error.status >= 500) deps.logger.warn({ err: error, path: request.path }, 'api request failed');
        const response = jsonResponse(error.status, error.body());
        if (error instanceof MethodNotAllowedError) response.headers.allow = 'GET, HEAD';
        return response;
      }
      deps.logger.error({ err: error, path: request.path }, 'api request failed unexpectedly');
      return jsonResponse(500, { error: { code: 'INTERNAL', message: 'internal error' } });
    }
  };
}
