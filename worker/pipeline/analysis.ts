import type { CatalogueItem } from '../../shared/catalogue.ts';
import type { DescribeResult } from '../ports.ts';
import { claimOrWait } from './claim.ts';
import type { EventContext, PreparedForModel, Result } from './deps.ts';

export interface Analysis {
  described: DescribeResult;
  /** The item whose analysis was reused (identical bytes under another key), if any. */
  twin?: CatalogueItem;
  /** Gives back the lease taken before the model call; call it once the item is written. */
  release?: () => Promise<void>;
}

type Settled = { kind: 'same'; item: CatalogueItem } | { kind: 'twin'; twin: CatalogueItem };

/**
 * The description: reused from identical bytes already catalogued (when enabled), else from the model, under a lease
 * (claim.ts) so that a second process receiving the same content at the same moment waits for this one's result
 * instead of paying again. Returns a Result instead when the wait ended the event (another process catalogued it) or
 * ran out (retry later).
 */
export async function analyse(
  ctx: EventContext,
  prepared: PreparedForModel,
  signal?: AbortSignal,
): Promise<Analysis | Result> {
  const { deps, event } = ctx;
  const av = deps.prompt.analysisVersion;
  const findTwin = async () => {
    const twin = deps.reuseSameContent ? await deps.store.findByContent(prepared.contentHash, av) : undefined;
    // The item itself is not a twin: finding it is the `same` case below.
    return twin?.id !== ctx.id && twin?.summary && twin.category && twin.labels && twin.sensitive ? twin : undefined;
  };
  const eTag = event.eTag ?? '';
  const settled = async (): Promise<Settled | undefined> => {
    const now = await deps.store.get(ctx.id);
    // Written by someone else since we read the item, with these bytes and this analysis: theirs is ours.
    const fresh = now && now.updatedAt !== ctx.existing?.updatedAt;
    if (fresh && now.status !== 'removed' && now.eTag === eTag && now.analysisVersion === av) {
      return { kind: 'same', item: now };
    }
    const found = await findTwin();
    return found ? { kind: 'twin', twin: found } : undefined;
  };
  const early = await settled();
  if (early) return settledResult(ctx, early, eTag);
  // Identical bytes under other keys share one lease when their analysis is reused; otherwise one per object.
  const claimId = deps.reuseSameContent ? `content/${prepared.contentHash}/${av}` : `object/${ctx.id}/${eTag}/${av}`;
  const claim = await claimOrWait(deps.store, claimId, settled, deps.claim, signal);
  if (claim.status === 'busy') {
    return { outcome: 'retry', reason: 'another worker is describing this content', reasonCode: 'CLAIM_HELD' };
  }
  if (claim.status === 'settled') return settledResult(ctx, claim.value, eTag);
  try {
    const described = await deps.describer.describe({ image: prepared.image, prompt: deps.prompt.text, signal });
    return { described, release: claim.release };
  } catch (error) {
    await claim.release();
    throw error;
  }
}

/** Another worker's result: reuse its twin's analysis, or skip because this very item is now written. */
async function settledResult(ctx: EventContext, settled: Settled, eTag: string): Promise<Analysis | Result> {
  if (settled.kind === 'twin') return { described: fromTwin(settled.twin), twin: settled.twin };
  // Still record that this (maybe newer) event was seen, as a skip does.
  if (settled.item.seq < ctx.seq) await ctx.deps.store.advanceSeq(ctx.id, eTag, ctx.seq);
  return { outcome: 'skipped', reason: 'another worker catalogued this content meanwhile' };
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
