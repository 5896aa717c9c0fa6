import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { EXIT, parseCommandLine, runMain } from '../shared/cli.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

const HELP = `Usage: npm run build:web [-- --out DIR] [--edge-out DIR]

Bundles the catalogue browser's Lambda (web/lambda.ts, handler "index.handler") into DIR/index.mjs, one ESM file
for the nodejs22.x runtime with every dependency inside, and copies the page (web/public) to DIR/public, which the
Lambda serves beside the API. The Pulumi stack uses DIR (default web/dist-lambda) as the function's code asset.
Also bundles the sign-in (web/edge.ts, the Lambda@Edge viewer-request function) into EDGE_DIR/index.mjs (default
web/dist-edge); the stack adds its auth.json beside it.

Exit codes: 0 built, 1 failure, 2 bad arguments.`;

/**
 * Builds the Lambda bundle.
 * @param outDir default web/dist-lambda
 * @returns the bundle's path and size.
 */
export async function buildLambda(outDir = join(HERE, 'dist-lambda')): Promise<{ file: string; bytes: number }> {
  const out = resolve(outDir);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const file = join(out, 'index.mjs');
  await build({
    entryPoints: [join(HERE, 'lambda.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // Whitespace and syntax only: names stay, so stack traces in CloudWatch remain readable without a source map.
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    legalComments: 'linked',
    logLevel: 'warning',
    // Some bundled CommonJS dependencies call require() on Node built-ins: give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    // pino-pretty is only loaded for terminals; the Lambda logs JSON.
    external: ['pino-pretty'],
  });
  cpSync(join(HERE, 'public'), join(out, 'public'), { recursive: true });
  return { file, bytes: statSync(file).size };
}

/**
 * Builds the Lambda@Edge sign-in bundle: fully minified, because a viewer-request function's package may not
 * exceed 1 MB.
 * @param outDir default web/dist-edge
 */
export async function buildEdge(outDir = join(HERE, 'dist-edge')): Promise<{ file: string; bytes: number }> {
  const out = resolve(outDir);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const file = join(out, 'index.mjs');
  await build({
    entryPoints: [join(HERE, 'edge.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    keepNames: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  return { file, bytes: statSync(file).size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runMain(async () => {
    const { values } = parseCommandLine(
      process.argv.slice(2),
      { out: { type: 'string' }, 'edge-out': { type: 'string' } },
      HELP,
      false,
    );
    const { file, bytes } = await buildLambda(values.out);
    process.stdout.write(`built ${file} (${(bytes / 1024).toFixed(0)} KiB) and ${join(dirname(file), 'public')}/\n`);
    const edge = await buildEdge(values['edge-out']);
    process.stdout.write(`built ${edge.file} (${(edge.bytes / 1024).toFixed(0)} KiB)\n`);
    return EXIT.ok;
  });
}
