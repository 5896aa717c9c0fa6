/**
 * Fixes a fauxqs 2.4.1 bug in the local stack: its `S3Store.listObjects` sorts keys with
 * `localeCompare` (locale order: 'a' < 'B', 'é' next to 'e') but pages with `key <= startAfter` (UTF-16 order), so
 * any bucket with mixed case, accents or non-ASCII keys repeats some keys and skips others across pages, and
 * `StartAfter` lands in the wrong place. S3 lists in UTF-8 byte order. This replaces the method with one that keeps
 * S3's order (and a sorted index per bucket, rebuilt only after writes, so a page costs O(log n + page) instead of
 * a sort of the whole bucket). Idempotent.
 */
export function installS3KeyOrderListing(S3Store: { prototype: object }): void {
  const proto = S3Store.prototype as { listObjects: ListObjects & { s3KeyOrder?: true } };
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
