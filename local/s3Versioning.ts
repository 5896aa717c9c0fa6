import { randomBytes } from 'node:crypto';
import type { buildApp } from 'fauxqs';
import { entityTagMatches } from './s3Conditionals.ts';
import type { S3StoreInternals, StoredObject } from './s3WriteTap.ts';

/**
 * Versioned buckets for the local stack (fauxqs 2.4 has none), as S3 behaves (Amazon S3 User Guide, "Retaining
 * multiple versions of objects with S3 Versioning"; API reference of PutBucketVersioning, GetObject, HeadObject,
 * DeleteObject):
 * - PutBucketVersioning / GetBucketVersioning (`?versioning`), Enabled or Suspended; a bucket never versioned answers
 *   no Status;
 * - every write to an Enabled bucket gets a new version id (x-amz-version-id); Suspended writes replace the `null`
 *   version;
 * - DELETE without a version id puts a delete marker on top (the key then answers 404, its events say
 *   ObjectRemoved:DeleteMarkerCreated); DELETE with a version id removes that version for good, and when it was the
 *   current one the next newest becomes current again (or the key has none, if that is a delete marker);
 * - GET/HEAD with a version id read that version (404 NoSuchVersion when unknown, 405 MethodNotAllowed for a delete
 *   marker), If-Match compared with that version's ETag.
 * fauxqs' own object map always holds the current version; the history is kept here, in memory only (a stack
 * restarted from its data folder keeps the current objects, not their older versions). ListObjectVersions is not
 * served.
 */

type VersioningStatus = 'Enabled' | 'Suspended';

interface Version {
  versionId: string;
  deleteMarker: boolean;
  /** The object as stored (with its bytes); absent for a delete marker. */
  object?: StoredObject & { body: Buffer; contentType?: string };
  lastModified: Date;
}

/** What a write or delete did to versions, for the event the write tap makes of it. */
export interface VersionedChange {
  versionId?: string;
  deleteMarker?: boolean;
}

type FauxqsApp = ReturnType<typeof buildApp>;

export interface VersionedStore extends S3StoreInternals {
  /** Removes one version for good (DELETE with versionId); undefined when there is no such version. */
  deleteObjectVersion(bucket: string, key: string, versionId: string): VersionedChange | undefined;
}

/** S3 version ids are 32 URL-safe characters. */
function newVersionId(): string {
  return randomBytes(24).toString('base64url').slice(0, 32);
}

/**
 * Adds versioning to fauxqs' S3 store (install before the write tap, which reads `versionId`/`deleteMarker` from the
 * results) and to its HTTP app (before the conditional-read hook).
 */
export function installS3Versioning(app: FauxqsApp, store: S3StoreInternals & { restoreObject?: unknown }) {
  const status = new Map<string, VersioningStatus>();
  const history = new Map<string, Version[]>();
  const lastChange = new Map<string, VersionedChange>();
  const s = store as VersionedStore & {
    getObject(bucket: string, key: string): StoredObject & { body: Buffer; contentType?: string };
    restoreObject(bucket: string, obj: StoredObject): void;
  };
  const versionsOf = (bucket: string, key: string) => {
    const id = `${bucket}/${key}`;
    const list = history.get(id) ?? [];
    history.set(id, list);
    return list;
  };
  /** A new version on top: Suspended buckets replace the `null` version instead of keeping it. */
  const push = (bucket: string, key: string, version: Version) => {
    const list = versionsOf(bucket, key);
    if (version.versionId === 'null') {
      const i = list.findIndex((v) => v.versionId === 'null');
      if (i >= 0) list.splice(i, 1);
    }
    list.push(version);
    lastChange.set(`${bucket}/${key}`, { versionId: version.versionId, deleteMarker: version.deleteMarker });
  };
  const afterWrite = (bucket: string, obj: StoredObject): StoredObject => {
    const st = status.get(bucket);
    if (!st) return obj;
    const full = s.getObject(bucket, obj.key);
    const versionId = st === 'Enabled' ? newVersionId() : 'null';
    push(bucket, obj.key, { versionId, deleteMarker: false, object: { ...full }, lastModified: obj.lastModified });
    return Object.assign(obj, { versionId });
  };

  for (const method of ['putObject', 'completeMultipartUpload'] as const) {
    const inner = s[method].bind(s);
    s[method] = (...args: unknown[]) => {
      const obj = inner(...args);
      // putObject(bucket, key, …); completeMultipartUpload finds the bucket from the upload: look it up by key.
      const bucket = method === 'putObject' ? String(args[0]) : bucketOfUpload(obj);
      return bucket ? afterWrite(bucket, obj) : obj;
    };
  }
  const bucketOfUpload = (obj: StoredObject): string | undefined => {
    for (const [bucket] of status) {
      try {
        const current = s.headObject(bucket, obj.key);
        if (current.etag === obj.etag && current.lastModified.getTime() === obj.lastModified.getTime()) return bucket;
      } catch {
        // not in this bucket
      }
    }
    return undefined;
  };

  installDeletes(s, { status, versionsOf, lastChange }, push);
  installRoutes(app, s, { status, versionsOf, lastChange });
  return s;
}

interface State {
  status: Map<string, VersioningStatus>;
  versionsOf: (bucket: string, key: string) => Version[];
  lastChange: Map<string, VersionedChange>;
}

