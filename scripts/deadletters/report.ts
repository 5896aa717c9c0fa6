import type { ListSummary, RedriveSummary } from './commands.ts';

/** The human-readable result of a command (the JSON line follows it). */
export function formatResult(r: { list?: ListSummary; redrive?: RedriveSummary; purge?: { deleted: number } }): string {
  if (r.list) {
    const lines = [`${r.list.total} dead letters`];
    for (const g of r.list.groups) {
      lines.push(`\n${g.code}: ${g.count}`);
      for (const reason of g.reasons) lines.push(`  reason: ${reason}`);
      if (g.keys.length) lines.push(`  keys:   ${g.keys.join(', ')}`);
    }
    return lines.join('\n');
  }
  if (r.redrive) {
    const s = r.redrive;
    if (s.method === 'move-task') return `redrive started by SQS (StartMessageMoveTask ${s.taskHandle})`;
    const lines = [
      `${s.dryRun ? 'dry run: would redrive' : 'redriven'} ${s.redriven}, ${s.dryRun ? 'would drop' : 'dropped'} ${s.dropped} (out of date), kept ${s.kept} (unreadable), of ${s.seen}`,
      `method: receive, re-check, send, delete${s.note ? ` (${s.note})` : ''}`,
    ];
    for (const d of s.samples.dropped) lines.push(`  dropped: ${d}`);
    for (const k of s.samples.kept) lines.push(`  kept:    ${k}`);
    return lines.join('\n');
  }
  return `purged about ${r.purge?.deleted ?? 0} messages`;
}
