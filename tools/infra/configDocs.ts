import { defaultOf, STACK_CONFIG, type StackConfigKey } from '../../infra/stackConfigSchema.ts';
import { markdownTable } from './markdown.ts';

/**
 * Documentation of the stack's config keys, rendered from {@link STACK_CONFIG}: the `config:` section of Pulumi.yaml
 * and the table in infra/README.md. test/tools/infra/configDocs.test.ts fails when either file differs from these, and
 * prints the text to paste. To print them: `npx tsx -e "import('./tools/infra/configDocs.ts').then((m) =>
 * console.log(m.renderPulumiYamlConfig(), m.renderConfigTable()))"`.
 */
const entries = () => Object.entries(STACK_CONFIG) as Array<[StackConfigKey, (typeof STACK_CONFIG)[StackConfigKey]]>;

/** The `config:` section of Pulumi.yaml (YAML; strings JSON-quoted, which YAML reads as double-quoted scalars). */
export function renderPulumiYamlConfig(): string {
  const lines = ['config:'];
  let group = '';
  for (const [key, def] of entries()) {
    if (def.group !== group) {
      group = def.group;
      lines.push(`  # ${group}`);
    }
    lines.push(`  ${key}:`, `    type: ${def.type}`);
    if (def.type === 'array') lines.push('    items:', '      type: string');
    const value = defaultOf(key);
    if (Array.isArray(value) && value.length > 0) {
      lines.push('    default:', ...value.map((v) => `      - ${JSON.stringify(v)}`));
    } else lines.push(`    default: ${JSON.stringify(value)}`);
    lines.push(`    description: ${JSON.stringify(def.doc)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The README's table of config keys: group, key, type, default, meaning. */
export function renderConfigTable(): string {
  const rows = entries().map(([key, def]) => {
    const value = defaultOf(key);
    const shown =
      Array.isArray(value) && value.length > 4
        ? `${value.length} image suffixes (.jpg .JPG .jpeg … .bmp .BMP)`
        : JSON.stringify(value);
    return [def.group, `\`${key}\``, def.type, `\`${shown}\``, def.doc.replaceAll('|', '\\|')];
  });
  return `${markdownTable(['group', 'key', 'type', 'default', 'meaning'], rows)}\n`;
}
