import { createHash } from 'node:crypto';
import { z } from 'zod';

/** A box in normalised coordinates of the image as shown (EXIF orientation applied): 0..1 from the top-left. */
export const NormalisedBox = z
  .object({
    left: z.number().min(0).max(1),
    top: z.number().min(0).max(1),
    width: z.number().min(0).max(1),
    height: z.number().min(0).max(1),
  })
  .refine((b) => b.left + b.width <= 1.0001 && b.top + b.height <= 1.0001, {
    message: 'box must lie inside the image (left + width <= 1 and top + height <= 1)',
  });
export type NormalisedBox = z.infer<typeof NormalisedBox>;

const Label = z.object({
  name: z.string().trim().min(1).max(100),
  box: NormalisedBox,
});

/**
 * The catalogue entry the model writes: the input schema of the one forced tool, and the validator of its answer.
 * Everything in it is untrusted data (text inside a photo can try to instruct the model).
 */
export const ImageDescription = z.object({
  summary: z.string().trim().min(1).max(2000).describe('One to three sentences describing the image.'),
  category: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .describe('A short, general category for the image, one or two words, lower case (e.g. "portrait", "food").'),
  labels: z
    .array(Label)
    .max(50)
    .describe('Notable objects, each with a bounding box in normalised 0-1 coordinates of the image.'),
  sensitive: z
    .object({
      verdict: z.enum(['none', 'sensitive']),
      reason: z.string().trim().min(1).max(500),
    })
    .describe(
      'Whether the image holds sensitive information (faces of identifiable people, documents, IDs, etc.), and why.',
    ),
  text: z.string().max(4000).describe('Visible text in the image, verbatim; an empty string when there is none.'),
});
export type ImageDescription = z.infer<typeof ImageDescription>;

/** JSON Schema of {@link ImageDescription}, the forced tool's input schema. */
export function descriptionJsonSchema(categories?: readonly string[]): Record<string, unknown> {
  const schema = categories?.length
    ? ImageDescription.extend({ category: z.enum(categories as [string, ...string[]]) })
    : ImageDescription;
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

export const ItemStatus = z.enum(['catalogued', 'rejected', 'removed']);
export type ItemStatus = z.infer<typeof ItemStatus>;

/** A label as stored: the model's normalised box and the same box in pixels of the original (oriented) image. */
export const StoredLabel = Label.extend({
  boxPx: z.object({ left: z.number(), top: z.number(), width: z.number(), height: z.number() }),
});
export type StoredLabel = z.infer<typeof StoredLabel>;

/** What the worker records about the original and the prepared image (the batch manifest keeps the same). */
export const ImageFacts = z.object({
  format: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
  preparedWidth: z.number().int(),
  preparedHeight: z.number().int(),
  preparedFormat: z.string(),
  preparedBytes: z.number().int(),
});

/**
 * One catalogue item, keyed by `id` = `bucket/key`. `seq` is the normalised S3 sequencer of the event that last
 * wrote it (see sequencer.ts); removals leave a tombstone (`status: removed`) carrying their `seq`, so a late create
 * event cannot bring a deleted object back.
 */
export const CatalogueItem = z.object({
  id: z.string(),
  bucket: z.string(),
  key: z.string(),
  status: ItemStatus,
  seq: z.string(),
  sequencer: z.string().optional(),
  eTag: z.string().optional(),
  versionId: z.string().optional(),
  size: z.number().int().optional(),
  contentHash: z.string().optional(),
  analysisVersion: z.string().optional(),
  modelId: z.string().optional(),
  summary: z.string().optional(),
  category: z.string().optional(),
  labels: z.array(StoredLabel).optional(),
  sensitive: z.object({ verdict: z.enum(['none', 'sensitive']), reason: z.string() }).optional(),
  text: z.string().optional(),
  image: ImageFacts.optional(),
  thumbnailKey: z.string().optional(),
  /** The display copy (derived-images bucket): what the browser shows; the original is never handed out. */
  displayKey: z.string().optional(),
  reason: z.string().optional(),
  reasonCode: z.string().optional(),
  inputTokens: z.number().int().optional(),
  outputTokens: z.number().int().optional(),
  /** How the tokens were billed: `batch` for an answer of a batch inference job (about half the on-demand price). */
  pricing: z.enum(['on-demand', 'batch']).optional(),
  /** The item whose analysis was reused for these identical bytes (no model call). */
  reusedFrom: z.string().optional(),
  /** The category the counter items hold this item under (worker/adapters/CategoryTally.ts); set by the store. */
  countedCategory: z.string().optional(),
  /** Lower-cased summary + labels + text, for the browser's search. */
  searchText: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CatalogueItem = z.infer<typeof CatalogueItem>;

export function itemId(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

/**
 * Identifies the analysis: a change of model, prompt, schema or category list gives a new version, and items with
 * an older one are stale (backfill `--reprocess-stale` finds them).
 */
export function analysisVersion(input: {
  modelId: string;
  prompt: string;
  categories?: readonly string[];
  maxEdge: number;
}): string {
  const h = createHash('sha256');
  h.update(input.modelId);
  h.update('\0');
  h.update(input.prompt);
  h.update('\0');
  h.update(JSON.stringify(descriptionJsonSchema(input.categories)));
  h.update('\0');
  h.update(String(input.maxEdge));
  return `v1-${h.digest('hex').slice(0, 16)}`;
}

/** The text the browser searches: summary, category, label names and visible text, lower-cased. */
export function searchTextOf(d: Pick<ImageDescription, 'summary' | 'category' | 'labels' | 'text'>): string {
  return [d.summary, d.category, ...d.labels.map((l) => l.name), d.text].join(' \n').toLowerCase();
}
