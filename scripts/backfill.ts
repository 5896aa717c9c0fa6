import { readFile } from 'node:fs/promises';
import { EXIT, parseCommandLine, runMain } from '../shared/cli.ts';
import {
  BackfillOptions,
  type BackfillOptionsInput,
  defaultCheckpointFile,
  IMAGE_SUFFIXES,
  parseByteSize,
} from './backfill/options.ts';
import type { ProgressMode } from './backfill/progress.ts';

const HELP = `Usage: npm run backfill -- --bucket NAME [options]

Enqueues a message for every image already in the bucket, into the worker's queue (QUEUE_URL), resumably.

Selection
  --bucket NAME             the bucket (required)
  --prefix P                only keys under P; repeatable (default: the whole bucket)
  --suffix S                only keys ending with S, case-insensitive; repeatable; '' takes every key
                            (default: ${IMAGE_SUFFIXES.join(' ')})
  --min-size BYTES          skip smaller objects (default 1: zero-byte objects are skipped); 64k, 10MB... accepted
  --max-size BYTES          skip larger objects (default: none; the worker rejects what is over IMAGE_MAX_BYTES)
  --skip-catalogued         (default) skip keys whose catalogue item has their eTag at the current analysis version
  --no-skip-catalogued      enqueue them anyway (the worker still skips them, without a model call)
  --reprocess-stale         enqueue only the keys whose catalogue item has another analysis version (a changed
                            model, prompt or schema), with reprocess: true; keys with no item are not enqueued
  --retry-rejected          enqueue only the keys whose catalogue item is rejected, with reprocess: true (after a
                            fix: another model, a larger MAX_TOKENS_RETRY...)
  --reason CODE             with --retry-rejected: only items rejected for CODE (e.g. MODEL_REFUSED,
                            MODEL_OUTPUT_TRUNCATED); repeatable

Run
  --dry-run                 count, estimate tokens, cost and time; enqueue nothing
  --limit N                 enqueue at most N messages in this run (run again to continue)
  --rate N                  at most N messages per second (default: as fast as it goes)
  --concurrency N           SendMessageBatch calls in flight (default 32)
  --list-concurrency N      key ranges listed at once (default 8)
  --max-ranges N            key ranges per prefix, cut at its top-level folders (default 64)
  --page-size N             ListObjectsV2 MaxKeys, 1-1000 (default 1000)
  --checkpoint FILE         checkpoint file (default .local/backfill/<bucket>-<hash of the selection>.json)
  --restart, --no-resume    ignore an existing checkpoint and start over
  --progress MODE           auto (bar on a terminal, JSON lines otherwise), bar, json or none (default auto)

Dry run
  --sample N                images whose header is read to estimate tokens (default 200)
  --output-tokens N         expected output tokens per image (default: measured on the catalogue, else 300)
  --no-calibrate            do not use the catalogue's measured token usage
  --price-input USD         price per million input tokens (default: shared/modelTable.ts for MODEL_ID)
  --price-output USD        price per million output tokens

Resume guarantee: a key is written to the checkpoint only after the SendMessageBatch that carried it succeeded, and
each key range's cursor moves only over keys whose batches all succeeded. A resumed run never skips a key; after a
kill -9 it may send again the batches that were in flight (at most --concurrency batches of 10); after Ctrl-C or
SIGTERM it sends nothing twice (the batches in flight finish first; press Ctrl-C twice to quit at once).

Exit codes: 0 done (or --limit reached), 1 failure or keys refused by SQS, 2 usage, 3 configuration, 130 interrupted.`;

const OPTIONS = {
  bucket: { type: 'string' },
  prefix: { type: 'string', multiple: true },
  suffix: { type: 'string', multiple: true },
  'min-size': { type: 'string' },
  'max-size': { type: 'string' },
  'skip-catalogued': { type: 'boolean' },
  'no-skip-catalogued': { type: 'boolean' },
  'reprocess-stale': { type: 'boolean' },
  'retry-rejected': { type: 'boolean' },
  reason: { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  limit: { type: 'string' },
  rate: { type: 'string' },
  concurrency: { type: 'string' },
  'list-concurrency': { type: 'string' },
  'max-ranges': { type: 'string' },
  'page-size': { type: 'string' },
  checkpoint: { type: 'string' },
  restart: { type: 'boolean' },
  'no-resume': { type: 'boolean' },
  progress: { type: 'string' },
  sample: { type: 'string' },
  'output-tokens': { type: 'string' },
  'no-calibrate': { type: 'boolean' },
  'price-input': { type: 'string' },
  'price-output': { type: 'string' },
} as const;

function usage(message: string): never {
  process.stderr.write(`${message}\n\nRun with --help for the options.\n`);
  process.exit(EXIT.usage);
}

function int(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 0) usage(`--${name} must be a whole number, got ${JSON.stringify(text)}`);
  return v;
}

function money(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0) usage(`--${name} must be a price in dollars, got ${JSON.stringify(text)}`);
  return v;
}

function bytes(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseByteSize(text);
  } catch (error) {
    usage(`--${name}: ${(error as Error).message}`);
  }
}

