import { readFileSync, writeFileSync } from 'node:fs';
import type { z } from 'zod';
import { CONFIG_VARIABLES } from '../shared/configVariables.ts';
import { WEB_CONFIG_VARIABLES } from '../web/config.ts';

/** Markdown table of a set of variables: name, default, meaning. The README's configuration tables come from here. */
export function configTable(vars: Record<string, { schema: unknown; doc: string }>): string {
  const rows = Object.entries(vars).map(([name, v]) => {
    const d = (v.schema as z.ZodType).safeParse(undefined);
    const shown = d.success && d.data !== undefined ? `\`${String(d.data)}\`` : '(unset)';
    return `| \`${name}\` | ${shown} | ${v.doc} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** Rewrites the tables between `<!-- config:start -->`/`end` and `<!-- web-config:start -->`/`end` markers. */
export function updateReadme(text: string): string {
  const put = (s: string, tag: string, table: string) =>
    s.replace(
      new RegExp(`<!-- ${tag}:start -->[\\s\\S]*?<!-- ${tag}:end -->`),
      `<!-- ${tag}:start -->\n${table}\n<!-- ${tag}:end -->`,
    );
  return put(put(text, 'config', configTable(CONFIG_VARIABLES)), 'web-config', configTable(WEB_CONFIG_VARIABLES));
}

// `npm run docs:config` regenerates the README's tables.
if (import.meta.url === `file://${process.argv[1]}`) {
  const file = new URL('../README.md', import.meta.url);
  writeFileSync(file, updateReadme(readFileSync(file, 'utf8')));
}