/** DELETE without a version id (a delete marker on top), and DELETE of one version by id. */
function installDeletes(
  s: VersionedStore & { restoreObject(bucket: string, obj: StoredObject): void },
  state: State,
  push: (bucket: string, key: string, version: Version) => void,
): void {
  const rawDelete = s.deleteObject.bind(s);
  s.deleteObject = ((bucket: string, key: string): VersionedChange | undefined => {
    const st = state.status.get(bucket);
    rawDelete(bucket, key);
    if (!st) return undefined;
    const versionId = st === 'Enabled' ? newVersionId() : 'null';
    push(bucket, key, { versionId, deleteMarker: true, lastModified: new Date() });
    return { versionId, deleteMarker: true };
  }) as VersionedStore['deleteObject'];

  s.deleteObjectVersion = (bucket, key, versionId) => {
    const list = state.versionsOf(bucket, key);
    const i = list.findIndex((v) => v.versionId === versionId);
    if (i < 0) return undefined;
    const [removed] = list.splice(i, 1);
    state.lastChange.set(`${bucket}/${key}`, { versionId, deleteMarker: removed?.deleteMarker });
    if (i === list.length) {
      // The current version went: the next newest is current again, or the key has none.
      const top = list[list.length - 1];
      rawDelete(bucket, key);
      if (top?.object) s.restoreObject(bucket, { ...top.object });
    }
    return { versionId, deleteMarker: removed?.deleteMarker };
  };
}

function xmlError(code: string, message: string, resource: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource></Error>`;
}

function installRoutes(app: FauxqsApp, store: VersionedStore, state: State): void {
  app.addHook('preHandler', async (request, reply) => {
    const query = (request.query ?? {}) as Record<string, string | undefined>;
    const params = request.params as { bucket?: string; '*'?: string } | undefined;
    const bucket = params?.bucket;
    const key = params?.['*'] ?? '';
    if (!bucket) return;
    if ('versioning' in query && !key) return bucketVersioning(request, reply, bucket, state);
    const versionId = query.versionId;
    if (!key || versionId === undefined) return;
    const resource = `/${bucket}/${key}`;
    reply.header('x-amz-request-id', randomBytes(8).toString('hex').toUpperCase());
    if (request.method === 'DELETE') {
      const change = store.deleteObjectVersion(bucket, key, versionId);
      reply.header('x-amz-version-id', versionId);
      if (change?.deleteMarker) reply.header('x-amz-delete-marker', 'true');
      return reply.code(204).send();
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    const version = state.versionsOf(bucket, key).find((v) => v.versionId === versionId);
    const head = request.method === 'HEAD';
    if (!version) {
      return head
        ? reply.code(404).send()
        : reply
            .code(404)
            .type('application/xml')
            .send(xmlError('NoSuchVersion', 'The specified version does not exist.', resource));
    }
    reply.header('x-amz-version-id', versionId);
    if (version.deleteMarker || !version.object) {
      reply.header('x-amz-delete-marker', 'true');
      return head
        ? reply.code(405).send()
        : reply
            .code(405)
            .type('application/xml')
            .send(xmlError('MethodNotAllowed', 'The specified method is not allowed against this resource.', resource));
    }
    const obj = version.object;
    const ifMatch = request.headers['if-match'];
    if (typeof ifMatch === 'string' && !entityTagMatches(ifMatch, obj.etag)) {
      return head
        ? reply.code(412).send()
        : reply
            .code(412)
            .type('application/xml')
            .send(
              xmlError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', resource),
            );
    }
    reply.header('etag', obj.etag);
    reply.header('last-modified', obj.lastModified.toUTCString());
    reply.header('content-type', obj.contentType ?? 'application/octet-stream');
    reply.header('content-length', String(obj.body.length));
    return head ? reply.code(200).send() : reply.code(200).send(obj.body);
  });

  // The version id of what a PUT or DELETE in a versioned bucket just made, and of the current object on a read.
  app.addHook('onSend', async (request, reply, payload) => {
    const params = request.params as { bucket?: string; '*'?: string } | undefined;
    const bucket = params?.bucket;
    const key = params?.['*'];
    const query = (request.query ?? {}) as Record<string, string | undefined>;
    if (!bucket || !key || !state.status.has(bucket) || query.versionId !== undefined) return payload;
    if (request.method === 'PUT' || request.method === 'DELETE' || request.method === 'POST') {
      const change = state.lastChange.get(`${bucket}/${key}`);
      if (change?.versionId && reply.statusCode < 300) {
        reply.header('x-amz-version-id', change.versionId);
        if (change.deleteMarker) reply.header('x-amz-delete-marker', 'true');
      }
    } else if ((request.method === 'GET' || request.method === 'HEAD') && reply.statusCode < 300) {
      const top = state.versionsOf(bucket, key).at(-1);
      if (top && !top.deleteMarker) reply.header('x-amz-version-id', top.versionId);
    }
    return payload;
  });
}

/** PutBucketVersioning / GetBucketVersioning. */
async function bucketVersioning(
  request: { method: string; body?: unknown },
  reply: {
    code(n: number): { send(b?: unknown): unknown };
    type(t: string): unknown;
    header(k: string, v: string): unknown;
  },
  bucket: string,
  state: State,
) {
  if (request.method === 'GET') {
    const st = state.status.get(bucket);
    reply.header('content-type', 'application/xml');
    return reply
      .code(200)
      .send(
        `<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${st ? `<Status>${st}</Status>` : ''}</VersioningConfiguration>`,
      );
  }
  if (request.method !== 'PUT') return undefined;
  const body = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : String(request.body ?? '');
  const match = /<Status>\s*(Enabled|Suspended)\s*<\/Status>/.exec(body);
  if (!match) {
    reply.header('content-type', 'application/xml');
    return reply.code(400).send(xmlError('MalformedXML', 'The XML you provided was not well-formed.', `/${bucket}`));
  }
  state.status.set(bucket, match[1] as VersioningStatus);
  return reply.code(200).send();
}
