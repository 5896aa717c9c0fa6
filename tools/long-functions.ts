/**
 * `npm run check:size`: lists the functions longer than a limit and the files longer than another, using the
 * TypeScript compiler's parser, and fails when product code (worker, web, infra, shared, scripts) is over either.
 * A long function is one that does several things; splitting it where it reads better is the fix, not a waiver.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { EXIT, parseCommandLine } from '../shared/cli.ts';

/** The product rooms: the limits apply to these. Tooling (local, bench, tools, test) is listed but never fails. */
const PRODUCT_ROOMS = ['worker', 'web', 'infra', 'shared', 'scripts'];
const DEFAULT_FUNCTION_LINES = 80;
const DEFAULT_FILE_LINES = 300;

/**
 * Files exempt from the function limit, each with its reason. Keep this empty once the owners' work lands: an entry
 * here is a debt, not a rule.
 */
const FUNCTION_LIMIT_EXEMPT: Record<string, string> = {};

const HELP = `Usage: npm run check:size -- [options] [folder or file ...]

Lists every function longer than --function-lines and every file longer than --file-lines, product code and tooling
alike, and exits 1 when product code (${PRODUCT_ROOMS.join(', ')}) is over either limit. Lines are counted from a
function's first token to its last (its JSDoc excluded, nested functions included), and a file's lines in full.

Arguments: folders or .ts files to check, relative to the current folder (default: the product rooms).

Options:
  --function-lines <n>  longest allowed function (default ${DEFAULT_FUNCTION_LINES})
  --file-lines <n>      longest allowed product file (default ${DEFAULT_FILE_LINES})
  --list <n>            also list the functions longer than n lines, without failing on them
  --json                print the findings as one JSON line
  -h, --help            show this help

Exit codes: 0 within the limits, 1 product code over a limit, 2 bad arguments.`;

/** One function-like node: where it is and how long. */
export interface FunctionSize {
  file: string;
  name: string;
  line: number;
  lines: number;
}

/** One file: its path (POSIX, relative) and line count. */
export interface FileSize {
  file: string;
  lines: number;
}

/** The name a reader would search for: `Class.method`, the variable an arrow function is assigned to, and so on. */
function functionName(node: ts.SignatureDeclaration, source: ts.SourceFile): string {
  const own = node.name && !ts.isComputedPropertyName(node.name) ? node.name.getText(source) : undefined;
  const parent = node.parent;
  const holder =
    parent && (ts.isClassDeclaration(parent) || ts.isClassExpression(parent)) ? parent.name?.getText(source) : '';
  if (ts.isConstructorDeclaration(node)) return `${holder || 'class'}.constructor`;
  if (own) return holder ? `${holder}.${own}` : own;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name) {
    return parent.name.getText(source);
  }
  if (parent && ts.isPropertyDeclaration(parent)) {
    const owner = parent.parent;
    const ownerName = ts.isClassDeclaration(owner) || ts.isClassExpression(owner) ? owner.name?.getText(source) : '';
    return `${ownerName || 'class'}.${parent.name.getText(source)}`;
  }
  return '(anonymous)';
}

/** Every function, method, constructor, accessor and arrow function of a source text, with its length in lines. */
export function measureFunctions(file: string, text: string): FunctionSize[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: FunctionSize[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ file, name: functionName(node, source), line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Lines of a text as an editor numbers them (a final newline does not start another line). */
export function lineCount(text: string): number {
  if (text.length === 0) return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** The .ts files under the given folders or files, sorted, skipping node_modules and dot-folders. */
function tsFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path)) {
        if (entry !== 'node_modules' && !entry.startsWith('.')) walk(join(path, entry));
      }
    } else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) {
      out.push(path);
    }
  };
  for (const path of paths) walk(path);
  return out.sort();
}

const posix = (path: string) => path.split(sep).join('/');
const isProduct = (file: string) => PRODUCT_ROOMS.some((room) => file.startsWith(`${room}/`));

export interface SizeReport {
  functions: FunctionSize[];
  files: FileSize[];
  /** The findings that fail the check: product code only, exemptions applied. */
  failing: { functions: FunctionSize[]; files: FileSize[] };
}

/** Measures the files under `paths` (relative to `cwd`) against the limits. */
export function checkSizes(
  paths: readonly string[],
  limits: { functionLines: number; fileLines: number; list?: number },
  cwd = process.cwd(),
): SizeReport {
  const listFrom = Math.min(limits.list ?? limits.functionLines, limits.functionLines);
  const functions: FunctionSize[] = [];
  const files: FileSize[] = [];
  for (const path of tsFiles(paths.map((p) => resolve(cwd, p)))) {
    const file = posix(relative(cwd, path));
    const text = readFileSync(path, 'utf8');
    functions.push(...measureFunctions(file, text).filter((f) => f.lines > listFrom));
    const lines = lineCount(text);
    if (lines > limits.fileLines) files.push({ file, lines });
  }
  functions.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file));
  files.sort((a, b) => b.lines - a.lines);
  return {
    functions,
    files,
    failing: {
      functions: functions.filter(
        (f) => f.lines > limits.functionLines && isProduct(f.file) && !(f.file in FUNCTION_LIMIT_EXEMPT),
      ),
      files: files.filter((f) => isProduct(f.file)),
    },
  };
}

/** The report as the terminal shows it: one line per finding, failing ones marked. */
export function formatReport(report: SizeReport, limits: { functionLines: number; fileLines: number }): string {
  const failing = new Set<unknown>([...report.failing.functions, ...report.failing.files]);
  const mark = (x: unknown) => (failing.has(x) ? 'OVER ' : '     ');
  const lines = [
    ...report.functions.map((f) => `${mark(f)}${String(f.lines).padStart(4)} lines  ${f.name}  ${f.file}:${f.line}`),
    ...report.files.map((f) => `${mark(f)}${String(f.lines).padStart(4)} lines  (file)  ${f.file}`),
  ];
  const { functions, files } = report.failing;
  lines.push(
    functions.length + files.length === 0
      ? `product code within the limits: functions ≤ ${limits.functionLines} lines, files ≤ ${limits.fileLines}`
      : `product code over the limits: ${functions.length} function(s) over ${limits.functionLines} lines, ` +
          `${files.length} file(s) over ${limits.fileLines}`,
  );
  return `${lines.join('\n')}\n`;
}

function positiveInteger(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function main(argv: string[]): number {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      'function-lines': { type: 'string' },
      'file-lines': { type: 'string' },
      list: { type: 'string' },
      json: { type: 'boolean' },
    },
    HELP,
    false,
  );
  const functionLines = positiveInteger(values['function-lines'], DEFAULT_FUNCTION_LINES);
  const fileLines = positiveInteger(values['file-lines'], DEFAULT_FILE_LINES);
  const list = values.list === undefined ? undefined : positiveInteger(values.list, 0);
  const paths = positionals.length ? positionals : PRODUCT_ROOMS;
  const missing = paths.filter((p) => !statSafe(p));
  if (!functionLines || !fileLines || (values.list !== undefined && !list) || missing.length) {
    const why = missing.length ? `no such file or folder: ${missing.join(', ')}` : 'limits must be positive integers';
    process.stderr.write(`${why}\n\n${HELP}\n`);
    return EXIT.usage;
  }
  const limits = { functionLines, fileLines, list };
  const report = checkSizes(paths, limits);
  process.stdout.write(values.json ? `${JSON.stringify({ limits, ...report })}\n` : formatReport(report, limits));
  return report.failing.functions.length + report.failing.files.length === 0 ? EXIT.ok : EXIT.failure;
}

function statSafe(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
