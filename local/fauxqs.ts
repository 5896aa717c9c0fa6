import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildAppOptions, buildApp } from 'fauxqs';
import { httpUrl, listenError } from './listen.ts';
import { installConditionalReads } from './s3Conditionals.ts';
import { installS3KeyOrderListing } from './s3KeyOrderListing.ts';
import { installResponseOverrides } from './s3ResponseOverrides.ts';
import { installS3Versioning } from './s3Versioning.ts';
import { type S3StoreInternals, type S3Write, tapS3Writes } from './s3WriteTap.ts';

/**
 * fauxqs (S3 + SQS) embedded in this process. `startFauxqs()` from the package would do, but it always listens on
 * 0.0.0.0 and hides its stores; we need loopback only, and the S3 store itself, to see every write the moment it
 * happens (fauxqs sends no S3 event notifications) and to answer conditional reads as S3 does. So this assembles the
 * same parts as `startFauxqs()` (fauxqs 2.4.1, pinned in package.json): the stores and the SQLite persistence come
 * from the package's own files, `buildApp` from its public API. A fauxqs upgrade that moves those files fails loudly
 * here, at start-up.
 */

/** Largest single PutObject body, bytes: 1 GiB. */
export const MAX_PUT_BYTES = 1024 * 1024 * 1024;

export interface FauxqsOptions {
  host: string;
  /** 0: an ephemeral port. */
  port: number;
  /** SQLite persistence of queues, messages, buckets and objects in this folder; unset: in memory. */
  dataDir?: string;
  /** Called for every object written or deleted in any bucket, in the order the writes happened. */
  onWrite: (write: S3Write) => void;
}

export interface EmbeddedFauxqs {
  url: string;
  port: number;
  /** Creates the bucket when missing (idempotent, no event). */
  createBucket(name: string): void;
  close(): Promise<void>;
}

interface Persistence {
  load(sqs: unknown, sns: unknown, s3: unknown): void;
  close(): void;
}

interface Internals {
  SqsStore: new () => { host: string; persistence?: unknown; allQueues(): Iterable<{ persistence?: unknown }> };
  SnsStore: new () => { persistence?: unknown };
  S3Store: new () => S3StoreInternals & { persistence?: unknown };
  PersistenceManager: new (dataDir: string) => Persistence;
}

let internals: Promise<Internals> | undefined;

/** The folder of an installed package, found as Node finds it (its `exports` hide package.json from require). */
function packageDir(name: string): string {
  const paths = createRequire(import.meta.url).resolve.paths(name) ?? [];
  const found = paths.map((p) => join(p, name)).find((dir) => existsSync(join(dir, 'package.json')));
  if (!found) throw new Error(`package ${name} not found`);
  return found;
}

function loadInternals(): Promise<Internals> {
  internals ??= (async () => {
    const dist = join(packageDir('fauxqs'), 'dist');
    const load = async (file: string) => import(pathToFileURL(join(dist, file)).href);
    const [sqs, sns, s3, persistence] = await Promise.all(
      ['sqs/sqsStore.js', 'sns/snsStore.js', 's3/s3Store.js', 'persistence.js'].map(load),
    );
    const found = {
      SqsStore: sqs.SqsStore,
      SnsStore: sns.SnsStore,
      S3Store: s3.S3Store,
      PersistenceManager: persistence.PersistenceManager,
    };
    const missing = Object.entries(found).filter(([, v]) => typeof v !== 'function');
    if (missing.length > 0) {
      throw new Error(`fauxqs internals not found (${missing.map(([k]) => k).join(', ')}): is fauxqs still 2.4.x?`);
    }
    // S3 lists keys in UTF-8 byte order; fauxqs 2.4.1 does not (see s3KeyOrderListing.ts).
    installS3KeyOrderListing(found.S3Store as unknown as { prototype: object });
    return found as Internals;
  })();
  return internals;
}

/** Starts fauxqs on host:port. @throws PortInUseError when the port is taken. */
export async function startFauxqs(options: FauxqsOptions): Promise<EmbeddedFauxqs> {
  const { SqsStore, SnsStore, S3Store, PersistenceManager } = await loadInternals();
  const sqsStore = new SqsStore();
  // Queue URLs then name the host the client used (127.0.0.1:port), not fauxqs' default sqs.<region>.localhost,
  // which does not resolve everywhere.
  sqsStore.host = '';
  const snsStore = new SnsStore();
  const s3Store = new S3Store();
  // As in fauxqs' own start-up: load the saved state first, then attach persistence, so loading writes nothing.
  const persistence = options.dataDir ? new PersistenceManager(options.dataDir) : undefined;
  if (persistence) {
    persistence.load(sqsStore, snsStore, s3Store);
    sqsStore.persistence = persistence;
    snsStore.persistence = persistence;
    for (const queue of sqsStore.allQueues()) queue.persistence = persistence;
    s3Store.persistence = persistence;
  }
  const app = buildApp({
    logger: false,
    stores: { sqsStore, snsStore, s3Store } as unknown as NonNullable<BuildAppOptions['stores']>,
  });
  // Versioning first: the write tap reads the version ids it sets.
  installS3Versioning(app, s3Store);
  tapS3Writes(s3Store, options.onWrite);
  installConditionalReads(app, s3Store);
  installResponseOverrides(app);
  // fauxqs caps request bodies at 11 MiB (enough for multipart parts), which turns a plain PutObject of a large
  // photo into a 413. S3 takes up to 5 GB in one PUT; we take up to MAX_PUT_BYTES (objects are held in memory).
  app.removeContentTypeParser('*');
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_PUT_BYTES }, (_request, body, done) =>
    done(null, body),
  );
  // Closed by the app's onClose hook and on a failed listen: once only (a second close throws "database is not open").
  let persistenceOpen = persistence !== undefined;
  const closePersistence = () => {
    if (persistenceOpen) persistence?.close();
    persistenceOpen = false;
  };
  app.addHook('onClose', (_instance, done) => {
    closePersistence();
    done();
  });

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close().catch(() => undefined);
    closePersistence();
    throw listenError(error, options.host, options.port, 's3sqs');
  }
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: httpUrl(options.host, port),
    port,
    createBucket: (name) => s3Store.createBucket(name),
    close: async () => {
      await app.close();
    },
  };
}
