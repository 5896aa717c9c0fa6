/**
 * Benchmark of the catalogue browser's API at catalogue scale: writes N items into an in-process dynalite
 * (BatchWriteItem, in parallel), then pages through all of them over HTTP at limit 50 and 100 and times every page,
 * plus category-filtered pages, search pages and the category counts. Prints the machine, each figure against its
 * stated budget, and, as its last line, the results as one JSON object.
 *
 *   tsx bench/browse.ts [--items 100000] [--concurrency 8]
 */
import os from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { seededRandom } from '../local/bedrock/faults.ts';
import { ensureCatalogueTable, startDynamo } from '../local/dynamo.ts';
import { seedItems } from '../local/fixtures/catalogueItems.ts';
import { type CatalogueItem, searchTextOf } from '../shared/catalogue.ts';
import { EXIT, parseCommandLine, runMain } from '../shared/cli.ts';
import { loadConfig } from '../shared/config.ts';
import { loadWebConfig } from '../web/config.ts';
import { createWebServer } from '../web/server.ts';

const HELP = `Usage: npm run bench:browse [-- --items N] [--concurrency C]

Writes N synthetic catalogue items (default 100000; ~2% rejected, ~1% tombstones; 12 categories of very different
sizes) into an in-process dynalite with BatchWriteItem, C batches in flight (default 8), then through the browser's
HTTP API: pages through every catalogued item at limit 50 and at limit 100, pages of one category, search pages
(a filtered scan with the default budget of 5000 rows per request), and the category counts (cold and cached).
Everything runs in this one process on loopback: the figures include dynalite's own work.

Budgets (this machine, 2 cores): plain and category pages p95 < 100 ms; a search page p95 < 1500 ms; cold category
counts (four counter items the worker keeps, seeded here as it would have) well under the old scan's 15 s per 100,000. The exit code is 1 when a budget is missed, so it can gate a change.

Exit codes: 0 every budget met, 1 a budget missed or a run failed, 2 bad arguments.`;

const BUDGET = { pageP95Ms: 100, searchP95Ms: 1500, categoriesColdMsPer100k: 15_000 };

/** Category sizes: a long tail, like a real photo library. Weights sum to 1. */
const CATEGORIES: Array<[string, number]> = [
  ['photo', 0.3],
  ['portrait', 0.18],
  ['landscape', 0.14],
  ['food', 0.1],
  ['animal', 0.08],
  ['document', 0.06],
  ['street', 0.05],
  ['interior', 0.04],
  ['vehicle', 0.025],
  ['sport', 0.015],
  ['diagram', 0.01],
  ['astronomy', 0.005],
];
const WORDS = ['red', 'blue', 'green', 'tree', 'sky', 'window', 'table', 'chair', 'dog', 'cat', 'car', 'road', 'river'];

function pick<T>(rand: () => number, values: readonly [T, number][]): T {
  let r = rand();
  for (const [value, weight] of values) {
    r -= weight;
    if (r <= 0) return value;
  }
  return values[values.length - 1]![0];
}

/** Item `n` of the synthetic catalogue; about 1 in 1000 has the word "lighthouse" (the search target). */
function makeItem(n: number, rand: () => number): CatalogueItem {
  const at = new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString();
  const key = `library/${String(n % 997).padStart(3, '0')}/IMG_${String(n).padStart(7, '0')}.jpg`;
  const base = {
    id: `images/${key}`,
    bucket: 'images',
    key,
    seq: String(n).padStart(20, '0'),
    createdAt: at,
    updatedAt: at,
  };
  const r = rand();
  if (r < 0.01) return { ...base, status: 'removed' };
  if (r < 0.03) return { ...base, status: 'rejected', reason: 'not an image', reasonCode: 'NOT_AN_IMAGE' };
  const category = pick(rand, CATEGORIES);
  const w = () => WORDS[Math.floor(rand() * WORDS.length)]!;
  const rare = rand() < 0.001 ? ' A lighthouse stands on the shore.' : '';
  const summary = `A ${w()} and ${w()} scene with a ${w()} near the ${w()}.${rare}`;
  const labels = [0, 1, 2].map((i) => {
    const box = { left: 0.1 * i, top: 0.1, width: 0.3, height: 0.5 };
    return { name: w(), box, boxPx: { left: 400 * i, top: 300, width: 1200, height: 1500 } };
  });
  const text = rand() < 0.1 ? 'OPEN 9-5' : '';
  return {
    ...base,
    status: 'catalogued',
    eTag: n.toString(16).padStart(32, '0'),
    size: 2_000_000 + n,
    analysisVersion: 'v1-bench',
    modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
    summary,
    category,
    labels,
    sensitive: { verdict: 'none', reason: 'no people or documents' },
    text,
    image: {
      format: 'jpeg',
      width: 4000,
      height: 3000,
      bytes: 2_000_000 + n,
      preparedWidth: 1568,
      preparedHeight: 1176,
      preparedFormat: 'jpeg',
      preparedBytes: 300_000,
    },
    thumbnailKey: `thumbnails/${n.toString(16).padStart(64, '0')}.webp`,
    inputTokens: 2100,
    outputTokens: 180,
    searchText: searchTextOf({ summary, category, labels, text }),
  };
}

