import { type Counts, totalSkipped } from './counts.ts';
import type { DryRunReport } from './dryRun.ts';
import { SKIP_REASONS, type SkipReason } from './filter.ts';
import type { Mode } from './pagePlan.ts';
import { formatDuration } from './progress.ts';
import type { BackfillSummary } from './runBackfill.ts';

const MODE_NAMES: Record<Mode, string> = {
  all: 'all images',
  'reprocess-stale': 'stale items, reprocess',
  'reprocess-without-display': 'items without a display copy, reprocess',
  'retry-rejected': 'rejected items, retried',
};

const n = (x: number) => Math.round(x).toLocaleString('en-US');

/** `1.2 GB`-style, powers of 1024. */
function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

const usd = (x: number | undefined) =>
  x === undefined
    ? 'unknown (no price for this model: pass --price-input and --price-output)'
    : `$${x < 100 ? x.toFixed(2) : n(x)}`;

const REASON_TEXT: Record<SkipReason, string> = {
  suffix: 'not an image suffix',
  empty: 'empty (0 bytes)',
  tooSmall: 'under --min-size',
  tooLarge: 'over --max-size',
  catalogued: 'already catalogued (same eTag and analysis version)',
  current: 'item already at the current analysis version',
  notCatalogued: 'no catalogue item (not stale, only missing)',
  hasDisplay: 'item already has a display copy (or is not catalogued)',
  notRejected: 'not a rejected item (--retry-rejected)',
  otherReason: 'rejected for another reason (--reason)',
};

function skippedLines(c: Counts): string[] {
  return SKIP_REASONS.filter((r) => (c.skipped[r] ?? 0) > 0).map(
    (r) => `    ${n(c.skipped[r] ?? 0).padStart(12)}  ${REASON_TEXT[r]}`,
  );
}

/** The end-of-run summary for a person. */
export function formatSummary(s: BackfillSummary): string {
  const c = s.run;
  const lines = [
    `Backfill of s3://${s.bucket}/${s.prefixes.length === 1 && s.prefixes[0] === '' ? '' : `{${s.prefixes.join(',')}}`} ` +
      `(${MODE_NAMES[s.mode]}): ${s.outcome}`,
    `  listed     ${n(c.listed).padStart(12)}  (${formatBytes(c.listedBytes)})`,
    `  matched    ${n(c.matched).padStart(12)}  (${formatBytes(c.matchedBytes)})`,
    `  enqueued   ${n(c.enqueued).padStart(12)}  (${formatBytes(c.enqueuedBytes)})`,
    `  skipped    ${n(totalSkipped(c)).padStart(12)}`,
    ...skippedLines(c),
  ];
  if (c.refused > 0) lines.push(`  refused    ${n(c.refused).padStart(12)}  by SQS for good (listed in the JSON line)`);
  lines.push(
    `  elapsed    ${formatDuration(s.elapsedMs / 1000).padStart(12)}  ${n(s.listedPerSecond)} keys/s listed, ${n(s.enqueuedPerSecond)} msg/s enqueued`,
    `  ranges     ${`${s.rangesDone}/${s.ranges}`.padStart(12)}  SendMessageBatch calls ${n(s.sqs.calls)}, entries retried ${n(s.sqs.retriedEntries)}`,
  );
  if (s.resumed || s.runs > 1)
    lines.push(`  all runs   ${n(s.total.enqueued).padStart(12)}  enqueued over ${s.runs} runs`);
  if (s.checkpointFile) {
    lines.push(`  checkpoint ${s.checkpointFile}`);
    if (s.outcome !== 'complete' && s.outcome !== 'already-complete')
      lines.push('  run the same command again to resume');
  }
  if (s.uncommitted > 0)
    lines.push(`  ${n(s.uncommitted)} messages sent past the checkpoint will be sent again on resume`);
  return lines.join('\n');
}

/** The dry run's report for a person. */
export function formatDryRun(r: DryRunReport): string {
  const c = r.counts;
  const t = r.time;
  const rm = r.requestModel;
  const source =
    rm.source === 'catalogue'
      ? `measured on ${n(rm.items)} catalogued items of this analysis version`
      : rm.source === 'flags'
        ? 'from --output-tokens'
        : 'first principles (catalogue some images for a measured figure)';
  const lines = [
    `Dry run of s3://${r.bucket} (${MODE_NAMES[r.mode]}): nothing was enqueued`,
    `  listed          ${n(c.listed).padStart(12)}  (${formatBytes(c.listedBytes)})`,
    `  matched         ${n(c.matched).padStart(12)}  (${formatBytes(c.matchedBytes)})`,
    `  would enqueue   ${n(c.enqueued).padStart(12)}  (${formatBytes(c.enqueuedBytes)})`,
    `  skipped         ${n(totalSkipped(c)).padStart(12)}`,
    ...skippedLines(c),
    `  sample          ${n(r.sample.size).padStart(12)}  headers read (${formatBytes(r.sample.bytesRead)}), ` +
      `${n(r.sample.unreadable)} unreadable (rejected by the worker, no tokens)`,
    `  tokens/image    ${n(r.perImage.inputTokens).padStart(12)}  in (image ${n(r.perImage.imageTokens)} + request ${n(r.perImage.overheadTokens)}) ` +
      `+ ${n(r.perImage.outputTokens)} out; request and output: ${source}`,
    `  tokens          ${n(r.tokens.total).padStart(12)}  (${n(r.tokens.input)} in, ${n(r.tokens.output)} out` +
      `${r.tokens.margin95 > 0 ? `, ±${(r.tokens.margin95 * 100).toFixed(1)} % at 95 % from the sample` : ''})`,
    `  cost on demand  ${usd(r.cost.onDemandUsd).padStart(12)}  ${r.cost.model}` +
      `${r.cost.price ? ` at $${r.cost.price.inputPerMillion}/M in, $${r.cost.price.outputPerMillion}/M out` : ''}`,
    `  cost in batch   ${usd(r.cost.batchUsd).padStart(12)}  (Bedrock batch inference)`,
    `  time            ${formatDuration(t.minutes * 60).padStart(12)}  at ${Math.round(t.target * 100)} % of ${n(t.rpm)} requests/min ` +
      `and ${n(t.tpm)} tokens/min: ${t.binding === 'tokens' ? 'tokens per minute bind' : 'requests per minute bind'} ` +
      `(${formatDuration(t.minutesByRequests * 60)} by requests, ${formatDuration(t.minutesByTokens * 60)} by tokens)`,
  ];
  return lines.join('\n');
}
