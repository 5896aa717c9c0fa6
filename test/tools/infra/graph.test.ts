import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGraph, type GraphRow, renderMarkdown, renderText, shortType } from '../../../tools/infra/graph.ts';
import { runStack, type StackRun } from '../../infra/stackUnderMocks.ts';

const exec = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
// Uploaded page files follow web/public, not the program: the committed graph is compared without them.
const SITE_OBJECT = 'aws:s3/bucketObjectv2:BucketObjectv2';

let run: StackRun;
let rows: GraphRow[];
beforeAll(async () => {
  run = await runStack();
  rows = buildGraph(run.resources);
});

/** The (name, short type) pairs of the resource table of a rendered graph. */
function tableEntries(markdown: string): string[] {
  const start = markdown.search(/^\| resource +\| type /m);
  return markdown
    .slice(start)
    .split('\n')
    .slice(2)
    .filter((line) => line.startsWith('|'))
    .map((line) => {
      const [name = '', type = ''] = line
        .slice(2)
        .split(' | ')
        .map((c) => c.trim());
      return `${name.replace(/^(&nbsp;)*(└ )?/, '').replaceAll('`', '')} ${type.replaceAll('`', '')}`;
    });
}

const pairs = (list: ReadonlyArray<{ name: string; type: string }>) =>
  list.map((r) => `${r.name} ${shortType(r.type)}`).sort();

describe('resource graph', () => {
  it('lists every registered resource exactly once, each parent before its children', () => {
    expect(rows.map((r) => r.urn).sort()).toEqual(run.resources.map((r) => r.urn).sort());
    const position = new Map(rows.map((r, i) => [r.urn, i]));
    for (const r of run.resources.filter((x) => x.parent)) {
      expect(position.get(r.parent ?? '')).toBeLessThan(position.get(r.urn) ?? -1);
    }
  });

  it('renders every resource in the Markdown table and in the text tree', () => {
    const markdown = renderMarkdown(rows, { title: 'graph' });
    expect(markdown).toContain(`${run.resources.length} resources:`);
    expect(tableEntries(markdown).sort()).toEqual(pairs(run.resources));
    const lines = renderText(rows).split('\n');
    for (const r of run.resources) {
      expect(lines.filter((l) => l.includes(` ${r.name} `) || l.startsWith(`${r.name} `)).join('\n')).toContain(
        shortType(r.type),
      );
    }
  });

  it('shows the key settings of what matters', () => {
    const queue = rows.find((r) => r.name === 'catalogue-events' && r.type === 'aws:sqs/queue:Queue');
    expect(queue?.settings).toEqual(expect.arrayContaining(['visibilityTimeout=1440', 'maxReceiveCount=10']));
    const note = rows.find((r) => r.type === 'aws:s3/bucketNotification:BucketNotification');
    expect(note?.dependsOn).toContain('catalogue-events-s3-policy');
  });

  it('matches the committed docs/infra-graph.md (regenerate: npm run infra:graph -- --markdown docs/infra-graph.md)', () => {
    const committed = tableEntries(readFileSync('docs/infra-graph.md', 'utf8')).filter(
      (e) => !e.endsWith(shortType(SITE_OBJECT)),
    );
    expect(committed.sort()).toEqual(pairs(run.resources.filter((r) => r.type !== SITE_OBJECT)));
  });

  it('is what `npm run infra:graph` writes, with meaningful exit codes', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'infra-graph-')), 'graph.md');
    const status = (args: string[]) =>
      exec(TSX, ['tools/infra-graph.ts', ...args]).then(
        () => 0,
        (error: { code?: number }) => error.code ?? -1,
      );
    const [written, help, bad, invalid] = await Promise.all([
      status(['--quiet', '--markdown', file]),
      status(['--help']),
      status(['--bogus']),
      status(['--quiet', '--config', 'maxWorkers=0']),
    ]);
    expect({ written, help, bad, invalid }).toEqual({ written: 0, help: 0, bad: 2, invalid: 3 });
    expect(tableEntries(readFileSync(file, 'utf8')).sort()).toEqual(pairs(run.resources));
  });
});
