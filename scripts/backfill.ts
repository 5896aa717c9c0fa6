import { readFile } from 'node:fs/promises';
import { EXIT, parseCommandLine, runMain } from '../shared/cli.ts';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import type { AwsClients } from '../worker/index.ts';
import { BATCH_OPTIONS } from './backfill/batch/cli.ts';
import type { BatchModeArgs } from './backfill/batch/flags.ts';
import { bytes, int, money, usage } from './backfill/cliArgs.ts';
import type { DryRunSettings } from './backfill/dryRun.ts';
import { BACKFILL_HELP as HELP } from './backfill/help.ts';
import { BackfillOptions, type BackfillOptionsInput, defaultCheckpointFile } from './backfill/options.ts';
import type { ProgressMode, ProgressReporter } from './backfill/progress.ts';
import { RETRY_REJECTED_FLAGS, retryRejectedInput } from './backfill/retryRejected.ts';

const OPTIONS = {
  bucket: { type: 'string' },
  prefix: { type: 'string', multiple: true },
  suffix: { type: 'string', multiple: true },
  'min-size': { type: 'string' },
  'max-size': { type: 'string' },
  'skip-catalogued': { type: 'boolean' },
  'no-skip-catalogued': { type: 'boolean' },
  'reprocess-stale': { type: 'boolean' },
  reconcile: { type: 'boolean' },
  'reprocess-without-display': { type: 'boolean' },
  ...RETRY_REJECTED_FLAGS,
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
  ...BATCH_OPTIONS,
} as const;

/** The command line, checked: the run's options and what only the CLI decides (files, progress, dry run). */
interface Invocation {
  options: BackfillOptions;
  progressMode: ProgressMode;
  checkpointFile: string;
  censusFile: string;
  /** Set for --dry-run: its own options. */
  dryRun?: DryRunSettings;
  /** Set for --mode batch (docs/batch.md). */
  batch?: BatchModeArgs;
  /** --reconcile: compare bucket and catalogue and repair (scripts/backfill/reconcile/). */
  reconcile: boolean;
}

/** Parses and checks argv; a usage error exits 2 with the reason. */
function parseInvocation(argv: string[]): Invocation {
  const { values: v, positionals } = parseCommandLine(argv, OPTIONS, HELP);
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
    reprocessWithoutDisplay: v['reprocess-without-display'] ?? false,
    ...retryRejectedInput(v),
    resume: !(v.restart || v['no-resume']),
  };
  const checked = BackfillOptions.safeParse(input);
  if (!checked.success)
    usage(checked.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('\n'));
  if (v.reconcile && (v['reprocess-stale'] || v.limit !== undefined)) {
    usage('--reconcile takes neither --reprocess-stale nor --limit');
  }
  const checkpointFile = v.checkpoint ?? defaultCheckpointFile(checked.data);
  const dryRun = v['dry-run']
    ? {
        sample: int('sample', v.sample),
        outputTokens: int('output-tokens', v['output-tokens']),
        calibrate: !v['no-calibrate'],
        priceInput: money('price-input', v['price-input']),
        priceOutput: money('price-output', v['price-output']),
      }
    : undefined;
  if (![undefined, 'on-demand', 'batch'].includes(v.mode)) usage('--mode must be on-demand or batch');
  const restart = !checked.data.resume;
  return {
    batch: v.mode === 'batch' ? { values: v, backfill: checked.data, dryRun, restart, usage } : undefined,
    options: checked.data,
    progressMode,
    checkpointFile,
    censusFile: `${checkpointFile.replace(/\.json$/, '')}.census.json`,
    dryRun,
    reconcile: v.reconcile ?? false,
  };
}

/** The first Ctrl-C or SIGTERM stops the run cleanly (batches in flight finish); a second one quits at once. */
function stopOnSignals(logger: Logger): AbortController {
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
  return controller;
}

/** What both kinds of run need, built once the arguments are known to be good. */
interface Runtime {
  config: Config;
  logger: Logger;
  clients: AwsClients;
  analysisVersion: string;
  promptText: string;
  signal: AbortSignal;
  progress: ProgressReporter;
}

