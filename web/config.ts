import { z } from 'zod';
import { describeEnv, parseEnv } from '../shared/env.ts';

/**
 * The catalogue browser's own settings (the shared ones, table, buckets, endpoints, come from shared/config.ts).
 * Parsed once at start-up with every problem reported at once, like the shared configuration.
 */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const WEB_CONFIG_VARIABLES = {
  WEB_HOST: { schema: z.string().min(1).default('127.0.0.1'), doc: 'interface the web server listens on' },
  WEB_PORT: { schema: int(0, 65_535).default(8080), doc: 'port of the web server (0: any free port)' },
  WEB_URL_TTL_SECONDS: {
    schema: int(60, 604_800).default(3600),
    doc: 'lifetime of the presigned image and thumbnail URLs, s',
  },
  WEB_SEARCH_BUDGET: {
    schema: int(100, 1_000_000).default(5000),
    doc: 'items a search request may evaluate before it returns what it found and a cursor',
  },
  WEB_CATEGORIES_TTL_SECONDS: { schema: int(0, 86_400).default(30), doc: 'how long category counts are cached, s' },
  WEB_ALLOW_ORIGIN: {
    schema: z.url().optional(),
    doc: 'origin allowed to call /api from another site (CORS); unset: same origin only',
  },
} as const;

type Vars = typeof WEB_CONFIG_VARIABLES;
type Raw = { [K in keyof Vars]: z.output<Vars[K]['schema']> };

export interface WebConfig {
  host: string;
  port: number;
  urlTtlSeconds: number;
  searchBudget: number;
  categoriesTtlSeconds: number;
  allowOrigin?: string;
}

/**
 * Reads the browser's settings from an environment (default `process.env`); empty strings count as unset.
 * @throws ConfigError listing every problem, each naming its variable.
 */
export function loadWebConfig(env: Record<string, string | undefined> = process.env): WebConfig {
  const r = parseEnv(WEB_CONFIG_VARIABLES, env) as Raw;
  return {
    host: r.WEB_HOST,
    port: r.WEB_PORT,
    urlTtlSeconds: r.WEB_URL_TTL_SECONDS,
    searchBudget: r.WEB_SEARCH_BUDGET,
    categoriesTtlSeconds: r.WEB_CATEGORIES_TTL_SECONDS,
    allowOrigin: r.WEB_ALLOW_ORIGIN,
  };
}

/** The documentation of the browser's variables, for `--help`. */
export function describeWebConfig(): string {
  return describeEnv(WEB_CONFIG_VARIABLES);
}
