/**
 * Benchmark of the image preparation step (worker/image/prepare.ts) on generated photo-like JPEGs.
 * Prints ms per image (median of several runs) for each size, the machine, a comparison with the reference figures
 * below (docs/architecture.md, "Facts"), and, as its last line, the results as one JSON object.
 *
 *   tsx bench/prepare.ts [--runs 7] [--sizes 0.3,1,4,18] [--format jpeg|webp]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import pino from 'pino';
import sharp from 'sharp';
import { makeDecompressionBomb, makeLargeJpeg } from '../local/fixtures/oddImages.ts';
import { createLogger } from '../shared/logger.ts';
import { type PrepareOptions, prepareImage } from '../worker/image/prepare.ts';

const HELP = `Usage: tsx bench/prepare.ts [options]

Times prepareImage (decode, EXIF rotate, resize to 1568 px, encode; the configuration defaults) on generated 3:2
JPEGs of each size, and the rejection of a 20000x20000 PNG decompression bomb.

Options:
  --runs N        timed runs per size, after one warm-up run (default 7)
  --sizes LIST    comma-separated megapixels (default 0.3,1,4,18)
  --format F      output format, jpeg or webp (default jpeg)
  --help          show this help

Exit codes: 0 done, 1 a run failed, 2 bad arguments.`;

/** Reference figures measured earlier on a 2-core machine: sharp prepare (rotate, resize 1568, JPEG q85). */
const REFERENCE: { upToMp: number; minMs: number; maxMs: number; text: string }[] = [
  { upToMp: 1, minMs: 4, maxMs: 16, text: '4-16 ms (≤ 1 MP)' },
  { upToMp: 4, minMs: 37, maxMs: 192, text: '37-192 ms (4 MP)' },
  { upToMp: 18, minMs: 520, maxMs: 520, text: '~520 ms (18 MP)' },
];

interface SizeResult {
  megapixels: number;
  width: number;
  height: number;
  inputBytes: number;
  outputBytes: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  withThumbnailMedianMs: number;
  reference?: string;
  versusReference?: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

async function time(runs: number, body: Buffer, options: PrepareOptions): Promise<number[]> {
  await prepareImage(body, options); // warm-up: code paths, libvips operation cache
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await prepareImage(body, options);
    times.push(performance.now() - start);
  }
  return times;
}

function compare(mp: number, ms: number): { reference?: string; versusReference?: string } {
  const ref = REFERENCE.find((r) => mp <= r.upToMp);
  if (!ref) return {};
  const verdict =
    ms < ref.minMs ? 'faster' : ms > ref.maxMs * (ref.minMs === ref.maxMs ? 1.25 : 1) ? 'slower' : 'within';
  return { reference: ref.text, versusReference: verdict };
}

async function benchSize(mp: number, runs: number, options: PrepareOptions): Promise<SizeResult> {
  const body = await makeLargeJpeg(mp);
  const { width = 0, height = 0 } = await sharp(body).metadata();
  const bare = await time(runs, body, options);
  const thumbed = await time(runs, body, { ...options, thumbnailEdge: 320 });
  const out = await prepareImage(body, options);
  const medianMs = round(median(bare));
  return {
    megapixels: mp,
    width,
    height,
    inputBytes: body.length,
    outputBytes: out.image.body.length,
    medianMs,
    minMs: round(Math.min(...bare)),
    maxMs: round(Math.max(...bare)),
    withThumbnailMedianMs: round(median(thumbed)),
    ...compare(mp, medianMs),
  };
}

/** Time and memory to refuse the 20000×20000 bomb: it must be a header read, not a 1.2 GB decode. */
async function benchBomb(options: PrepareOptions): Promise<{ ms: number; rssGrowthMb: number; reason: string }> {
  const bomb = await makeDecompressionBomb(20000, 20000);
  const rssBefore = process.memoryUsage().rss;
  const start = performance.now();
  const reason = await prepareImage(bomb, options).then(
    () => 'ACCEPTED',
    (e: { reason?: string }) => e.reason ?? 'ERROR',
  );
  const ms = performance.now() - start;
  return { ms: round(ms), rssGrowthMb: round((process.memoryUsage().rss - rssBefore) / 1e6), reason };
}

function parseCli() {
  return parseArgs({
    options: {
      runs: { type: 'string', default: '7' },
      sizes: { type: 'string', default: '0.3,1,4,18' },
      format: { type: 'string', default: 'jpeg' },
      help: { type: 'boolean', default: false },
    },
  });
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseCli>;
  try {
    args = parseCli();
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args.values.help) {
    console.log(HELP);
    return 0;
  }
  const runs = Number(args.values.runs);
  const sizes = args.values.sizes.split(',').map(Number);
  const format = args.values.format;
  if (
    !Number.isInteger(runs) ||
    runs < 1 ||
    sizes.some((s) => !(s > 0 && s <= 100)) ||
    (format !== 'jpeg' && format !== 'webp')
  ) {
    console.error(`bad arguments: --runs must be a positive integer, --sizes 0-100 MP, --format jpeg|webp\n\n${HELP}`);
    return 2;
  }

  const log = createLogger({ name: 'bench-prepare' }, pino.destination(2));
  const options: PrepareOptions = { maxEdge: 1568, maxInputPixels: 100_000_000, format, quality: 85 };
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGb: round(os.totalmem() / 1024 ** 3),
    node: process.version,
    sharp: sharp.versions.sharp,
    vips: sharp.versions.vips,
    sharpConcurrency: sharp.concurrency(),
  };
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GiB, Node ${machine.node}`);
  console.log(`sharp ${machine.sharp} (libvips ${machine.vips}), sharp.concurrency() = ${machine.sharpConcurrency}`);
  console.log(`prepareImage → ${format} q85, long edge 1568; median of ${runs} runs after a warm-up\n`);

  const results: SizeResult[] = [];
  for (const mp of sizes) {
    log.info({ megapixels: mp }, 'generating and timing');
    results.push(await benchSize(mp, runs, options));
  }
  const bomb = await benchBomb(options);

  const header = ['MP', 'size', 'in KB', 'out KB', 'median ms', 'min-max ms', '+thumb ms', 'reference', 'vs ref'];
  const rows = results.map((r) => [
    String(r.megapixels),
    `${r.width}x${r.height}`,
    String(Math.round(r.inputBytes / 1024)),
    String(Math.round(r.outputBytes / 1024)),
    String(r.medianMs),
    `${r.minMs}-${r.maxMs}`,
    String(r.withThumbnailMedianMs),
    r.reference ?? '-',
    r.versusReference ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
  console.log(`\n20000x20000 PNG bomb: ${bomb.reason} in ${bomb.ms} ms, RSS growth ${bomb.rssGrowthMb} MB`);
  console.log(JSON.stringify({ bench: 'prepare', machine, format, runs, results, bomb }));
  return bomb.reason === 'TOO_MANY_PIXELS' ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
