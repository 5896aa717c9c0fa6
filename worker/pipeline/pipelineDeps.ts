import type { ImageDescription } from '../../shared/catalogue.ts';
import type { CatalogueStore, Describer, ImageSource, PreparedImage, ThumbnailStore } from '../ports.ts';
import type { ClaimOptions } from './claim.ts';

/** What the image step gives the pipeline (see worker/image/prepare.ts). */
export interface PreparedForModel {
  image: PreparedImage;
  original: { format: string; width: number; height: number; bytes: number };
  thumbnail?: { body: Buffer; width: number; height: number };
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
  thumbnails?: ThumbnailStore;
  prompt: { text: string; analysisVersion: string };
  maxBytes: number;
  /** Reuse the analysis of identical bytes already catalogued under another key (SKIP_SAME_CONTENT). Default off. */
  reuseSameContent?: boolean;
  /** The lease taken before a model call (see claim.ts); defaults there. */
  claim?: ClaimOptions;
  now?: () => Date;
}
