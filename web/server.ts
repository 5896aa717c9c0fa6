import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Config } from '../shared/config.ts';
import { CatalogueError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { createWebClients } from './clients.ts';
import type { WebConfig } from './config.ts';
import { createWebApp, type WebClients } from './http/app.ts';
import type { HttpRequest, HttpResponse } from './http/types.ts';

export interface WebServerOptions {
  /** Shared configuration (TABLE_NAME, THUMBNAIL_BUCKET, endpoints); e.g. `loadConfig(stack.env)`. */
  config: Config;
  /**
   * SDK clients; with the local stack: `{ s3: stack.clients.s3, doc: stack.clients.ddbDoc }`. Default: made from
   * `config` (and destroyed by `close()`).
   */
  clients?: WebClients;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** The browser's own settings (search budget, URL lifetime...). Default: every default. */
  web?: WebConfig;
  /** Folder of the page. Default web/public. */
  publicDir?: string;
  /** Default silent. Each request is logged at debug level. */
  logger?: Logger;
}

export interface WebServer {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  /** Stops listening, drops idle keep-alive connections; idempotent. */
  close(): Promise<void>;
}

/** The port is taken by another process. */
class WebPortInUseError extends CatalogueError {
  readonly code = 'PORT_IN_USE';
  readonly retryable = false;
}

/**
 * Serves the catalogue browser (page + JSON API) over node:http. Read-only; nothing but GET and HEAD succeed.
 * @throws WebPortInUseError when the port is taken.
 */
export async function createWebServer(options: WebServerOptions): Promise<WebServer> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const ownClients = options.clients ? undefined : createWebClients(options.config);
  const clients = options.clients ?? ownClients!;
  const app = createWebApp({
    config: options.config,
    clients,
    web: options.web,
    publicDir: options.publicDir,
    logger,
  });

  const server = createServer((req, res) => {
    const started = performance.now();
    respond(app.handle, req, res)
      .catch((error: unknown) => {
        logger.error({ err: error }, 'response failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error\n');
      })
      .finally(() => {
        logger.debug(
          { method: req.method, url: req.url, status: res.statusCode, ms: +(performance.now() - started).toFixed(1) },
          'request',
        );
      });
  });
  server.keepAliveTimeout = 5000;

  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new WebPortInUseError(`port ${options.port} is already in use; choose another with --port`, {
              cause: error,
            })
          : error,
      );
    });
    server.listen(options.port ?? 0, host, () => resolve((server.address() as AddressInfo).port));
  });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, publicDir: app.staticFiles.root }, 'catalogue browser listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }).then(() => {
        ownClients?.destroy();
      });
      return closing;
    },
  };
}

async function respond(
  handle: (request: HttpRequest) => Promise<HttpResponse>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  // The raw path, not WHATWG-normalised: an item id may hold encoded slashes and dots that must reach the router as sent.
  const path = q === -1 ? raw : raw.slice(0, q);
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const response: HttpResponse = path.startsWith('/')
    ? await handle({
        method: req.method ?? 'GET',
        path,
        query: new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)),
        headers,
      })
    : { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'bad request\n' };
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
  res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length) });
  res.end(req.method === 'HEAD' || response.status === 304 ? undefined : body);
}