interface Stats {
  requests: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

function stats(times: number[]): Stats {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    requests: times.length,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    max: round(sorted[sorted.length - 1] ?? 0),
    mean: round(times.reduce((s, t) => s + t, 0) / Math.max(1, times.length)),
  };
}

interface PageBody {
  items: Array<{ id: string }>;
  cursor?: string;
  scanned: number;
  budgetSpent: boolean;
}

/** Follows the cursors of `query` for at most `maxPages` pages, timing each request end to end. */
async function walk(base: string, query: string, maxPages = Number.POSITIVE_INFINITY) {
  const times: number[] = [];
  const ids = new Set<string>();
  let rows = 0;
  let scanned = 0;
  let cursor: string | undefined;
  do {
    const url = `${base}/api/items?${query}${cursor ? `&cursor=${cursor}` : ''}`;
    const started = performance.now();
    const response = await fetch(url);
    const body = (await response.json()) as PageBody;
    times.push(performance.now() - started);
    if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(body)}`);
    for (const item of body.items) ids.add(item.id);
    rows += body.items.length;
    scanned += body.scanned;
    cursor = body.cursor;
  } while (cursor && times.length < maxPages);
  return { times, rows, distinct: ids.size, scanned, complete: !cursor };
}

runMain(async () => {
  const { values } = parseCommandLine(
    process.argv.slice(2),
    { items: { type: 'string' }, concurrency: { type: 'string' } },
    HELP,
    false,
  );
  const n = Number(values.items ?? 100_000);
  const concurrency = Number(values.concurrency ?? 8);
  if (!Number.isInteger(n) || n < 100 || n > 2_000_000) {
    process.stderr.write('--items must be a whole number from 100 to 2000000\n');
    return EXIT.usage;
  }
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    process.stderr.write('--concurrency must be a whole number from 1 to 64\n');
    return EXIT.usage;
  }
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    // Other work on the machine skews every figure: say how busy it was.
    loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
  };
  process.stdout.write(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
      `load average ${machine.loadAverage1m}\n`,
  );

  const dynamo = await startDynamo({ host: '127.0.0.1', port: 0 });
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const dynamodb = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.url, credentials });
  const doc = DynamoDBDocumentClient.from(dynamodb);
  // Presigning is local computation: no S3 needs to answer at this address.
  const s3 = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, credentials });
  const tableName = 'browse-bench';
  await ensureCatalogueTable(dynamodb, tableName);

  const rand = seededRandom(42);
  const items = Array.from({ length: n }, (_, i) => makeItem(i + 1, rand));
  const catalogued = items.filter((i) => i.status === 'catalogued');
  const byCategory = new Map<string, number>();
  for (const item of catalogued) byCategory.set(item.category!, (byCategory.get(item.category!) ?? 0) + 1);
  const lighthouses = catalogued.filter((i) => i.searchText!.includes('lighthouse')).length;

  process.stdout.write(`writing ${n} items (BatchWriteItem, ${concurrency} batches of 25 in flight)... `);
  const writeStarted = performance.now();
  await seedItems(doc, tableName, items, concurrency);
  const writeMs = performance.now() - writeStarted;
  process.stdout.write(`${(writeMs / 1000).toFixed(1)} s, ${Math.round(n / (writeMs / 1000))} items/s\n`);

  const config = loadConfig({ TABLE_NAME: tableName, THUMBNAIL_BUCKET: 'thumbs', LOG_LEVEL: 'silent' });
  const web = loadWebConfig({});
  const server = await createWebServer({ config, clients: { s3, doc }, web });
  const results: Record<string, unknown> = {};
  const failures: string[] = [];
  const report = (name: string, s: Stats, budgetMs: number | undefined, extra = '') => {
    const verdict =
      budgetMs === undefined
        ? ''
        : s.p95 < budgetMs
          ? `  ok (p95 < ${budgetMs} ms)`
          : `  OVER (p95 budget ${budgetMs} ms)`;
    if (budgetMs !== undefined && s.p95 >= budgetMs) failures.push(name);
    process.stdout.write(
      `${name.padEnd(34)} ${String(s.requests).padStart(5)} req  p50 ${s.p50} ms  p95 ${s.p95} ms  max ${s.max} ms${extra}${verdict}\n`,
    );
  };

  try {
    // Warm-up: JIT, connection pool, the first presign.
    await walk(server.url, 'limit=50', 20);

    for (const limit of [50, 100]) {
      const run = await walk(server.url, `limit=${limit}`);
      if (run.distinct !== catalogued.length || run.rows !== catalogued.length) {
        throw new Error(
          `limit ${limit}: walked ${run.rows} rows (${run.distinct} distinct), expected ${catalogued.length}`,
        );
      }
      const s = stats(run.times);
      report(`all pages, limit ${limit}`, s, BUDGET.pageP95Ms, `  (${run.rows} rows)`);
      results[`pagesLimit${limit}`] = {
        ...s,
        rows: run.rows,
        totalMs: Math.round(run.times.reduce((a, b) => a + b, 0)),
      };
    }

    // A mid-sized category, every page of it.
    const [category, count] = [...byCategory].sort((a, b) => b[1] - a[1])[3]!;
    const cat = await walk(server.url, `limit=50&category=${category}`);
    if (cat.rows !== count) throw new Error(`category ${category}: ${cat.rows} rows, expected ${count}`);
    const catStats = stats(cat.times);
    report(`category "${category}", limit 50`, catStats, BUDGET.pageP95Ms, `  (${cat.rows} rows)`);
    results.categoryPages = { ...catStats, category, rows: cat.rows };

    // Search for a rare word (~0.1% of items): every request spends its scan budget, the cursors find them all.
    const search = await walk(server.url, 'limit=24&q=lighthouse');
    if (search.rows !== lighthouses) throw new Error(`search: ${search.rows} rows, expected ${lighthouses}`);
    const searchStats = stats(search.times);
    report(
      'search "lighthouse", limit 24',
      searchStats,
      BUDGET.searchP95Ms,
      `  (${search.rows} hits, ${search.scanned} rows scanned)`,
    );
    results.searchPages = { ...searchStats, hits: search.rows, scanned: search.scanned, budget: web.searchBudget };

    // A common word: pages fill quickly.
    const common = await walk(server.url, 'limit=50&q=blue+tree', 40);
    const commonStats = stats(common.times);
    report('search "blue tree", first 40 pages', commonStats, BUDGET.searchP95Ms, `  (${common.rows} hits)`);
    results.searchCommonPages = { ...commonStats, hits: common.rows };

    // Category counts: the counter items the worker keeps (seeded here as it would have), then served from memory.
    const t0 = performance.now();
    const counts = (await (await fetch(`${server.url}/api/categories`)).json()) as { total: number; complete: boolean };
    const coldMs = performance.now() - t0;
    const t1 = performance.now();
    await fetch(`${server.url}/api/categories`);
    const warmMs = performance.now() - t1;
    if (counts.total !== catalogued.length)
      throw new Error(`categories: total ${counts.total}, expected ${catalogued.length}`);
    const coldBudget = (BUDGET.categoriesColdMsPer100k * n) / 100_000;
    if (coldMs >= coldBudget) failures.push('categories cold');
    process.stdout.write(
      `${'category counts'.padEnd(34)} cold ${Math.round(coldMs)} ms (budget ${Math.round(coldBudget)} ms), cached ${warmMs.toFixed(1)} ms\n`,
    );
    results.categories = {
      coldMs: Math.round(coldMs),
      cachedMs: Math.round(warmMs * 10) / 10,
      complete: counts.complete,
    };
  } finally {
    await server.close();
    dynamodb.destroy();
    s3.destroy();
    await dynamo.close();
  }

  process.stdout.write(failures.length ? `budgets missed: ${failures.join(', ')}\n` : 'every budget met\n');
  process.stdout.write(
    `${JSON.stringify({
      bench: 'browse',
      machine,
      items: n,
      catalogued: catalogued.length,
      write: { ms: Math.round(writeMs), itemsPerSecond: Math.round(n / (writeMs / 1000)), concurrency },
      budgets: BUDGET,
      ...results,
      ok: failures.length === 0,
    })}\n`,
  );
  return failures.length ? EXIT.failure : EXIT.ok;
});
