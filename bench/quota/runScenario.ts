import { ensureCatalogueTable } from '../../local/dynamo.ts';
import { ensureQueues } from '../../local/queues.ts';
import type { RedisServerHandle } from '../../local/redisServer.ts';
import type { LocalStack } from '../../local/stack.ts';
import { CpuSampler } from './cpu.ts';
import { Feeder } from './Feeder.ts';
import { WorkerFleet } from './fleet.ts';
import type { BenchObject } from './images.ts';
import type { ChildStats, OutcomeRecord } from './ipc.ts';
import { type BenchParams, REAL, type Scenario } from './plan.ts';
import { countCatalogued, queueCount } from './queueCounts.ts';
import { type ScenarioResult, summarise } from './results.ts';
import type { StandInProcess } from './standInProcess.ts';

export type { ScenarioResult } from './results.ts';

export interface ScenarioContext {
  stack: LocalStack;
  standIn: StandInProcess;
  redis?: RedisServerHandle;
  objects: readonly BenchObject[];
  params: BenchParams;
  /** PROMPT_FILE of the workers. */
  promptFile?: string;
  /** Index of the scenario, for queue and table names. */
  index: number;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The worker processes' environment: the stack's, this scenario's queue and table, the quota, the strategy. */
function workerEnv(ctx: ScenarioContext, scenario: Scenario, queueUrl: string, dlqUrl: string, table: string) {
  const { params } = ctx;
  const { THUMBNAIL_BUCKET: _thumbnails, ...stackEnv } = ctx.stack.env;
  const env: Record<string, string> = {
    ...stackEnv,
    QUEUE_URL: queueUrl,
    DLQ_URL: dlqUrl,
    TABLE_NAME: table,
    BEDROCK_ENDPOINT: ctx.standIn.url,
    PROMPT_FILE: ctx.promptFile ?? '',
    QUOTA_RPM: String(params.rpm),
    QUOTA_TPM: String(params.tpm),
    QUOTA_MINUTE_MS: String(params.minuteMs),
    // MODEL_ID and the output burndown are left to the defaults: the default model (burndown 5, model table).
    SKIP_SAME_CONTENT: 'false',
    LOG_LEVEL: 'fatal',
    LOG_FORMAT: 'json',
    BENCH_STRATEGY: scenario.strategy,
    FLEET_SIZE: String(scenario.processes),
    REDIS_URL: '',
  };
  if (scenario.strategy === 'ours') {
    // Our own backoff is configurable: compress it like the minute. The SDK's (baselines) cannot be.
    env.RETRY_BASE_MS = String(Math.max(1, Math.round(REAL.retryBaseMs * params.scale)));
    env.RETRY_MAX_MS = String(Math.max(1, Math.round(REAL.retryMaxMs * params.scale)));
    if (scenario.redis && ctx.redis) env.REDIS_URL = ctx.redis.url;
  } else {
    // No retry layer of ours beyond the strategy's own: a failure goes back to SQS, then the DLQ.
    env.MODEL_MAX_ATTEMPTS = '1';
    env.BENCH_TWO_BUCKET_PAUSE_MS = String(Math.round(REAL.twoBucketPauseMs * params.scale));
  }
  return env;
}

/** Runs one scenario on the shared local stack: its own queue, DLQ and table, a fresh quota window. */
export async function runScenario(ctx: ScenarioContext, scenario: Scenario): Promise<ScenarioResult> {
  const { stack, standIn, params, redis } = ctx;
  const wallStart = performance.now();
  const name = `bench-${ctx.index}`;
  const { queueUrl, dlqUrl } = await ensureQueues(stack.clients.sqs, stack.endpoints.sqs, {
    queueName: name,
    dlqName: `${name}-dlq`,
    maxReceiveCount: params.maxReceiveCount,
    visibilityTimeoutSeconds: 30,
  });
  await ensureCatalogueTable(stack.clients.dynamodb, name);
  // Ours keeps its buckets in Redis: a fresh (empty) server per scenario, as a restart leaves it.
  if (scenario.redis && redis) {
    await redis.stop();
    await redis.start();
  }

  const catalogued = new Map<string, { at: number; tokens: number }>();
  let otherFinal = 0;
  let failedAttempts = 0;
  let dlqSeen = 0;
  const onOutcomes = (records: OutcomeRecord[]) => {
    for (const r of records) {
      if (r.outcome === 'catalogued') catalogued.set(r.key, { at: r.at, tokens: r.tokens });
      else if (r.outcome === 'failed' || r.outcome === 'retry') failedAttempts += 1;
      else otherFinal += 1;
    }
  };
  const fleet = new WorkerFleet({ env: workerEnv(ctx, scenario, queueUrl, dlqUrl, name), onOutcomes });
  const inFlightCapacity = scenario.processes * 4 * 10;
  const feeder = new Feeder({
    sqs: stack.clients.sqs,
    queueUrl,
    bucket: stack.bucket,
    objects: ctx.objects,
    outstanding: inFlightCapacity + Math.round(params.rpm / 4),
    finished: () => catalogued.size + otherFinal + dlqSeen,
  });
  const cpu = new CpuSampler(() =>
    [...fleet.pids(), redis?.pid(), standIn.pid].filter((pid): pid is number => pid !== undefined),
  );
  const marks: ScenarioResult['marks'] = [];
  const timers: NodeJS.Timeout[] = [];
  const eventsDone: Promise<unknown>[] = [];
  const childStats: ChildStats[] = [];
  try {
    await fleet.spawn(scenario.processes);
    await feeder.topUp();
    await standIn.reset();
    const t0 = Date.now();
    cpu.start();
    fleet.start(scenario.initial);
    feeder.start();
    const dlqPoll = setInterval(() => {
      queueCount(stack.clients.sqs, dlqUrl).then(
        (n) => {
          dlqSeen = n;
        },
        () => {},
      );
    }, 500);
    timers.push(dlqPoll);
    for (const event of scenario.events) {
      const at = event.atMinute * params.minuteMs;
      timers.push(
        setTimeout(() => {
          const minute = (Date.now() - t0) / params.minuteMs;
          if (event.action === 'start') {
            fleet.start(event.count);
            marks.push({ minute, label: `+${event.count}` });
          } else if (event.action === 'stop') {
            marks.push({ minute, label: `−${event.count}` });
            eventsDone.push(fleet.stop(event.count, params.shutdownDeadlineMs).then((s) => childStats.push(...s)));
          } else if (redis) {
            marks.push({ minute, label: 'Redis restart' });
            eventsDone.push(
              (async () => {
                await redis.stop();
                await sleep(params.redisDownMs);
                await redis.start();
              })(),
            );
          }
          ctx.log(`  ${scenario.id}: ${event.action} at minute ${minute.toFixed(2)}`);
        }, at),
      );
    }
    await sleep(Math.max(0, t0 + scenario.minutes * params.minuteMs - Date.now()));
    await feeder.stop();
    await Promise.all(eventsDone);
    // The measurement is over: calls still waiting for the quota are released at once, not awaited.
    childStats.push(...(await fleet.stopAll(250)));
    for (const timer of timers) clearInterval(timer);
    cpu.stop();
    const [seen, queued, dlq, cataloguedInTable] = await Promise.all([
      standIn.stats(),
      queueCount(stack.clients.sqs, queueUrl),
      queueCount(stack.clients.sqs, dlqUrl),
      countCatalogued(stack, name),
    ]);
    return summarise(scenario, params, {
      t0,
      catalogued,
      enqueuedAt: feeder.enqueuedAt,
      enqueued: feeder.enqueued,
      otherFinal,
      failedAttempts,
      standIn: seen,
      queued,
      dlq,
      cataloguedInTable,
      starved: feeder.exhausted,
      wallMs: performance.now() - wallStart,
      cpuSamples: cpu.samples,
      cores: cpu.cores,
      marks,
      childStats,
    });
  } finally {
    for (const timer of timers) clearInterval(timer);
    cpu.stop();
    await feeder.stop().catch(() => {});
    fleet.kill();
  }
}
