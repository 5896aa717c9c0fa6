import { z } from 'zod';
import { ItemStatus } from '../../shared/catalogue.ts';
import { InvalidParameterError } from './errors.ts';

/** Most words a search may hold: each is one `contains()` in the filter. */
const MAX_SEARCH_TERMS = 8;

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const cursor = z
  .string()
  .min(1, 'must not be empty')
  .max(4096, 'is too long')
  .regex(/^[A-Za-z0-9_-]+$/, 'is not a cursor returned by this API');

/** `GET /api/items` */
export const ListParams = z.strictObject({
  limit: integer(1, 100).default(24),
  cursor: cursor.optional(),
  status: z.enum(ItemStatus.options, `must be one of ${ItemStatus.options.join(', ')}`).default('catalogued'),
  category: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(40, 'must be at most 40 characters')
    .transform((s) => s.toLowerCase())
    .optional(),
  q: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .transform((s) => s.toLowerCase())
    .refine((s) => s.split(/\s+/).length <= MAX_SEARCH_TERMS, `must have at most ${MAX_SEARCH_TERMS} words`)
    .optional(),
});
export type ListParams = z.output<typeof ListParams>;

/** `GET /api/items/{id}` */
export const ItemParams = z.strictObject({
  includeRemoved: z
    .enum(['true', 'false'], 'must be true or false')
    .default('false')
    .transform((v) => v === 'true'),
});
export type ItemParams = z.output<typeof ItemParams>;

/** `GET /api/categories` and other routes without parameters. */
export const NoParams = z.strictObject({});

/** The item id from the path: `bucket/key`, URL-encoded or not. */
const ItemId = z
  .string()
  .min(3, 'must be an item id (bucket/key)')
  .max(1100, 'is too long')
  .refine((s) => /^[^/]+\/./s.test(s), 'must be an item id (bucket/key)');

/**
 * Validates query parameters against a strict schema. Each parameter may appear once; unknown ones are refused.
 * @throws InvalidParameterError naming the first offending parameter.
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: URLSearchParams): z.output<S> {
  const input: Record<string, string> = {};
  for (const [name, value] of query) {
    if (name in input) throw new InvalidParameterError(name, 'must be given at most once');
    input[name] = value;
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const name = issue.keys[0] ?? '(unknown)';
    throw new InvalidParameterError(name, 'is not a parameter of this route');
  }
  throw new InvalidParameterError(String(issue.path[0] ?? '(query)'), issue.message);
}

/** Decodes the `{id}` path segment. @throws InvalidParameterError('id') */
export function parseItemId(raw: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new InvalidParameterError('id', 'is not valid percent-encoding');
  }
  const parsed = ItemId.safeParse(decoded);
  if (!parsed.success) throw new InvalidParameterError('id', parsed.error.issues[0]!.message);
  return parsed.data;
}

/** The search words: lower-case, distinct, in order. */
export function searchTerms(q: string | undefined): string[] {
  return q ? [...new Set(q.split(/\s+/).filter(Boolean))] : [];
}
