import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type Config, loadConfig } from '../shared/config.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { createWebClients } from './clients.ts';
import { loadWebConfig, type WebConfig } from './config.ts';
import { createWebApp, type WebApp, type WebClients } from './http/app.ts';
import { jsonResponse } from './http/types.ts';

/**
 * The catalogue browser as an AWS Lambda behind a function URL or an API Gateway HTTP API (payload format 2.0).
 * The same app as the node:http server: the JSON API under /api/ and the page, bundled beside this file in
 * `public/` by `npm run build:web` (web/dist-lambda/index.mjs + web/dist-lambda/public/).
 */

/** The fields of a function URL / API Gateway v2 event that the app reads; everything else is ignored. */
const LambdaEvent = z.object({
  rawPath: z.string().startsWith('/'),
  rawQueryString: z.string().default(''),
  headers: z.record(z.string(), z.string()).default({}),
  requestContext: z.object({ http: z.object({ method: z.string() }), stage: z.string().optional() }),
});
export type LambdaEvent = z.input<typeof LambdaEvent>;

export interface LambdaResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

export interface LambdaHandlerOptions {
  config?: Config;
  web?: WebConfig;
  clients?: WebClients;
  publicDir?: string;
  logger?: Logger;
}

/** `public/` beside this module: web/public from source, web/dist-lambda/public in the bundle. */
const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');

/**
 * Makes a handler; the app (config, clients) is built on the first invocation and reused while the container lives.
 * Options default to the environment (shared/config.ts and web/config.ts variables).
 */
export function createLambdaHandler(options: LambdaHandlerOptions = {}): (event: unknown) => Promise<LambdaResult> {
  let app: WebApp | undefined;
  let logger: Logger | undefined;

  function build(): WebApp {
    const config = options.config ?? loadConfig();
    logger = options.logger ?? createLogger({ level: config.log.level, format: 'json', name: 'web' });
    return createWebApp({
      config,
      clients: options.clients ?? createWebClients(config),
      web: options.web ?? loadWebConfig(),
      publicDir: options.publicDir ?? PUBLIC_DIR,
      logger,
    });
  }

  return async (rawEvent) => {
    try {
      app ??= build();
    } catch (error) {
      // A configuration error is logged (CloudWatch) and answered plainly; the next invocation tries again.
      console.error(JSON.stringify({ level: 'error', msg: 'web app failed to start', err: String(error) }));
      return toResult(
        jsonResponse(500, { error: { code: 'MISCONFIGURED', message: 'the service is misconfigured' } }),
        'GET',
      );
    }
    const parsed = LambdaEvent.safeParse(rawEvent);
    if (!parsed.success) {
      logger?.warn({ issues: parsed.error.issues.slice(0, 3) }, 'not a function URL / HTTP API v2 event');
      return toResult(jsonResponse(400, { error: { code: 'BAD_EVENT', message: 'unsupported event shape' } }), 'GET');
    }
    const event = parsed.data;
    const method = event.requestContext.http.method.toUpperCase();
    const stage = event.requestContext.stage;
    // An HTTP API with a named stage prefixes every path with it; the app's routes know nothing of stages.
    let path = event.rawPath;
    if (stage && stage !== '$default' && (path === `/${stage}` || path.startsWith(`/${stage}/`))) {
      path = path.slice(stage.length + 1) || '/';
    }
    const headers = Object.fromEntries(Object.entries(event.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const response = await app.handle({ method, path, query: new URLSearchParams(event.rawQueryString), headers });
    return toResult(response, method);
  };
}

function toResult(
  response: { status: number; headers: Record<string, string>; body: string | Buffer },
  method: string,
) {
  const binary = typeof response.body !== 'string';
  const body =
    method === 'HEAD' ? '' : binary ? (response.body as Buffer).toString('base64') : (response.body as string);
  return { statusCode: response.status, headers: response.headers, body, isBase64Encoded: binary && method !== 'HEAD' };
}

/** The Lambda entry point (handler setting `index.handler` for the bundle). */
export const handler = createLambdaHandler();
