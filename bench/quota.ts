/**
 * Quota benchmark: how close each way of calling Bedrock gets to the quota, and what it costs in throttles, retries,
 * latency and lost images, at 1 and 4 worker processes, through a scale change and through a Redis restart.
 * Prints a table, PASS/FAIL lines for our targets, the machine, and as its last line the results as one JSON object;
 * writes bench-results/quota.{png,svg,json} and docs/bench/quota.{png,md}.
 *
 *   npm run bench:quota [-- --quick]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../local/redisServer.ts';
import { startLocalStack } from '../local/stack.ts';
import { EXIT, parseCommandLine, runMain } from '../shared/cli.ts';
import { renderChart } from './quota/chart.ts';
import { makeImages, uploadObjects } from './quota/images.ts';
import { benchParams, type Scenario, scenarios } from './quota/plan.ts';
import { benchPrompt } from './quota/prompt.ts';
import { markdownReport, tableText } from './quota/report.ts';
import { runScenario, type ScenarioResult } from './quota/runScenario.ts';
import { startStandInProcess } from './quota/standInProcess.ts';
import { checkTargets } from './quota/targets.ts';

const HELP = `Usage: npm run bench:quota [-- --quick] [--workload tokens|requests] [--minute-ms N] [--rpm N] [--only IDS]

Measures side by side, in one run on the local stack (fauxqs, dynalite; the Bedrock stand-in and Redis in processes
of their own) with real worker processes running the production worker:
  naive       no limiter, the SDK's default retries (standard mode, 3 attempts), MODEL_MAX_ATTEMPTS=1: a failure
              goes back to SQS, then to the DLQ after 5 receives
  adaptive    no limiter, the SDK's adaptive retry mode (client-side rate limiting), MODEL_MAX_ATTEMPTS=1
  two-bucket  the well-known parallel processor at 75 % of the limits (requests and tokens buckets of a minute's
              worth, a 15 s pause of every caller after a 429, compressed like the minute), each process its share
  ours        the default worker: QuotaLimited + Retrying, the fleet's buckets in Redis when several processes
at 1 and 4 processes, and ours also through a 1 -> 4 -> 2 scale change and through a restart of its Redis.
The model is the default MODEL_ID (burndown from the model table); the quota is Haiku-shaped (1,000 requests, 2,000,000 tokens a minute), scaled down to --rpm
requests per "minute" of --minute-ms; the stand-in's latency is Haiku's compressed by the same factor. A feeder keeps
every fleet saturated. Prints a table, PASS/FAIL lines, the machine and, last, the results as one JSON line; writes
bench-results/quota.{png,svg,json} and, after a full run, docs/bench/quota.{png,md}. About 4.5 minutes.

Targets (ours, every fleet): >= 95 % utilisation of the binding quota in steady state, <= 1 % of model calls
throttled, nothing lost, nothing in the DLQ. A missed target prints a FAIL line (the exit code stays 0).

Options:
  --quick          a smoke run (about 1 minute): naive and ours at 1 process, ours at 4 through a Redis restart,
                   3 quota minutes each (too short a window to hold the targets through the restart)
  --workload W     tokens (default): calls weigh what a full-size photo does, so the tokens quota binds;
                   requests: lighter calls, so the requests quota binds
  --minute-ms N    length of a quota minute, ms (default 5000)
  --rpm N          requests per quota minute (default 200; tokens per minute = 2,000 x rpm)
  --only IDS       run only these scenarios (comma-separated ids as printed, e.g. ours@4,naive@1)
  -h, --help       show this help

Needs redis-server (Debian package redis-server) on the PATH.
Exit codes: 0 done (targets met or not), 1 the benchmark itself failed, 2 bad arguments.`;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Sets the nice value of the given processes; false when the system refuses (not root). */
function raisePriority(pids: readonly (number | undefined)[], nice: number): boolean {
  try {
    for (const pid of pids) if (pid !== undefined) os.setPriority(pid, nice);
    return true;
  } catch {
    return false;
  }
}

