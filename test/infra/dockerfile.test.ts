import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// No Docker engine here: the image cannot be built, so its parts are checked instead.
const exec = promisify(execFile);
const dockerfile = readFileSync('Dockerfile', 'utf8');
const NODE_22 = join(process.cwd(), 'node_modules/.bin/node');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The npm package a bare specifier names: `@aws-sdk/client-s3/x` -> `@aws-sdk/client-s3`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

describe('worker image', () => {
  it('is multi-stage on Node 22, installs production dependencies only and runs as node', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22[-.\w]*$/m);
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile.indexOf('USER node')).toBeLessThan(dockerfile.indexOf('CMD ['));
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    expect(ignored).toContain('**/node_modules');
    for (const needed of ['shared', 'worker', 'package.json', 'package-lock.json'])
      expect(ignored).not.toContain(needed);
  });

  it('starts: its CMD loads the whole worker on Node 22 (shown with --help)', async () => {
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(cmd[0]).toBe('node');
    const { stdout } = await exec(NODE_22, [...cmd.slice(1), '--help']);
    expect(stdout).toMatch(/^Usage: /);
  });

  it('needs nothing from devDependencies at run time', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const missing = new Set<string>();
    for (const file of [...sources('worker'), ...sources('shared')]) {
      const text = readFileSync(file, 'utf8');
      // Value imports, re-exports, dynamic imports and require() calls; `import type` is erased at run time.
      const specifiers = [
        ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'";]*?from\s+'([^']+)'/gm),
        ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
        ...text.matchAll(/\b(?:import|require)\(\s*'([^']+)'\s*\)/g),
      ].map((m) => m[1] ?? '');
      for (const s of specifiers) {
        if (s.startsWith('.') || s.startsWith('node:') || builtins.has(s)) continue;
        if (!(packageOf(s) in pkg.dependencies)) missing.add(`${packageOf(s)} (${file})`);
      }
    }
    expect([...missing]).toEqual([]);
  });
});
