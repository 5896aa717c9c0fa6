import { keySettings } from './graphSettings.ts';
import { markdownTable } from './markdown.ts';
import type { RecordedResource } from './mockRuntime.ts';

/** One line of the resource graph, in tree order (each parent before its children). */
export interface GraphRow {
  depth: number;
  urn: string;
  type: string;
  name: string;
  /** Logical name of the parent; undefined at the root. */
  parentName?: string;
  settings: string[];
  /** Logical names of the resources this one depends on. */
  dependsOn: string[];
}

/** Orders the recorded resources as a tree: depth-first from the roots, siblings in registration order. */
export function buildGraph(resources: readonly RecordedResource[]): GraphRow[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string | undefined, RecordedResource[]>();
  for (const r of resources) {
    const parent = r.parent && byUrn.has(r.parent) ? r.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const rows: GraphRow[] = [];
  const visit = (r: RecordedResource, depth: number) => {
    rows.push({
      depth,
      urn: r.urn,
      type: r.type,
      name: r.name,
      parentName: r.parent ? byUrn.get(r.parent)?.name : undefined,
      settings: keySettings(r.type, r.inputs),
      dependsOn: r.dependencies.map((d) => byUrn.get(d)?.name ?? d),
    });
    const kids = [...(children.get(r.urn) ?? [])].sort(
      (a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name),
    );
    for (const child of kids) visit(child, depth + 1);
  };
  for (const root of children.get(undefined) ?? []) visit(root, 0);
  return rows;
}

/** Counts of resources by type, most frequent first. */
function countByType(rows: readonly GraphRow[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Short form of a type token: `aws:sqs/queue:Queue` -> `aws:sqs:Queue`. */
export function shortType(type: string): string {
  const [pkg, module, kind] = type.split(':');
  return kind ? `${pkg}:${module?.split('/')[0]}:${kind}` : type;
}

/** A plain-text tree for the terminal: name, type, then the key settings. */
export function renderText(rows: readonly GraphRow[]): string {
  const label = (r: GraphRow) => `${'  '.repeat(r.depth)}${r.depth > 0 ? '└ ' : ''}${r.name}`;
  const nameWidth = Math.max(...rows.map((r) => label(r).length));
  const typeWidth = Math.max(...rows.map((r) => shortType(r.type).length));
  const lines = rows.map((r) =>
    `${label(r).padEnd(nameWidth)}  ${shortType(r.type).padEnd(typeWidth)}  ${r.settings.join('; ')}`.trimEnd(),
  );
  return `${lines.join('\n')}\n\n${rows.length} resources\n`;
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

/**
 * The graph as a Markdown document: a summary by type, then one table row per resource with its parent, key
 * settings and dependencies on other resources of the stack.
 */
export function renderMarkdown(rows: readonly GraphRow[], options: { title: string; note?: string }): string {
  const out = [`# ${options.title}`, ''];
  if (options.note) out.push(options.note, '');
  out.push(`${rows.length} resources:`, '');
  for (const [type, n] of countByType(rows)) out.push(`- ${n} \`${type}\``);
  const table = rows.map((r) => [
    `${'&nbsp;&nbsp;'.repeat(r.depth)}${r.depth > 0 ? '└ ' : ''}\`${r.name}\``,
    `\`${shortType(r.type)}\``,
    r.parentName ? `\`${r.parentName}\`` : '',
    cell(r.settings.join('; ')),
    cell(r.dependsOn.filter((d) => !d.startsWith('urn:')).join(', ')),
  ]);
  out.push('', markdownTable(['resource', 'type', 'parent', 'key settings', 'depends on'], table));
  return `${out.join('\n')}\n`;
}
