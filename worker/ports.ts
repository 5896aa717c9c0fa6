import type { CatalogueItem, ImageDescription } from '../shared/catalogue.ts';

/**
 * The ports of the pipeline: one interface per dependency. The AWS adapters (worker/adapters/) implement them with
 * the real SDK clients; the pipeline's tests use in-memory fakes.
 */

/** Which object, and which content of it: `eTag` pins the bytes the event was about. */
export interface ObjectRef {
  bucket: string;
  key: string;
  eTag?: string;
  versionId?: string;
}

export type FetchResult =
  | { status: 'ok'; body: Buffer; eTag: string; size: number; contentType?: string; versionId?: string }
  /** The object's content is no longer the one the event named (S3 answered 412 to IfMatch). */
  | { status: 'changed' }
  /** The object (or that version) no longer exists. */
  | { status: 'missing' }
  /** Larger than the configured cap: not fetched. */
  | { status: 'too-large'; size: number };

/** The key's current version, as HeadObject tells it (without a versionId: whatever is current now). */
export type HeadResult =
  | { status: 'present'; eTag: string; size: number; lastModified?: string; versionId?: string }
  /** No current version: never written, deleted, or its current version is a delete marker. */
  | { status: 'missing' };

export interface ImageSource {
  /** Fetches the bytes, conditional on `ref.eTag` when given. Throws TransientError for passing faults. */
  fetch(ref: ObjectRef, options: { maxBytes: number; signal?: AbortSignal }): Promise<FetchResult>;
  /** The key's current version (HeadObject). Throws TransientError for passing faults. */
  head(ref: { bucket: string; key: string }, options?: { signal?: AbortSignal }): Promise<HeadResult>;
}

/** An image ready for the model. */
export interface PreparedImage {
  body: Buffer;
  format: 'jpeg' | 'png' | 'webp' | 'gif';
  width: number;
  height: number;
}

export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface DescribeRequest {
  image: PreparedImage;
  /** The prompt text; the object key never goes here. */
  prompt: string;
  /** `max_tokens` of this call, when not the configured one (a retry after a `max_tokens` stop). */
  maxTokens?: number;
  signal?: AbortSignal;
}

export interface DescribeResult {
  description: ImageDescription;
  usage: ModelUsage;
  modelId: string;
  /** How many model calls this took, retries included. */
  attempts: number;
}

/**
 * The model. A single call: `describe` throws ThrottledError / TransientError (retryable), ModelOutputError (the
 * answer failed validation; retryable within its own budget), ModelOutputTruncatedError (a `max_tokens` stop),
 * ImageRejectedError (the model refused this image), ModelConfigurationError / DailyQuotaExhaustedError (no image
 * is to blame: the fleet pauses). Retrying, quota limiting and pausing are decorators around this port.
 */
export interface Describer {
  describe(request: DescribeRequest): Promise<DescribeResult>;
}

/** Result of a conditional write: `superseded` means a newer or equal result is already stored (not an error). */
export type WriteResult = 'written' | 'superseded';

/** What identifies the stored version of an item that a writer read: `absent` when there was none. */
export type ReadToken = 'absent' | { seq: string; updatedAt: string };

export interface CatalogueStore {
  get(id: string): Promise<CatalogueItem | undefined>;
  /**
   * Writes a content item (catalogued or rejected). Succeeds when no item exists, when the stored `seq` is older,
   * or when the stored item has the same `seq` and `eTag` but another `analysisVersion` or status (re-analysis of the
   * same content). Never overwrites a tombstone of the same or a newer `seq`.
   */
  putContent(item: CatalogueItem): Promise<WriteResult>;
  /** Writes a tombstone. Succeeds when no item exists or the stored `seq` is older. */
  putTombstone(item: CatalogueItem): Promise<WriteResult>;
  /**
   * Moves a stored content item's `seq` forward when an event for the same content is skipped, so an older removal
   * delivered later cannot tombstone an object that still exists. Only when the stored `seq` is older and `eTag` equal.
   */
  advanceSeq(id: string, eTag: string, seq: string): Promise<WriteResult>;
  /** A catalogued item with these bytes and this analysis version, if any (to reuse its analysis). */
  findByContent(contentHash: string, analysisVersion: string): Promise<CatalogueItem | undefined>;
  /**
   * Writes the item (content or tombstone) only when the stored item is still the one the writer read (`expected`),
   * whatever the sequencers say: the write of an event without a sequencer, after the live object proved it current.
   */
  replace(item: CatalogueItem, expected: ReadToken): Promise<WriteResult>;
  /**
   * Takes a short lease named `claimId` for `owner` (so that one process, not two, pays the model for the same
   * content); true when taken (free, expired, or already ours, which renews it). Not an item of the catalogue.
   */
  claim(claimId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Gives the lease back, if still ours. */
  release(claimId: string, owner: string): Promise<void>;
  /** True when an item other than `exceptId` is catalogued with these bytes (its thumbnail is then still in use). */
  contentInUse(contentHash: string, exceptId: string): Promise<boolean>;
}

/** Where the worker keeps the small thumbnails the browser shows. */
export interface ThumbnailStore {
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** Deletes a thumbnail (no error when it is already gone). */
  delete(key: string): Promise<void>;
}
