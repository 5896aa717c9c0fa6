import { costOf, priceOf } from '../../../shared/models.ts';
import type { Fallback } from './Fallback.ts';
import type { RunManifest } from './manifest.ts';

export interface BatchSummary {
  outcome: 'complete' | 'aborted' | 'already-complete';
  runId: string;
  stagingBucket: string;
  listed: number;
  jobs: { total: number; byStatus: Record<string, number>; records: number };
  written: number;
  skipped: number;
  stale: number;
  duplicates: number;
  /** Sent through the on-demand queue (this run), by reason. */
  fallbacks: { total: number; byReason: Record<string, number> };
  tokens: { input: number; output: number };
  /** At the batch price of the model table (shared/models.ts); undefined for a model it does not know. */
  costUsd?: number;
  /** The same tokens at the on-demand price, for comparison. */
  onDemandCostUsd?: number;
  notes: string[];
  elapsedMs: number;
}

export function summarise(
  manifest: RunManifest,
  fallback: Fallback,
  extra: { outcome: BatchSummary['outcome']; notes: string[]; elapsedMs: number; stagingBucket: string },
): BatchSummary {
  const results = manifest.jobs.map((j) => j.result).filter((r) => r !== undefined);
  const sum = (f: (r: (typeof results)[number]) => number) => results.reduce((a, r) => a + f(r), 0);
  const byStatus: Record<string, number> = {};
  for (const j of manifest.jobs) byStatus[j.status ?? 'staged'] = (byStatus[j.status ?? 'staged'] ?? 0) + 1;
  const tokens = { input: sum((r) => r.inputTokens), output: sum((r) => r.outputTokens) };
  const price = priceOf(manifest.modelId);
  const onDemand = price ? costOf(tokens, price) : undefined;
  return {
    outcome: extra.outcome,
    runId: manifest.runId,
    stagingBucket: extra.stagingBucket,
    listed: manifest.listed ?? 0,
    jobs: { total: manifest.jobs.length, byStatus, records: manifest.jobs.reduce((a, j) => a + j.records, 0) },
    written: sum((r) => r.written),
    skipped: sum((r) => r.skipped),
    stale: sum((r) => r.stale),
    duplicates: manifest.counts.duplicates,
    fallbacks: { total: fallback.sent, byReason: { ...fallback.byReason } },
    tokens,
    costUsd: price && onDemand !== undefined ? onDemand * price.batchFactor : undefined,
    onDemandCostUsd: onDemand,
    notes: extra.notes,
    elapsedMs: Math.round(extra.elapsedMs),
  };
}

export function formatBatchSummary(s: BatchSummary): string {
  const usd = (v?: number) => (v === undefined ? 'unknown (model not in shared/modelTable.ts)' : `$${v.toFixed(4)}`);
  const reasons = Object.entries(s.fallbacks.byReason).map(([k, v]) => `${k} ${v}`);
  return [
    `Batch backfill ${s.outcome} (run ${s.runId}, staging bucket ${s.stagingBucket})`,
    ...s.notes.map((n) => `  note: ${n}`),
    `  images listed     ${s.listed}`,
    `  jobs              ${s.jobs.total} (${s.jobs.records} records) ${JSON.stringify(s.jobs.byStatus)}`,
    `  catalogued        ${s.written} (already there ${s.skipped}, changed since listed ${s.stale}, same bytes ${s.duplicates})`,
    `  on-demand queue   ${s.fallbacks.total}${reasons.length ? ` (${reasons.join(', ')})` : ''}`,
    `  tokens            ${s.tokens.input} in, ${s.tokens.output} out`,
    `  cost (batch)      ${usd(s.costUsd)}   on demand it would be ${usd(s.onDemandCostUsd)}`,
    `  time              ${(s.elapsedMs / 1000).toFixed(1)} s`,
  ].join('\n');
}
