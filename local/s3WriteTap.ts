/**
 * Sees every object write and delete inside fauxqs' S3 store, synchronously, in the order they happen: the source of
 * the local stack's S3 event notifications. Tapping the store (rather than proxying HTTP) gives the exact size and
 * ETag of the version just written and an order that matches the store's, even for concurrent writes to one key.
 */

export type S3WriteKind = 'Put' | 'Post' | 'Copy' | 'CompleteMultipartUpload' | 'Delete' | 'DeleteMarkerCreated';

/** One change to one object. `size` and `eTag` (quoted, as S3 stores it) are set for writes only. */
export interface S3Write {
  kind: S3WriteKind;
  bucket: string;
  key: string;
  size?: number;
  eTag?: string;
  /** In a versioned bucket: the version written, the delete marker made, or the version removed. */
  versionId?: string;
  time: Date;
}

/** What fauxqs' S3 store keeps per object (the fields used here). */
export interface StoredObject {
  key: string;
  etag: string;
  contentLength: number;
  lastModified: Date;
  parts?: unknown[];
  /** Set by the versioning layer (s3Versioning.ts) in a versioned bucket. */
  versionId?: string;
}

interface SpyMessage {
  service: string;
  bucket?: string;
  key?: string;
  status: string;
}

/** The parts of fauxqs' `S3Store` (dist/s3/s3Store.js, 2.4.x) the local stack relies on. */
export interface S3StoreInternals {
  spy?: { addMessage(message: SpyMessage): void };
  putObject(...args: unknown[]): StoredObject;
  completeMultipartUpload(...args: unknown[]): StoredObject;
  /** In a versioned bucket (s3Versioning.ts) it says what it did: a delete marker and its version id. */
  deleteObject(bucket: string, key: string): { versionId?: string; deleteMarker?: boolean } | undefined;
  /** Present once versioning is installed: removes one version for good. */
  deleteObjectVersion?(
    bucket: string,
    key: string,
    versionId: string,
  ): { versionId?: string; deleteMarker?: boolean } | undefined;
  /** Throws NoSuchBucket / NoSuchKey (an S3Error with statusCode 404). */
  headObject(bucket: string, key: string): StoredObject;
  createBucket(name: string): void;
}

/**
 * Wraps the store's write methods. PutObject, CopyObject and PostObject all end in `putObject`; fauxqs tells them
 * apart only through its spy, right after the write and in the same synchronous handler: `copied` for a copy, a
 * second `uploaded` for a POST. So writes are held until the end of the current tick, when those markers are in.
 */
export function tapS3Writes(store: S3StoreInternals, onWrite: (write: S3Write) => void): void {
  const pending: S3Write[] = [];
  const lastByObject = new Map<string, S3Write>();
  // >0 while a store method runs: the spy messages it sends itself are not markers.
  let depth = 0;
  let innerUpload: string | undefined;

  const flush = () => {
    const writes = pending.splice(0);
    lastByObject.clear();
    for (const write of writes) onWrite(write);
  };
  const push = (write: S3Write) => {
    if (pending.length === 0) queueMicrotask(flush);
    pending.push(write);
    lastByObject.set(`${write.bucket}/${write.key}`, write);
  };
  const inside = <T>(fn: () => T): T => {
    depth++;
    try {
      return fn();
    } finally {
      depth--;
    }
  };

  const putObject = store.putObject.bind(store);
  store.putObject = (...args: unknown[]) => {
    const obj = inside(() => putObject(...args));
    push({
      kind: 'Put',
      bucket: String(args[0]),
      key: obj.key,
      size: obj.contentLength,
      eTag: obj.etag,
      versionId: obj.versionId,
      time: obj.lastModified,
    });
    return obj;
  };

  const completeMultipartUpload = store.completeMultipartUpload.bind(store);
  store.completeMultipartUpload = (...args: unknown[]) => {
    innerUpload = undefined;
    const obj = inside(() => completeMultipartUpload(...args));
    // The store finds the bucket from the upload id; its own `uploaded` spy message names it.
    const bucket = innerUpload ?? '';
    push({
      kind: 'CompleteMultipartUpload',
      bucket,
      key: obj.key,
      size: obj.contentLength,
      eTag: obj.etag,
      versionId: obj.versionId,
      time: obj.lastModified,
    });
    return obj;
  };

  const deleteObject = store.deleteObject.bind(store);
  store.deleteObject = (bucket: string, key: string) => {
    const change = inside(() => deleteObject(bucket, key)) || undefined;
    // S3 answers 204 to a DELETE whether or not the key existed; we notify either way (a tombstone for a key never
    // catalogued is harmless, a missed removal is not).
    const kind = change?.deleteMarker ? 'DeleteMarkerCreated' : 'Delete';
    push({ kind, bucket, key, versionId: change?.versionId, time: new Date() });
    return change;
  };

  const deleteObjectVersion = store.deleteObjectVersion?.bind(store);
  if (deleteObjectVersion) {
    store.deleteObjectVersion = (bucket: string, key: string, versionId: string) => {
      const change = inside(() => deleteObjectVersion(bucket, key, versionId));
      // A delete by version id is an ObjectRemoved:Delete naming that version (also when it was a delete marker).
      if (change) push({ kind: 'Delete', bucket, key, versionId, time: new Date() });
      return change;
    };
  }

  store.spy = {
    addMessage: (m) => {
      if (m.service !== 's3' || !m.bucket || m.key === undefined) return;
      if (depth > 0) {
        if (m.status === 'uploaded') innerUpload = m.bucket;
        return;
      }
      const last = lastByObject.get(`${m.bucket}/${m.key}`);
      if (last?.kind !== 'Put') return;
      if (m.status === 'copied') last.kind = 'Copy';
      else if (m.status === 'uploaded') last.kind = 'Post';
    },
  };
}
