import { randomBytes } from 'node:crypto';
import type { buildApp } from 'fauxqs';
import type { S3StoreInternals, StoredObject } from './s3WriteTap.ts';

/**
 * Conditional reads (`If-Match`, `If-None-Match`) on GetObject and HeadObject, answered as S3 does. fauxqs compares
 * `If-Match` with the stored quoted ETag character for character (so the unquoted ETag of an S3 event, which S3
 * itself accepts, always failed with 412) and ignores conditions on HEAD. The worker's stale-event check
 * (`GetObject({ IfMatch: eTag })` → 412 when the object changed) depends on this being right.
 */

const bare = (tag: string) => tag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');

/** True when an `If-Match`/`If-None-Match` value (a list of entity tags, or `*`) names this ETag. */
export function entityTagMatches(header: string, eTag: string): boolean {
  const current = bare(eTag);
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === current);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** fauxqs' Fastify app (Fastify is its dependency, not ours). */
type FauxqsApp = ReturnType<typeof buildApp>;

export function installConditionalReads(app: FauxqsApp, store: S3StoreInternals): void {
  app.addHook('onRequest', (request, reply, done) => {
    const method = request.method;
    const ifMatch = header(request.headers['if-match']);
    const ifNoneMatch = header(request.headers['if-none-match']);
    if ((method !== 'GET' && method !== 'HEAD') || (ifMatch === undefined && ifNoneMatch === undefined)) return done();
    // A read of one version is answered, conditions included, by the versioning layer (s3Versioning.ts).
    if ((request.query as Record<string, unknown> | undefined)?.versionId !== undefined) return done();
    const params = request.params as { bucket?: string; '*'?: string } | undefined;
    const bucket = params?.bucket;
    const key = params?.['*'];
    if (!bucket || !key) return done();
    let object: StoredObject;
    try {
      object = store.headObject(bucket, key);
    } catch {
      // No such bucket or key: fauxqs answers the 404 itself.
      return done();
    }
    const answer = (status: number, code: string, message: string) => {
      reply.header('x-amz-request-id', randomBytes(8).toString('hex').toUpperCase());
      if (method === 'HEAD' || status === 304) return reply.code(status).send();
      return reply
        .code(status)
        .header('content-type', 'application/xml')
        .send(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
            `<Resource>/${bucket}/${key}</Resource></Error>`,
        );
    };
    // RFC 7232 order, as S3 applies it: If-Match first; a passing If-Match overrides If-Unmodified-Since, and a
    // failing If-None-Match (the tag matches) answers 304 whatever If-Modified-Since says.
    if (ifMatch !== undefined) {
      if (!entityTagMatches(ifMatch, object.etag)) {
        return answer(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
      }
      delete request.headers['if-match'];
      delete request.headers['if-unmodified-since'];
    }
    if (ifNoneMatch !== undefined) {
      if (entityTagMatches(ifNoneMatch, object.etag)) return answer(304, 'NotModified', 'Not Modified');
      delete request.headers['if-none-match'];
      delete request.headers['if-modified-since'];
    }
    done();
  });
}
