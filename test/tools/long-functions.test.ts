import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkSizes, lineCount, measureFunctions } from '../../tools/long-functions.ts';

const exec = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules/.bin/tsx');

/** A function declaration whose body has `bodyLines` statements: bodyLines + 2 lines in all. */
function fn(name: string, bodyLines: number): string {
  const body = Array.from({ length: bodyLines }, (_, i) => `  const v${i} = ${i};`).join('\n');
  return `export function ${name}(): void {\n${body}\n}\n`;
}

/** A tree with one product file and one tooling file, each holding a function of `lines` lines. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'size-check-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('tools/long-functions.ts', () => {
  it('measures each kind of function from its first token to its last, named as a reader would search', () => {
    const text = [
      '/** JSDoc lines are not counted. */',
      'export function declared(a: number): number {', // 2
      '  const inner = () => {', // 3
      '    return a;',
      '  };', // 5
      '  return inner();',
      '}', // 7
      'export class Holder {',
      '  constructor(private readonly x: number) {}', // 9
      '  method(): number {', // 10
      '    return this.x;',
      '  }', // 12
      '  field = (y: number) => y;', // 13
      '}',
      'const assigned = function () {', // 15
      '  return 1;',
      '};', // 17
      'declare function bodiless(): void;',
    ].join('\n');
    const sizes = measureFunctions('x.ts', text).map(({ name, line, lines }) => ({ name, line, lines }));
    expect(sizes).toEqual([
      { name: 'declared', line: 2, lines: 6 },
      { name: 'inner', line: 3, lines: 3 },
      { name: 'Holder.constructor', line: 9, lines: 1 },
      { name: 'Holder.method', line: 10, lines: 3 },
      { name: 'Holder.field', line: 13, lines: 1 },
      { name: 'assigned', line: 15, lines: 3 },
    ]);
  });

  it('counts lines as an editor numbers them', () => {
    expect([lineCount(''), lineCount('a'), lineCount('a\n'), lineCount('a\nb'), lineCount('a\nb\n')]).toEqual([
      0, 1, 1, 2, 2,
    ]);
  });

  it('fails on product code over either limit, lists tooling without failing on it', () => {
    const root = tree({
      'worker/long.ts': fn('tooLong', 80) + fn('justRight', 78),
      'scripts/big.ts': `${'// filler\n'.repeat(301)}`,
      'shared/fine.ts': `${'// filler\n'.repeat(300)}`,
      'bench/long.ts': fn('benchLong', 100),
    });
    const report = checkSizes(['worker', 'scripts', 'shared', 'bench'], { functionLines: 80, fileLines: 300 }, root);
    expect(report.failing.functions.map((f) => [f.file, f.name, f.lines])).toEqual([['worker/long.ts', 'tooLong', 82]]);
    expect(report.failing.files).toEqual([{ file: 'scripts/big.ts', lines: 301 }]);
    expect(report.functions.map((f) => f.name)).toEqual(['benchLong', 'tooLong']);
  });

  it('lists shorter functions with --list without failing on them', () => {
    const root = tree({ 'web/mid.ts': fn('mid', 60) });
    const report = checkSizes(['web'], { functionLines: 80, fileLines: 300, list: 50 }, root);
    expect(report.functions.map((f) => [f.name, f.lines])).toEqual([['mid', 62]]);
    expect(report.failing.functions).toEqual([]);
  });

  it('exits 1 over the limits, 0 within, 2 on bad arguments', async () => {
    const over = tree({ 'infra/long.ts': fn('tooLong', 90) });
    const within = tree({ 'infra/short.ts': fn('short', 10) });
    const script = join(process.cwd(), 'tools/long-functions.ts');
    const status = (cwd: string, args: string[]) =>
      exec(TSX, [script, ...args], { cwd }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code?: number; stdout?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '' }),
      );
    const [failing, passing, badLimit, missing] = await Promise.all([
      status(over, ['infra']),
      status(within, ['infra']),
      status(within, ['--function-lines', 'many', 'infra']),
      status(within, ['nowhere']),
    ]);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('OVER   92 lines  tooLong  infra/long.ts:1');
    expect(passing).toEqual({ code: 0, stdout: expect.stringContaining('product code within the limits') });
    expect([badLimit.code, missing.code]).toEqual([2, 2]);
  });
});