async function main(): Promise<number> {
  const { values: v, positionals } = parseCommandLine(process.argv.slice(2), OPTIONS, HELP);
  if (positionals.length > 0) usage(`unexpected argument: ${positionals[0]}`);
  if (!v.bucket) usage('--bucket is required');
  const progressMode = (v.progress ?? 'auto') as ProgressMode;
  if (!['auto', 'bar', 'json', 'none'].includes(progressMode)) usage('--progress must be auto, bar, json or none');
  if ((v['price-input'] === undefined) !== (v['price-output'] === undefined))
    usage('give both --price-input and --price-output');

  const input: BackfillOptionsInput = {
    bucket: v.bucket,
    prefixes: v.prefix,
    suffixes: v.suffix,
    minSize: bytes('min-size', v['min-size']),
    maxSize: bytes('max-size', v['max-size']),
    limit: int('limit', v.limit),
    maxRate: int('rate', v.rate),
    concurrency: int('concurrency', v.concurrency),
    listConcurrency: int('list-concurrency', v['list-concurrency']),
    maxShardsPerPrefix: int('max-ranges', v['max-ranges']),
    pageSize: int('page-size', v['page-size']),
    skipCatalogued: !v['no-skip-catalogued'],
    reprocessStale: v['reprocess-stale'] ?? false,
    retryRejected: v['retry-rejected'] ?? false,
    retryReasons: v.reason,
    resume: !(v.restart || v['no-resume']),
  };
  const checked = BackfillOptions.safeParse(input);
  if (!checked.success)
    usage(checked.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('\n'));
  const checkpointFile = v.checkpoint ?? defaultCheckpointFile(checked.data);
  const censusFile = `${checkpointFile.replace(/\.json$/, '')}.census.json`;

  // Loaded only now: the AWS SDK and sharp take seconds to import, which --help and a usage error need not wait for.
  const [
    { loadConfig, requireConfig },
    { createLogger },
    { checkModelAtStartup, createClients, destroyClients, loadPrompt },
  ] = await Promise.all([import('../shared/config.ts'), import('../shared/logger.ts'), import('../worker/index.ts')]);
  const [
    { writeFileAtomic },
    { runDryRun },
    { createProgressReporter },
    { formatDryRun, formatSummary },
    { runBackfill },
  ] = await Promise.all([
    import('./backfill/Checkpoint.ts'),
    import('./backfill/dryRun.ts'),
    import('./backfill/progress.ts'),
    import('./backfill/report.ts'),
    import('./backfill/runBackfill.ts'),
  ]);
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, format: config.log.format, name: 'backfill' });
  const prompt = loadPrompt(config);
  const clients = createClients(config);
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++interrupts > 1) process.exit(EXIT.interrupted);
    logger.warn(
      { signal },
      'stopping: letting the batches in flight finish and saving the checkpoint (again to quit now)',
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = createProgressReporter(progressMode, logger);
  try {
    if (v['dry-run']) {
      // The preview prices a model: say now, not after the listing, if it cannot be used (exit 3).
      await checkModelAtStartup(config, clients.bedrock, logger, prompt.text);
      const report = await runDryRun(
        {
          ...checked.data,
          sample: int('sample', v.sample),
          outputTokens: int('output-tokens', v['output-tokens']),
          calibrate: !v['no-calibrate'],
          priceInput: money('price-input', v['price-input']),
          priceOutput: money('price-output', v['price-output']),
        },
        {
          s3: clients.s3,
          doc: clients.doc,
          tableName: config.tableName,
          analysisVersion: prompt.analysisVersion,
          model: config.model,
          prompt: prompt.text,
          image: config.image,
          quota: config.quota,
          logger,
          signal: controller.signal,
          onProgress: (s) => progress.update(s),
        },
      );
      progress.stop();
      if (report.complete) {
        await writeFileAtomic(
          censusFile,
          `${JSON.stringify({ listed: report.counts.listed, at: new Date().toISOString() })}\n`,
        );
      }
      process.stdout.write(`${formatDryRun(report)}\n${JSON.stringify({ dryRun: report })}\n`);
      return report.complete ? EXIT.ok : EXIT.interrupted;
    }
    const queue = requireConfig(config, ['queueUrl']);
    const summary = await runBackfill(
      { ...checked.data, checkpointFile },
      {
        s3: clients.s3,
        sqs: clients.sqs,
        doc: clients.doc,
        queueUrl: queue.queueUrl,
        tableName: config.tableName,
        analysisVersion: prompt.analysisVersion,
        logger,
        signal: controller.signal,
        onProgress: (s) => progress.update(s),
        expectedListed: await readCensus(censusFile),
      },
    );
    progress.stop();
    process.stdout.write(`${formatSummary(summary)}\n${JSON.stringify({ backfill: summary })}\n`);
    if (summary.outcome === 'aborted') return EXIT.interrupted;
    return summary.run.refused > 0 ? EXIT.failure : EXIT.ok;
  } finally {
    progress.stop();
    destroyClients(clients);
  }
}

async function readCensus(file: string): Promise<number | undefined> {
  try {
    const listed = (JSON.parse(await readFile(file, 'utf8')) as { listed?: unknown }).listed;
    return typeof listed === 'number' && listed > 0 ? listed : undefined;
  } catch {
    return undefined;
  }
}

runMain(main);
