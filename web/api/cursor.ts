import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidParameterError } from './errors.ts';

/**
 * Opaque pagination cursors: base64url of `{ v, f, k }`, where `k` is a DynamoDB start key (all key attributes of
 * the index are strings) and `f` a fingerprint of the query it belongs to. A cursor carries no secret: it only says
 * where in an index to resume, and anybody holding it may read that index anyway. The fingerprint makes a cursor
 * from one query fail clearly (400) when it is replayed against another, rather than page through the wrong index.
 */
const CursorBody = z.object({
  v: z.literal(1),
  f: z.string().min(1).max(64),
  k: z.record(z.string().min(1).max(64), z.string().min(1).max(2048)),
});

export type StartKey = Record<string, string>;

/** A short, stable fingerprint of the parts of a query that decide which rows it walks. */
export function queryFingerprint(parts: ReadonlyArray<string | undefined>): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeCursor(fingerprint: string, key: StartKey): string {
  return Buffer.from(JSON.stringify({ v: 1, f: fingerprint, k: key })).toString('base64url');
}

/**
 * Reads a cursor made by {@link encodeCursor} for the same query.
 * @param keyNames the attributes the start key of this index must have, exactly.
 * @throws InvalidParameterError('cursor') when it is malformed or belongs to another query.
 */
export function decodeCursor(text: string, fingerprint: string, keyNames: readonly string[]): StartKey {
  let body: z.output<typeof CursorBody>;
  try {
    body = CursorBody.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidParameterError('cursor', 'is not a cursor returned by this API');
  }
  if (body.f !== fingerprint) {
    throw new InvalidParameterError('cursor', 'belongs to another query (status, category or q changed)');
  }
  const names = Object.keys(body.k).sort();
  if (names.length !== keyNames.length || [...keyNames].sort().some((n, i) => n !== names[i])) {
    throw new InvalidParameterError('cursor', 'is not a cursor returned by this API');
  }
  return body.k;
}
