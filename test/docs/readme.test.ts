import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../shared/configVariables.ts';
import { configTable } from '../../tools/config-docs.ts';
import { WEB_CONFIG_VARIABLES } from '../../web/config.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every configuration variable with its current default', () => {
    // Compare cells, not bytes: the formatter pads Markdown tables.
    const cells = (line: string) =>
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
    const documented = new Map(
      readme
        .split('\n')
        .filter((l) => l.startsWith('| `'))
        .map((l) => [cells(l)[0], cells(l)]),
    );
    for (const vars of [CONFIG_VARIABLES, WEB_CONFIG_VARIABLES]) {
      for (const row of configTable(vars).split('\n').slice(2)) {
        expect(documented.get(cells(row)[0])).toEqual(cells(row));
      }
    }
  });

  it('starts with the two quickstart commands', () => {
    const quick = readme.slice(readme.indexOf('## Quickstart'), readme.indexOf('## How it works'));
    expect(quick).toContain('npm install && npm start');
    expect(quick).toContain('npm test');
  });
});
