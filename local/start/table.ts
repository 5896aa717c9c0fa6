import type { CatalogueItem } from '../../shared/catalogue.ts';

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The catalogue as a readable, fixed-width table for a terminal: key, status/category, summary, labels. */
export function renderCatalogueTable(items: CatalogueItem[], width = process.stdout.columns || 160): string {
  const keyW = Math.min(32, Math.max(8, ...items.map((i) => i.key.length)));
  const catW = 12;
  const labelW = 28;
  const summaryW = Math.max(30, width - keyW - catW - labelW - 9);
  const row = (k: string, c: string, s: string, l: string) =>
    `${clip(k, keyW).padEnd(keyW)} │ ${clip(c, catW).padEnd(catW)} │ ${clip(s, summaryW).padEnd(summaryW)} │ ${clip(l, labelW)}`;
  const lines = [
    row('key', 'category', 'summary', 'labels'),
    '─'.repeat(Math.min(width, keyW + catW + summaryW + labelW + 9)),
  ];
  for (const item of items) {
    if (item.status === 'catalogued') {
      const labels = [...new Set((item.labels ?? []).map((l) => l.name))].join(', ') || '—';
      lines.push(row(item.key, item.category ?? '', item.summary ?? '', labels));
    } else if (item.status === 'rejected') {
      lines.push(row(item.key, 'REJECTED', `${item.reasonCode}: ${item.reason ?? ''}`, '—'));
    }
  }
  return lines.join('\n');
}
