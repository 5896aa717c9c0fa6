import type { CatalogueItem } from '../../shared/catalogue.ts';
import { itemId, searchTextOf } from '../../shared/catalogue.ts';
import { ImageRejectedError, ModelRequestError } from '../../shared/errors.ts';
import type { ObjectEvent } from '../../shared/messages.ts';
import type { DescribeResult, WriteResult } from '../ports.ts';
import { claimOrWait } from './claim.ts';
import type { Outcome } from './outcome.ts';
import type { PipelineDeps, PreparedForModel } from './pipelineDeps.ts';

/** An outcome before the pipeline adds the key and the time taken. */
export type StepResult = Omit<Outcome, 'bucket' | 'key' | 'ms'>;

/** What the caller knows when the bytes are in hand. */
export interface AnalyseInput {
  event: ObjectEvent;
  /** The eTag of the bytes fetched (IfMatch proved it). */
  eTag: string;
  fetched: { body: Buffer; size: number; versionId?: string };
  existing: CatalogueItem | undefined;
  /** Sequence fields the written item carries (the caller's ordering rule decides them). */
  order: { seq: string; sequencer?: string };
  /** The conditional write the caller's ordering rule allows. */
  write: (item: CatalogueItem) => Promise<WriteResult>;
}

type Settled = { kind: 'same'; item: CatalogueItem } | { kind: 'twin'; twin: CatalogueItem };

/**
 * Fetched bytes → prepare → (reuse identical bytes' analysis, or claim the content and call the model) → item →
 * the caller's conditional write. The claim is held until the item is written, so a second process receiving the
 * same content waits for this result instead of paying again.
 */
export async function analyseAndWrite(
  input: AnalyseInput,
  deps: PipelineDeps,
  signal?: AbortSignal,
): Promise<StepResult> {
  const { event, fetched } = input;
  let prepared: PreparedForModel;
  try {
    prepared = await deps.prepare(fetched.body);
  } catch (error) {
    if (error instanceof ImageRejectedError) return writeRejection(input, deps, error, fetched.size);
    throw error;
  }
  const av = deps.prompt.analysisVersion;
  const findTwin = async () => {
    const twin = deps.reuseSameContent ? await deps.store.findByContent(prepared.contentHash, av) : undefined;
    return twin?.summary && twin.category && twin.labels && twin.sensitive ? twin : undefined;
  };
  let twin = await findTwin();
  let release: (() => Promise<void>) | undefined;
  let described: DescribeResult;
  if (twin) {
    described = fromTwin(twin);
  } else {
    const id = itemId(event.bucket, event.key);
    const settled = async (): Promise<Settled | undefined> => {
      const now = await deps.store.get(id);
      const fresh = now && now.updatedAt !== input.existing?.updatedAt;
      if (fresh && now.status !== 'removed' && now.eTag === input.eTag && now.analysisVersion === av) {
        return { kind: 'same', item: now };
      }
      const found = await findTwin();
      return found ? { kind: 'twin', twin: found } : undefined;
    };
    // Identical bytes under other keys share one claim when their analysis is reused; otherwise one per object.
    const claimId = deps.reuseSameContent
      ? `content/${prepared.contentHash}/${av}`
      : `object/${id}/${input.eTag}/${av}`;
    const claim = await claimOrWait(deps.store, claimId, settled, deps.claim, signal);
    if (claim.status === 'busy') {
      return { outcome: 'retry', reason: 'another worker is describing this content', reasonCode: 'CLAIM_HELD' };
    }
    if (claim.status === 'settled' && claim.value.kind === 'same') {
      // Still record that this (maybe newer) event was seen, as a skip does.
      if (claim.value.item.seq < input.order.seq) await deps.store.advanceSeq(id, input.eTag, input.order.seq);
      return { outcome: 'skipped', reason: 'another worker catalogued this content meanwhile' };
    }
    if (claim.status === 'settled' && claim.value.kind === 'twin') {
      twin = claim.value.twin;
      described = fromTwin(twin);
    } else {
      release = claim.status === 'held' ? claim.release : undefined;
      try {
        described = await deps.describer.describe({ image: prepared.image, prompt: deps.prompt.text, signal });
      } catch (error) {
        await release?.();
        if (error instanceof ModelRequestError) {
          const rejection = new ImageRejectedError(
            'MODEL_REFUSED',
            `the model service refused the image: ${error.message}`,
          );
          return writeRejection(input, deps, rejection, fetched.size);
        }
        throw error;
      }
    }
  }
  try {
    return await writeDescribed(input, deps, prepared, described, twin);
  } finally {
    await release?.();
  }
}

