import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { EXIT, parseCommandLine, runMain } from '../shared/cli.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

const HELP = `Usage: npm run build:web [-- --out DIR]

Bundles the catalogue browser's Lambda (web/lambda.ts, handler "index.handler") into DIR/index.mjs, one ESM file
for the nodejs22.x runtime with every dependency inside, and copies the page (web/public) to DIR/public, which the
Lambda serves beside the API. The Pulumi stack uses DIR (default web/dist-lambda) as the function's code asset.

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

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runMain(async () => {
    const { values } = parseCommandLine(process.argv.slice(2), { out: { type: 'string' } }, HELP, false);
    const { file, bytes } = await buildLambda(values.out);
    process.stdout.write(`built ${file} (${(bytes / 1024).toFixed(0)} KiB) and ${join(dirname(file), 'public')}/\n`);
    return EXIT.ok;
  });
}
