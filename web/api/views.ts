import type { CatalogueItem, StoredLabel } from '../../shared/catalogue.ts';
import type { ListRow } from './CatalogueReader.ts';
import type { ResponseHeaders, UrlSigner } from './UrlSigner.ts';

/**
 * What S3 is told to send with each derived copy, by key suffix: a fixed image type (never the stored one) and an
 * inline disposition with a fixed file name (never the uploader's key). Keys of another shape get no URL.
 */
const DERIVED_TYPES: Record<string, ResponseHeaders> = {
  webp: { contentType: 'image/webp', contentDisposition: 'inline; filename="image.webp"' },
  jpg: { contentType: 'image/jpeg', contentDisposition: 'inline; filename="image.jpg"' },
};

/**
 * A URL for a copy the worker made (thumbnail or display copy) in the private derived-images bucket. The only
 * bucket this module ever presigns: the uploaded originals keep their EXIF (GPS, camera serial) and the content type
 * the uploader chose (a JPEG/HTML polyglot stored as text/html would run its script), so they are never handed out.
 */
async function derivedUrl(ctx: ViewContext, key: string | undefined): Promise<string | undefined> {
  if (!key || !ctx.thumbnailBucket) return undefined;
  const headers = DERIVED_TYPES[key.slice(key.lastIndexOf('.') + 1)];
  return headers ? ctx.signer.url(ctx.thumbnailBucket, key, headers) : undefined;
}

/** A grid card, as the API sends it. */
export interface ItemSummaryView {
  id: string;
  bucket: string;
  key: string;
  status: CatalogueItem['status'];
  summary?: string;
  category?: string;
  sensitive?: { verdict: 'none' | 'sensitive'; reason: string };
  reason?: string;
  reasonCode?: string;
  width?: number;
  height?: number;
  format?: string;
  updatedAt: string;
  /** Presigned URL of the WebP thumbnail in the private derived-images bucket; absent when there is none. */
  thumbnailUrl?: string;
}

/** The detail view: everything the card has, plus the labelled boxes, the visible text and the full image. */
export interface ItemDetailView extends ItemSummaryView {
  labels: StoredLabel[];
  text: string;
  createdAt: string;
  size?: number;
  modelId?: string;
  analysisVersion?: string;
  image?: CatalogueItem['image'];
  /** Presigned URL of the display copy (long edge ~1600 px, no metadata); absent when there is none. */
  imageUrl?: string;
}

export interface ViewContext {
  signer: UrlSigner;
  /** The derived-images bucket (THUMBNAIL_BUCKET): thumbnails and display copies. */
  thumbnailBucket?: string;
}

export async function summaryView(row: ListRow, ctx: ViewContext): Promise<ItemSummaryView> {
  const view: ItemSummaryView = {
    id: row.id,
    bucket: row.bucket,
    key: row.key,
    status: row.status,
    summary: row.summary,
    category: row.category,
    sensitive: row.sensitive,
    reason: row.reason,
    reasonCode: row.reasonCode,
    width: row.image?.width,
    height: row.image?.height,
    format: row.image?.format,
    updatedAt: row.updatedAt,
  };
  // Rejected items and tombstones have no thumbnail; the bucket may also be unset (thumbnails switched off).
  if (row.status === 'catalogued') view.thumbnailUrl = await derivedUrl(ctx, row.thumbnailKey);
  return view;
}

export async function detailView(item: CatalogueItem, ctx: ViewContext): Promise<ItemDetailView> {
  const summary = await summaryView(item, ctx);
  const view: ItemDetailView = {
    ...summary,
    labels: item.labels ?? [],
    text: item.text ?? '',
    createdAt: item.createdAt,
    size: item.size,
    modelId: item.modelId,
    analysisVersion: item.analysisVersion,
    image: item.image,
  };
  // Items catalogued before display copies existed have none until the backfill reprocesses them
  // (`--reprocess-without-display`); the browser shows their thumbnail meanwhile.
  if (item.status === 'catalogued') view.imageUrl = await derivedUrl(ctx, item.displayKey);
  return view;
}