function fromTwin(twin: CatalogueItem): DescribeResult {
  return {
    description: {
      summary: twin.summary ?? '',
      category: twin.category ?? '',
      labels: (twin.labels ?? []).map(({ name, box }) => ({ name, box })),
      sensitive: twin.sensitive ?? { verdict: 'none', reason: '' },
      text: twin.text ?? '',
    },
    usage: { inputTokens: 0, outputTokens: 0 },
    modelId: twin.modelId ?? 'unknown',
    attempts: 0,
  };
}

async function writeDescribed(
  input: AnalyseInput,
  deps: PipelineDeps,
  prepared: PreparedForModel,
  described: DescribeResult,
  twin: CatalogueItem | undefined,
): Promise<StepResult> {
  const { event, existing, fetched } = input;
  let thumbnailKey: string | undefined = twin?.thumbnailKey;
  if (!thumbnailKey && deps.thumbnails && prepared.thumbnail) {
    thumbnailKey = `thumbnails/${prepared.contentHash}.webp`;
    await deps.thumbnails.put(thumbnailKey, prepared.thumbnail.body, 'image/webp');
  }
  const d = described.description;
  const now = (deps.now?.() ?? new Date()).toISOString();
  const item: CatalogueItem = {
    id: itemId(event.bucket, event.key),
    bucket: event.bucket,
    key: event.key,
    status: 'catalogued',
    ...input.order,
    eTag: input.eTag,
    versionId: fetched.versionId ?? event.versionId,
    size: fetched.size,
    contentHash: prepared.contentHash,
    analysisVersion: deps.prompt.analysisVersion,
    modelId: described.modelId,
    summary: d.summary,
    category: d.category.toLowerCase(),
    labels: d.labels.map((l) => ({ ...l, boxPx: deps.toPixelBox(l.box, prepared.original) })),
    sensitive: d.sensitive,
    text: d.text,
    image: {
      format: prepared.original.format,
      width: prepared.original.width,
      height: prepared.original.height,
      bytes: prepared.original.bytes,
      preparedWidth: prepared.image.width,
      preparedHeight: prepared.image.height,
      preparedFormat: prepared.image.format,
      preparedBytes: prepared.image.body.length,
    },
    thumbnailKey,
    inputTokens: described.usage.inputTokens,
    outputTokens: described.usage.outputTokens,
    reusedFrom: twin?.id,
    searchText: searchTextOf(d),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  const written = await input.write(item);
  const spent = {
    inputTokens: described.usage.inputTokens,
    outputTokens: described.usage.outputTokens,
    modelCalls: described.attempts,
    ...(twin ? { reused: true } : {}),
  };
  return written === 'written'
    ? { outcome: 'catalogued', ...spent }
    : { outcome: 'stale', reason: 'a newer result was stored meanwhile', reasonCode: 'SUPERSEDED', ...spent };
}

/** Stores a `rejected` item with the reason (through the caller's conditional write). */
export async function writeRejection(
  input: Pick<AnalyseInput, 'event' | 'existing' | 'order' | 'write'> & { eTag?: string },
  deps: PipelineDeps,
  error: ImageRejectedError,
  size?: number,
): Promise<StepResult> {
  const { event, existing } = input;
  const now = (deps.now?.() ?? new Date()).toISOString();
  const written = await input.write({
    id: itemId(event.bucket, event.key),
    bucket: event.bucket,
    key: event.key,
    status: 'rejected',
    ...input.order,
    eTag: input.eTag ?? event.eTag,
    versionId: event.versionId,
    size: size ?? event.size,
    analysisVersion: deps.prompt.analysisVersion,
    reason: error.message,
    reasonCode: error.reason,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  return written === 'written'
    ? { outcome: 'rejected', reason: error.message, reasonCode: error.reason }
    : { outcome: 'stale', reason: 'a newer result was stored meanwhile', reasonCode: 'SUPERSEDED' };
}

export function tooLarge(size: number, max: number): string {
  return `object is ${size} bytes, over the ${max}-byte limit (IMAGE_MAX_BYTES)`;
}
