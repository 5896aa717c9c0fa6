import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pino from 'pino';
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { CatalogueReader } from '../api/CatalogueReader.ts';
import { CategoryCounter } from '../api/CategoryCounter.ts';
import { createApi } from '../api/router.ts';
import { UrlSigner } from '../api/UrlSigner.ts';
import { loadWebConfig, type WebConfig } from '../config.ts';
import { StaticFiles } from './StaticFiles.ts';
import { type HttpRequest, type HttpResponse, jsonResponse } from './types.ts';

/** The SDK clients the browser needs: DynamoDB to read the catalogue, S3 only to presign URLs (no bytes pass). */
export interface WebClients {
  s3: S3Client;
  doc: DynamoDBDocumentClient;
}

export interface WebAppOptions {
  /** The shared configuration: TABLE_NAME, THUMBNAIL_BUCKET, endpoints. */
  config: Config;
  clients: WebClients;
  /** The browser's own settings. Default: `loadWebConfig({})`, i.e. every default. */
  web?: WebConfig;
  /** Folder of the page. Default: web/public of this source tree. */
  publicDir?: string;
  /** Default: silent. */
  logger?: Logger;
}

export interface WebApp {
  handle(request: HttpRequest): Promise<HttpResponse>;
  staticFiles: StaticFiles;
}

/** web/public beside this source tree. */
const DEFAULT_PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');

/**
 * The whole browser as a function from request to response: the JSON API under /api/ and the static page, with
 * the security headers both need. The node:http server and the Lambda handler are thin adapters around it.
 */
export function createWebApp(options: WebAppOptions): WebApp {
  const { config, clients } = options;
  const web = options.web ?? loadWebConfig({});
  const logger = options.logger ?? pino({ level: 'silent' });
  const api = createApi({
    reader: new CatalogueReader(clients.doc, config.tableName, { filterBudget: web.searchBudget, logger }),
    categories: new CategoryCounter(clients.doc, config.tableName, {
      ttlSeconds: web.categoriesTtlSeconds,
      logger,
    }),
    signer: new UrlSigner(clients.s3, { ttlSeconds: web.urlTtlSeconds }),
    thumbnailBucket: config.thumbnails.bucket,
    searchBudget: web.searchBudget,
    logger,
  });
  const staticFiles = new StaticFiles(options.publicDir ?? DEFAULT_PUBLIC_DIR);
  // Images come from presigned S3 URLs: the S3 endpoint (the local stand-in) or any AWS S3 host.
  const imageOrigin = config.endpoints.s3 ? new URL(config.endpoints.s3).origin : 'https://*.amazonaws.com';
  const csp = [
    "default-src 'self'",
    `img-src 'self' data: ${imageOrigin}`,
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');

  async function handle(request: HttpRequest): Promise<HttpResponse> {
    const isApi = request.path === '/api' || request.path.startsWith('/api/');
    let response: HttpResponse;
    if (isApi) {
      response =
        request.method === 'OPTIONS' && web.allowOrigin
          ? {
              status: 204,
              headers: { 'access-control-allow-methods': 'GET, HEAD', 'access-control-max-age': '600' },
              body: '',
            }
          : await api(request);
      if (web.allowOrigin) {
        response.headers['access-control-allow-origin'] = web.allowOrigin;
        response.headers.vary = 'origin';
      }
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
      response = jsonResponse(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'the page is read-only' } });
      response.headers.allow = 'GET, HEAD';
    } else {
      response = staticFiles.serve(request) ?? {
        status: 404,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
        body: 'not found\n',
      };
      if (response.headers['content-type']?.startsWith('text/html')) {
        response.headers['content-security-policy'] = csp;
      }
    }
    response.headers['x-content-type-options'] = 'nosniff';
    // Presigned URLs must not leak to other sites through the Referer header.
    response.headers['referrer-policy'] = 'no-referrer';
    return response;
  }

  return { handle, staticFiles };
}
