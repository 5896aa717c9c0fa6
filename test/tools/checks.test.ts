import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * The layout checks of `npm run check` fail when the code breaks a rule: dependency-cruiser (`check:deps`) and knip
 * (`check:unused`) run with the repository's own configuration on small trees under test/fixtures/layout/, one
 * deliberate violation per tree, and on a tree that follows every rule.
 */
const exec = promisify(execFile);
const ROOT = process.cwd();
const FIXTURES = join(ROOT, 'test/fixtures/layout');
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
const KNIP = join(ROOT, 'node_modules/knip/bin/knip.js');
// Generous: two cores shared with other work; each run takes a few seconds.
const RUN_TIMEOUT_MS = 120_000;

interface Run {
  code: number;
  output: string;
}

/** Runs a checker's CLI on Node 22 (this process's binary) in a fixture tree; never throws on a non-zero exit. */
async function run(tree: string, script: string, args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [script, ...args], {
      cwd: join(FIXTURES, tree),
      timeout: RUN_TIMEOUT_MS,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const depcruise = (tree: string) =>
  run(tree, DEPCRUISE, [
    '--config',
    resolve(ROOT, '.dependency-cruiser.cjs'),
    '--output-type',
    'err',
    // The rooms the tree has (the real check names all of them; depcruise refuses a folder that does not exist).
    ...readdirSync(join(FIXTURES, tree), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${entry.name}/`),
  ]);
const knip = (tree: string) => run(tree, KNIP, ['--config', resolve(ROOT, 'knip.jsonc'), '--no-config-hints']);

describe('npm run check:deps (dependency-cruiser rules)', () => {
  it('passes a tree where every room imports only what it may', async () => {
    const result = await depcruise('allowed');
    expect(result.output).toContain('no dependency violations found');
    expect(result.code).toBe(0);
  });

  it.each([
    ['product-not-to-tooling', 'worker/main.ts → local/standIn.ts'],
    ['tooling-not-to-tests', 'bench/speed.ts → test/helpers/fakes.ts'],
    ['shared-is-a-leaf', 'shared/util.ts → worker/part.ts'],
    ['commands-apart', 'scripts/alpha.ts → scripts/beta/internal.ts'],
    ['scripts-use-worker-entry', 'scripts/alpha.ts → worker/parts/part.ts'],
    ['web-not-to-worker', 'web/page.ts → worker/part.ts'],
    ['worker-not-to-web', 'worker/part.ts → web/page.ts'],
    ['infra-not-to-runtime', 'infra/stack.ts → worker/part.ts'],
    ['no-circular', 'worker/a.ts → '],
  ])('fails on a tree that breaks %s, naming the rule and the import', async (rule, edge) => {
    const result = await depcruise(rule);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(`error ${rule}: ${edge}`);
    expect(result.output).toMatch(/1 dependency violations \(1 errors/);
  });
});

describe('npm run check:unused (knip)', () => {
  it('passes a tree where every export and file is used', async () => {
    expect(await knip('no-unused')).toEqual({ code: 0, output: '' });
  });

  it('fails on an export nothing imports, naming it', async () => {
    const result = await knip('unused-export');
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/Unused exports \(1\)\s+unusedHelper\s+function\s+shared\/util\.ts/);
  });

  it('fails on a file nothing imports, naming it', async () => {
    const result = await knip('unused-file');
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/Unused files \(1\)\s+shared\/orphan\.ts/);
  });
});
