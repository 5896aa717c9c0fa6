import type { CatalogueItem, ImageDescription } from '../../shared/catalogue.ts';
import type { ObjectEvent } from '../../shared/messages.ts';
import type { CatalogueStore, Describer, ImageSource, PreparedImage, ThumbnailStore, WriteResult } from '../ports.ts';
import type { ByteBudget } from './ByteBudget.ts';
import type { ClaimOptions } from './claim.ts';
import type { DerivedCopies } from './derivedCopies.ts';
import type { Outcome } from './outcome.ts';

/** What the image step gives the pipeline (see worker/image/prepare.ts). */
export interface PreparedForModel {
  image: PreparedImage;
  original: { format: string; width: number; height: number; bytes: number };
  thumbnail?: DerivedCopies['thumbnail'];
  display?: DerivedCopies['display'];
  contentHash: string;
}

export interface PipelineDeps {
  source: ImageSource;
  store: CatalogueStore;
  describer: Describer;
  prepare: (body: Buffer) => Promise<PreparedForModel>;
  toPixelBox: (
    box: ImageDescription['labels'][number]['box'],
    original: { width: number; height: number },
  ) => { left: number; top: number; width: number; height: number };
  /** The private derived-images bucket (thumbnails and display copies); unset: none are kept. */
  thumbnails?: ThumbnailStore;
  prompt: { text: string; analysisVersion: string };
  maxBytes: number;
  /** Bytes of object bodies held at once, fetched and not yet prepared (WORKER_MAX_INFLIGHT_BYTES); unset: no limit. */
  bodyBudget?: ByteBudget;
  /** Reuse the analysis of identical bytes already catalogued under another key (SKIP_SAME_CONTENT). Default off. */
  reuseSameContent?: boolean;
  /** The lease taken before a model call (see claim.ts); its defaults are there. */
  claim?: ClaimOptions;
  now?: () => Date;
}

/** An outcome before the pipeline stamps it with the object and the time taken. */
export type Result = Omit<Outcome, 'bucket' | 'key' | 'ms'>;

/**
 * One event on its way through the pipeline, and what the pipeline has learnt about it so far. A rejection can
 * happen at several steps; it is written from this context by the one place that turns errors into outcomes.
 */
export interface EventContext {
  event: ObjectEvent;
  deps: PipelineDeps;
  /** The catalogue item id, `bucket/key`. */
  id: string;
  /** The event's sequencer, normalised for comparison (see shared/sequencer.ts). */
  seq: string;
  /** The stored item, once read. */
  existing?: CatalogueItem;
  /** The object's size as fetched, once fetched. */
  size?: number;
  /**
   * The conditional write this event's ordering allows. Default: `store.putContent` (ordered by sequencer); an event
   * that follows the live object writes with `store.replace` on the item it read (followLiveObject.ts).
   */
  write?: (item: CatalogueItem) => Promise<WriteResult>;
}

/** Writes a content item (catalogued or rejected) the way the event's ordering allows. */
export function writeContent(ctx: EventContext, item: CatalogueItem): Promise<WriteResult> {
  return ctx.write ? ctx.write(item) : ctx.deps.store.putContent(item);
}

export function nowIso(deps: PipelineDeps): string {
  return (deps.now?.() ?? new Date()).toISOString();
}
