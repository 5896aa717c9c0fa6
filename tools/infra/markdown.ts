/**
 * A Markdown table laid out the way the project's formatter (Biome) lays it out, so generated documents pass
 * `npm run lint` as written: every column padded to its widest cell (at least 3), right-aligned columns padded on
 * the left. Widths count code points.
 */
export function markdownTable(header: string[], rows: string[][], align: Array<'left' | 'right'> = []): string {
  const width = (s: string) => [...s].length;
  const widths = header.map((h, c) => Math.max(3, width(h), ...rows.map((r) => width(r[c] ?? ''))));
  const pad = (s: string, c: number) => {
    const fill = ' '.repeat((widths[c] ?? 0) - width(s));
    return align[c] === 'right' ? fill + s : s + fill;
  };
  const line = (cells: string[]) => `| ${header.map((_, c) => pad(cells[c] ?? '', c)).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (align[c] === 'right' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
