import type { CatalogueItem, StoredLabel } from '../../shared/catalogue.ts';
import type { ListRow } from './CatalogueReader.ts';
import type { UrlSigner } from './UrlSigner.ts';

/** Formats every current browser shows in an <img>; others (TIFF, HEIC) are shown by their WebP thumbnail. */
const BROWSER_FORMATS = new Set(['jpeg', 'jpg', 'png', 'webp', 'gif', 'avif', 'bmp']);

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
  /** Presigned URL of the WebP thumbnail in the private thumbnail bucket; absent when there is none. */
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
  /** Presigned URL of the original object, when a browser can show its format. */
  imageUrl?: string;
}

export interface ViewContext {
  signer: UrlSigner;
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
  if (row.status === 'catalogued' && row.thumbnailKey && ctx.thumbnailBucket) {
    view.thumbnailUrl = await ctx.signer.url(ctx.thumbnailBucket, row.thumbnailKey);
  }
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
  if (item.status === 'catalogued' && item.image && BROWSER_FORMATS.has(item.image.format.toLowerCase())) {
    view.imageUrl = await ctx.signer.url(item.bucket, item.key);
  }
  return view;
}