async function main(): Promise<number> {
  const invocation = parseInvocation(process.argv.slice(2));
  if (invocation.batch) return (await import('./backfill/batch/cli.ts')).runBatchMode(invocation.batch);
  if (invocation.reconcile) {
    const { reconcileCommand } = await import('./backfill/reconcile/command.ts');
    return reconcileCommand(invocation.options, {
      dryRun: invocation.dryRun !== undefined,
      progress: invocation.progressMode,
    });
  }
  // Loaded only now: the AWS SDK and sharp take seconds to import, which --help and a usage error need not wait for.
  const [{ loadConfig }, { createLogger }, worker, { createProgressReporter }] = await Promise.all([
    import('../shared/config.ts'),
    import('../shared/logger.ts'),
    import('../worker/index.ts'),
    import('./backfill/progress.ts'),
  ]);
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, format: config.log.format, name: 'backfill' });
  const prompt = worker.loadPrompt(config);
  const clients = worker.createClients(config);
  const { signal } = stopOnSignals(logger);
  const progress = createProgressReporter(invocation.progressMode, logger);
  const runtime = { config, logger, clients, analysisVersion: prompt.analysisVersion, promptText: prompt.text };
  try {
    // The preview prices a model: exit 3 now, before the listing, when it cannot be used.
    if (invocation.dryRun) await worker.checkModelAtStartup(config, clients.bedrock, logger, prompt.text);
    return invocation.dryRun
      ? await dryRun(invocation, invocation.dryRun, { ...runtime, signal, progress })
      : await enqueue(invocation, { ...runtime, signal, progress });
  } finally {
    progress.stop();
    worker.destroyClients(clients);
  }
}

/** --dry-run: counts and estimates, records the census a later real run shows its progress against. */
async function dryRun(
  invocation: Invocation,
  options: NonNullable<Invocation['dryRun']>,
  rt: Runtime,
): Promise<number> {
  const [{ runDryRun }, { writeFileAtomic }, { formatDryRun }] = await Promise.all([
    import('./backfill/dryRun.ts'),
    import('./backfill/Checkpoint.ts'),
    import('./backfill/report.ts'),
  ]);
  const report = await runDryRun(
    { ...invocation.options, ...options },
    {
      s3: rt.clients.s3,
      doc: rt.clients.doc,
      tableName: rt.config.tableName,
      analysisVersion: rt.analysisVersion,
      model: rt.config.model,
      prompt: rt.promptText,
      image: rt.config.image,
      quota: rt.config.quota,
      logger: rt.logger,
      signal: rt.signal,
      onProgress: (s) => rt.progress.update(s),
    },
  );
  rt.progress.stop();
  if (report.complete) {
    const census = { listed: report.counts.listed, at: new Date().toISOString() };
    await writeFileAtomic(invocation.censusFile, `${JSON.stringify(census)}\n`);
  }
  process.stdout.write(`${formatDryRun(report)}\n${JSON.stringify({ dryRun: report })}\n`);
  return report.complete ? EXIT.ok : EXIT.interrupted;
}

/** The real run: lists, filters and enqueues, resumably. */
async function enqueue(invocation: Invocation, rt: Runtime): Promise<number> {
  const [{ requireConfig }, { runBackfill }, { formatSummary }] = await Promise.all([
    import('../shared/config.ts'),
    import('./backfill/runBackfill.ts'),
    import('./backfill/report.ts'),
  ]);
  const queue = requireConfig(rt.config, ['queueUrl']);
  const summary = await runBackfill(
    { ...invocation.options, checkpointFile: invocation.checkpointFile },
    {
      s3: rt.clients.s3,
      sqs: rt.clients.sqs,
      doc: rt.clients.doc,
      queueUrl: queue.queueUrl,
      tableName: rt.config.tableName,
      analysisVersion: rt.analysisVersion,
      logger: rt.logger,
      signal: rt.signal,
      onProgress: (s) => rt.progress.update(s),
      expectedListed: await readCensus(invocation.censusFile),
    },
  );
  rt.progress.stop();
  process.stdout.write(`${formatSummary(summary)}\n${JSON.stringify({ backfill: summary })}\n`);
  if (summary.outcome === 'aborted') return EXIT.interrupted;
  return summary.run.refused > 0 ? EXIT.failure : EXIT.ok;
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
