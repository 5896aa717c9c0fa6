import { createHash } from 'node:crypto';
import type { CatalogueItem, ImageDescription } from '../../shared/catalogue.ts';
import type { ObjectEvent } from '../../shared/messages.ts';
import type { PipelineDeps, PreparedForModel } from '../../worker/pipeline/processEvent.ts';
import type {
  CatalogueStore,
  DescribeRequest,
  DescribeResult,
  Describer,
  FetchResult,
  HeadResult,
  ImageSource,
  ObjectRef,
  ReadToken,
  WriteResult,
} from '../../worker/ports.ts';

/**
 * In-memory fakes of the pipeline's ports, for the pipeline's unit tests. The store applies the same write rules as
 * DynamoCatalogueStore's condition expressions (which the adapter tests check against dynalite).
 */
export class InMemoryStore implements CatalogueStore {
  readonly items = new Map<string, CatalogueItem>();
  writes = 0;

  async get(id: string) {
    const item = this.items.get(id);
    return item ? structuredClone(item) : undefined;
  }
  async putContent(item: CatalogueItem): Promise<WriteResult> {
    const s = this.items.get(item.id);
    const ok =
      !s ||
      s.seq < item.seq ||
      (s.eTag === item.eTag &&
        s.status !== 'removed' &&
        (s.analysisVersion !== item.analysisVersion ||
          s.status !== item.status ||
          (item.displayKey !== undefined && s.displayKey === undefined)));
    return this.write(ok, item);
  }
  async putTombstone(item: CatalogueItem): Promise<WriteResult> {
    const s = this.items.get(item.id);
    return this.write(!s || s.seq < item.seq, item);
  }
  async findByContent(contentHash: string, analysisVersion: string) {
    return [...this.items.values()].find(
      (i) => i.contentHash === contentHash && i.analysisVersion === analysisVersion && i.status === 'catalogued',
    );
  }
  async advanceSeq(id: string, eTag: string, seq: string): Promise<WriteResult> {
    const s = this.items.get(id);
    if (!s || !(s.seq < seq) || s.eTag !== eTag || s.status === 'removed') return 'superseded';
    s.seq = seq;
    return 'written';
  }
  async replace(item: CatalogueItem, expected: ReadToken): Promise<WriteResult> {
    const s = this.items.get(item.id);
    const ok =
      expected === 'absent' ? !s : s !== undefined && s.seq === expected.seq && s.updatedAt === expected.updatedAt;
    return this.write(ok, item);
  }
  /** Leases by id: owner and expiry (ms since the epoch), as DynamoCatalogueStore keeps them. */
  readonly claims = new Map<string, { owner: string; until: number }>();
  claimsTaken = 0;
  async claim(claimId: string, owner: string, leaseMs: number): Promise<boolean> {
    const c = this.claims.get(claimId);
    const now = Date.now();
    if (c && c.until >= now && c.owner !== owner) return false;
    if (!c || c.owner !== owner) this.claimsTaken++;
    this.claims.set(claimId, { owner, until: now + leaseMs });
    return true;
  }
  async release(claimId: string, owner: string): Promise<void> {
    if (this.claims.get(claimId)?.owner === owner) this.claims.delete(claimId);
  }
  async contentInUse(contentHash: string, exceptId: string): Promise<boolean> {
    return [...this.items.values()].some(
      (i) => i.id !== exceptId && i.contentHash === contentHash && i.status === 'catalogued',
    );
  }
  private write(ok: boolean, item: CatalogueItem): WriteResult {
    if (!ok) return 'superseded';
    this.writes++;
    this.items.set(item.id, structuredClone(item));
    return 'written';
  }
}

export const etagOf = (body: Buffer) => createHash('md5').update(body).digest('hex');

/** An S3 creation event for `body` under `key` in bucket `b` (no sequencer unless given). */
export const createdEvent = (key: string, body: Buffer, extra: Partial<ObjectEvent> = {}): ObjectEvent => ({
  kind: 'created',
  bucket: 'b',
  key,
  eTag: etagOf(body),
  size: body.length,
  eventName: 'ObjectCreated:Put',
  source: 's3',
  ...extra,
});

