import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STACK_CONFIG } from '../../../infra/stackConfigSchema.ts';
import { renderConfigTable, renderPulumiYamlConfig } from '../../../tools/infra/configDocs.ts';

const pulumiYaml = readFileSync('Pulumi.yaml', 'utf8');

describe('config documentation', () => {
  it('declares every key the program reads in Pulumi.yaml, with its type, default and description', () => {
    // On failure: paste renderPulumiYamlConfig() over the config: section (see tools/infra/configDocs.ts).
    expect(pulumiYaml.endsWith(renderPulumiYamlConfig())).toBe(true);
    const section = pulumiYaml.slice(pulumiYaml.indexOf('\nconfig:\n'));
    const declared = [...section.matchAll(/^ {2}([A-Za-z]+):$/gm)].map((m) => m[1]);
    expect(declared).toEqual(Object.keys(STACK_CONFIG));
  });

  it('lists every key in the README table', () => {
    // On failure: paste renderConfigTable() into infra/README.md.
    expect(readFileSync('infra/README.md', 'utf8')).toContain(renderConfigTable());
  });

  it('runs the ESM TypeScript program from infra/ through tsx', () => {
    expect(pulumiYaml).toMatch(/^name: image-catalogue$/m);
    expect(pulumiYaml).toMatch(/^main: infra\/$/m);
    expect(pulumiYaml).toMatch(/^ {4}typescript: false$/m);
    expect(pulumiYaml).toMatch(/^ {4}nodeargs: --import tsx$/m);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      type: string;
      devDependencies: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(pkg.type).toBe('module');
    expect(pkg.devDependencies.tsx).toBeDefined();
    expect(pkg.scripts['infra:graph']).toBe('tsx tools/infra-graph.ts');
  });
});
