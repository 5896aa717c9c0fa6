/**
 * Benchmark support for the embedded fauxqs (2.4.1): a fast way to fill a bucket, reaching into the package's S3 store
 * class (the same file local/fauxqs.ts loads). The listing-order fix lives in the local stack itself
 * (local/s3KeyOrderListing.ts).
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
