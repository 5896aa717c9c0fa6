/**
 * Test and benchmark support for the embedded fauxqs (2.4.1): a fix of its listing order, and a fast way to fill a
 * bucket. Both reach into the package's S3 store class, the same file scripts/local/fauxqs.ts loads.
 */

async function s3StoreClass(): Promise<{ prototype: Record<string, unknown> }> {
  // The package's one export is dist/app.js; the store is its sibling.
  const { S3Store } = (await import(new URL('./s3/s3Store.js', import.meta.resolve('fauxqs')).href)) as {
    S3Store: { prototype: Record<string, unknown> };
  };
  return S3Store;
}

/** What filling needs of fauxqs' S3 store. */
export interface S3StoreHandle {
  putObject(bucket: string, key: string, body: Buffer): unknown;
  buckets: Map<string, unknown>;
}

/**
 * Records every fauxqs S3 store that creates a bucket from now on, so a benchmark can fill a bucket through the
 * store's own `putObject` (no HTTP, no checksums: ~100x faster than PutObject calls). Objects put this way are real
 * objects for every S3 call; the write tap of the local stack still sees them. Call before `startLocalStack()`.
 */
export async function captureS3Stores(): Promise<S3StoreHandle[]> {
  const proto = (await s3StoreClass()).prototype as { createBucket: (...args: unknown[]) => unknown };
  const stores: S3StoreHandle[] = [];
  const original = proto.createBucket;
  proto.createBucket = function (this: S3StoreHandle, ...args: unknown[]) {
    if (!stores.includes(this)) stores.push(this);
    return original.apply(this, args);
  };
  return stores;
}

/**
 * A stopgap for a fauxqs 2.4.1 bug, until the local stack carries the fix: its `S3Store.listObjects` sorts keys with
 * `localeCompare` (locale order: 'a' < 'B', 'é' next to 'e') but pages with `key <= startAfter` (UTF-16 order), so
 * any bucket with mixed case, accents or non-ASCII keys repeats some keys and skips others across pages, and
 * `StartAfter` lands in the wrong place. S3 lists in UTF-8 byte order. This replaces the method with one that keeps
 * S3's order (and a sorted index per bucket, rebuilt only after writes, so a page costs O(log n + page) instead of
 * a sort of the whole bucket). Idempotent.
 */
export async function installS3KeyOrderListing(): Promise<void> {
  const proto = (await s3StoreClass()).prototype as { listObjects: ListObjects & { s3KeyOrder?: true } };
  if (proto.listObjects.s3KeyOrder) return;
  const original = proto.listObjects;
  const patched = function (this: StoreLike, bucket: string, options?: ListOptions) {
    const objects = this.buckets?.get(bucket);
    if (!objects) return original.call(this, bucket, options);
    return listInKeyOrder(indexOf(objects), objects, options ?? {});
  } as ListObjects & { s3KeyOrder?: true };
  patched.s3KeyOrder = true;
  proto.listObjects = patched;
}

interface StoredObject {
  key: string;
}
interface ListOptions {
  prefix?: string;
  delimiter?: string;
  maxKeys?: number;
  startAfter?: string;
  marker?: string;
}
type ListObjects = (
  bucket: string,
  options?: ListOptions,
) => { objects: StoredObject[]; commonPrefixes: string[]; isTruncated: boolean };
interface StoreLike {
  buckets?: Map<string, Map<string, StoredObject>>;
}

/** UTF-16 code units mapped so that plain comparison gives UTF-8 byte order (surrogates sort above U+E000-U+FFFF). */
function utf8Rank(c: number): number {
  return c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c;
}

export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return utf8Rank(x) - utf8Rank(y);
  }
  return a.length - b.length;
}

const indexes = new WeakMap<Map<string, StoredObject>, { keys: string[] | undefined }>();

/** The bucket's keys in S3 order; the map's set/delete/clear are wrapped to drop the index on any change. */
function indexOf(objects: Map<string, StoredObject>): string[] {
  let entry = indexes.get(objects);
  if (!entry) {
    const e: { keys: string[] | undefined } = { keys: undefined };
    entry = e;
    indexes.set(objects, e);
    const { set, delete: del, clear } = objects;
    objects.set = function (k, v) {
      if (!this.has(k)) e.keys = undefined;
      return set.call(this, k, v);
    };
    objects.delete = function (k) {
      e.keys = undefined;
      return del.call(this, k);
    };
    objects.clear = function () {
      e.keys = undefined;
      clear.call(this);
    };
  }
  entry.keys ??= [...objects.keys()].sort(compareUtf8);
  return entry.keys;
}

/** First index whose key is not `before(key)`. */
function lowerBound(keys: readonly string[], before: (key: string) => boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(keys[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function listInKeyOrder(keys: readonly string[], objects: Map<string, StoredObject>, options: ListOptions) {
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter || undefined;
  const maxKeys = options.maxKeys ?? 1000;
  const after = options.startAfter || options.marker || '';
  const out: StoredObject[] = [];
  const commonPrefixes: string[] = [];
  let i = lowerBound(keys, (k) => compareUtf8(k, prefix) < 0 || (after !== '' && compareUtf8(k, after) <= 0));
  let count = 0;
  let isTruncated = false;
  while (i < keys.length) {
    const key = keys[i]!;
    if (!key.startsWith(prefix)) break;
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (delimiter && at >= 0) {
      const cp = key.slice(0, at + delimiter.length);
      // Every key under a common prefix is behind it: jump past them.
      const end = lowerBound(keys, (k) => compareUtf8(k, cp) < 0 || k.startsWith(cp));
      if (after === '' || compareUtf8(cp, after) > 0) {
        if (count >= maxKeys) {
          isTruncated = true;
          break;
        }
        commonPrefixes.push(cp);
        count++;
      }
      i = end;
      continue;
    }
    if (count >= maxKeys) {
      isTruncated = true;
      break;
    }
    const obj = objects.get(key);
    if (obj) {
      out.push(obj);
      count++;
    }
    i++;
  }
  return { objects: out, commonPrefixes, isTruncated };
}