/** An S3 removal event for `key` in bucket `b` (no sequencer unless given). */
export const removedEvent = (key: string, extra: Partial<ObjectEvent> = {}): ObjectEvent => ({
  kind: 'removed',
  bucket: 'b',
  key,
  eventName: 'ObjectRemoved:Delete',
  source: 's3',
  ...extra,
});

/** A bucket in memory: `put` and `remove` change it; fetch honours IfMatch like S3. */
export class InMemoryBucket implements ImageSource {
  readonly objects = new Map<string, Buffer>();
  /** ETags set by hand (to match a published sample event); otherwise the MD5 of the bytes, as S3 computes it. */
  private readonly eTags = new Map<string, string>();
  fetches = 0;
  heads = 0;
  put(key: string, body: Buffer, eTag?: string): string {
    this.objects.set(key, body);
    if (eTag) this.eTags.set(key, eTag);
    else this.eTags.delete(key);
    return this.eTagOf(key, body);
  }
  remove(key: string) {
    this.objects.delete(key);
    this.eTags.delete(key);
  }
  private eTagOf(key: string, body: Buffer): string {
    return this.eTags.get(key) ?? etagOf(body);
  }
  async head(ref: { key: string }): Promise<HeadResult> {
    this.heads++;
    const body = this.objects.get(ref.key);
    return body ? { status: 'present', eTag: this.eTagOf(ref.key, body), size: body.length } : { status: 'missing' };
  }
  async fetch(ref: ObjectRef, options: { maxBytes: number }): Promise<FetchResult> {
    this.fetches++;
    const body = this.objects.get(ref.key);
    if (!body) return { status: 'missing' };
    const eTag = this.eTagOf(ref.key, body);
    if (ref.eTag && ref.eTag !== eTag) return { status: 'changed' };
    if (body.length > options.maxBytes) return { status: 'too-large', size: body.length };
    return { status: 'ok', body, eTag, size: body.length };
  }
}

export const sampleDescription = (summary = 'A test image.'): ImageDescription => ({
  summary,
  category: 'Test',
  labels: [{ name: 'thing', box: { left: 0.25, top: 0.25, width: 0.5, height: 0.5 } }],
  sensitive: { verdict: 'none', reason: 'nothing sensitive' },
  text: '',
});

/** A describer that answers from a script: each call takes the next step (an error to throw, or an answer). */
export class ScriptedDescriber implements Describer {
  calls = 0;
  readonly prompts: string[] = [];
  constructor(private readonly script: (Error | ImageDescription)[] = []) {}
  async describe(request: DescribeRequest): Promise<DescribeResult> {
    this.calls++;
    this.prompts.push(request.prompt);
    const step = this.script.shift() ?? sampleDescription();
    if (step instanceof Error) throw step;
    return { description: step, usage: { inputTokens: 100, outputTokens: 20 }, modelId: 'fake-model', attempts: 1 };
  }
}

/** A prepare step that reads the fake "image" as text: `img:<w>x<h>` is an image, anything else is rejected. */
export async function fakePrepare(body: Buffer): Promise<PreparedForModel> {
  const { ImageRejectedError } = await import('../../shared/errors.ts');
  const m = /^img:(\d+)x(\d+)/.exec(body.toString());
  if (!m) throw new ImageRejectedError('NOT_AN_IMAGE', 'not an image: the content looks like text');
  const width = Number(m[1]);
  const height = Number(m[2]);
  return {
    image: { body, format: 'jpeg', width, height },
    original: { format: 'jpeg', width, height, bytes: body.length },
    contentHash: createHash('sha256').update(body).digest('hex'),
  };
}

export function fakePipeline(over: Partial<PipelineDeps> = {}) {
  const store = new InMemoryStore();
  const bucket = new InMemoryBucket();
  const describer = new ScriptedDescriber();
  const deps: PipelineDeps = {
    source: bucket,
    store,
    describer,
    prepare: fakePrepare,
    toPixelBox: (b, o) => ({
      left: b.left * o.width,
      top: b.top * o.height,
      width: b.width * o.width,
      height: b.height * o.height,
    }),
    prompt: { text: 'describe it', analysisVersion: 'v-test' },
    maxBytes: 1_000_000,
    // Waiting for another holder's lease looks again every few ms (the default is 250): these tests race in memory.
    claim: { pollMs: 5 },
    ...over,
  };
  return { deps, store, bucket, describer };
}