function redisVersion(): string {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

runMain(async () => {
  const { values } = parseCommandLine(
    process.argv.slice(2),
    {
      quick: { type: 'boolean' },
      'minute-ms': { type: 'string' },
      rpm: { type: 'string' },
      workload: { type: 'string' },
      only: { type: 'string' },
    },
    HELP,
    false,
  );
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) {
      process.stderr.write(`--${name} must be a positive integer\n`);
      process.exit(EXIT.usage);
    }
    return n;
  };
  const workload = values.workload ?? 'tokens';
  if (workload !== 'tokens' && workload !== 'requests') {
    process.stderr.write('--workload must be tokens or requests\n');
    return EXIT.usage;
  }
  const params = benchParams({
    quick: values.quick,
    workload,
    minuteMs: num(values['minute-ms'], 'minute-ms'),
    rpm: num(values.rpm, 'rpm'),
  });
  let plan: Scenario[] = scenarios(params);
  if (values.only) {
    const ids = values.only.split(',').map((s) => s.trim());
    plan = plan.filter((s) => ids.includes(s.id));
    if (plan.length === 0) {
      process.stderr.write(
        `--only matched no scenario (ids: ${scenarios(params)
          .map((s) => s.id)
          .join(', ')})\n`,
      );
      return EXIT.usage;
    }
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const outDir = join(ROOT, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  let promptFile: string | undefined;
  if (params.promptPadChars > 0) {
    promptFile = join(outDir, 'quota-prompt.md');
    writeFileSync(promptFile, benchPrompt(params.promptPadChars));
  }
  const started = performance.now();
  const host = machine();
  log(`quota benchmark: ${plan.length} scenarios, minute ${params.minuteMs} ms, ${params.rpm} rpm, ${params.tpm} tpm`);

  // Other jobs on the machine should disturb the measurement as little as possible: this process and its workers
  // (which inherit it) at nice -5, the stand-in and Redis at -10 (below). CPU figures still show the whole machine.
  const reniced = raisePriority([process.pid], -5);
  const stack = await startLocalStack({ bedrock: false, bridge: false, maxReceiveCount: params.maxReceiveCount });
  const standIn = await startStandInProcess(params).catch(async (error: unknown) => {
    await stack.close();
    throw error;
  });
  const redis = plan.some((s) => s.redis) ? await startRedis({ priority: -10 }) : undefined;
  // Bedrock and ElastiCache run elsewhere in production: here they share two cores with the workers (and whatever
  // else runs on the machine), so they get the CPU first. At a 5 s minute a 75 ms scheduling delay of the stand-in
  // would be a second of a real minute, and its rolling window would count the calls it held up as one burst.
  const prioritised = raisePriority([standIn.pid], -10);
  log(
    `  CPU priority raised (benchmark -5, stand-in and Redis -10): ${reniced && prioritised ? 'yes' : 'no, not permitted'}`,
  );
  const results: ScenarioResult[] = [];
  try {
    const longest = Math.max(...plan.map((s) => s.minutes));
    // Enough distinct keys for the fastest possible run, plus what a strategy may dead-letter.
    const keys = Math.ceil(params.rpm * (longest + 1) * 1.5 + 400);
    const images = await makeImages(params.images, params.seed);
    const objects = await uploadObjects(stack.clients.s3, stack.bucket, images, keys);
    log(
      `  ${keys} objects in the bucket (${images.length} distinct images) after ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    for (const [index, scenario] of plan.entries()) {
      log(`- ${scenario.id} (${scenario.minutes} quota minutes)`);
      const result = await runScenario({ stack, standIn, redis, objects, params, promptFile, index, log }, scenario);
      results.push(result);
      log(
        `  ${(result.utilisation.value * 100).toFixed(1)} % of ${result.utilisation.binding}, ` +
          `${(result.throttledFraction * 100).toFixed(2)} % throttled, ${result.catalogued} catalogued, ` +
          `dlq ${result.dlq}, lost ${result.lost}, cpu ${(result.cpu.systemMean * 100).toFixed(0)} % ` +
          `(own ${(result.cpu.ownMean * 100).toFixed(0)} %), ${(result.wallMs / 1000).toFixed(1)} s`,
      );
    }
  } finally {
    await redis?.stop();
    await standIn.close();
    await stack.close();
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const targets = checkTargets(results);
  const info = { machine: host, redis: redis ? redisVersion() : undefined, params, wallSeconds };

  process.stdout.write(`${tableText(results)}\n\n`);
  for (const line of targets.lines) process.stdout.write(`${line}\n`);
  const mean = (f: (r: ScenarioResult) => number) => results.reduce((a, r) => a + f(r), 0) / (results.length || 1);
  process.stdout.write(
    `\nmachine: ${host.cpu}, ${host.cores} cores, ${host.memoryGb} GB, Node ${host.node}, load average at start ` +
      `${host.loadAverageAtStart.join(' ')}\n` +
      `CPU during the runs: machine ${(mean((r) => r.cpu.systemMean) * 100).toFixed(0)} % on average ` +
      `(the benchmark's own processes ${(mean((r) => r.cpu.ownMean) * 100).toFixed(0)} %), ` +
      `>= 95 % busy ${(mean((r) => r.cpu.saturatedFraction) * 100).toFixed(0)} % of the time\n` +
      `wall time of the whole benchmark: ${wallSeconds.toFixed(1)} s\n`,
  );

  const docsDir = join(ROOT, 'docs', 'bench');
  mkdirSync(docsDir, { recursive: true });
  const { svg, png } = await renderChart(results, params);
  writeFileSync(join(outDir, 'quota.svg'), svg);
  writeFileSync(join(outDir, 'quota.png'), png);
  const summary = { ...info, targets: targets.summary, results };
  writeFileSync(join(outDir, 'quota.json'), `${JSON.stringify(summary, null, 2)}\n`);
  // Only a full run with the default settings is the documented one.
  const documented = !values.quick && !values.only && !values.workload && !values['minute-ms'] && !values.rpm;
  if (documented) {
    copyFileSync(join(outDir, 'quota.png'), join(docsDir, 'quota.png'));
    writeFileSync(join(docsDir, 'quota.md'), markdownReport(results, params, targets, info));
    process.stdout.write(
      `chart: bench-results/quota.png (copied to docs/bench/quota.png), table: docs/bench/quota.md\n`,
    );
  } else {
    process.stdout.write('chart: bench-results/quota.png (only a full default run updates docs/bench/)\n');
  }
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return EXIT.ok;
});
