/**
 * One worker process of the quota benchmark (started by bench/quota.ts over IPC, never by hand): the
 * production worker from `createWorker`, configured by the same environment variables as `npm run worker`, with the
 * model-call strategy named by BENCH_STRATEGY (strategy.ts). Production code knows nothing of the strategies.
 *
 * It says `ready` once built and warmed up, starts consuming on `start`, forwards every record outcome in small
 * batches, and on `stop` shuts down gracefully (unfinished messages go back to the queue), reports its counters and
 * exits.
 */
import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import sharp from 'sharp';
import { type Config, loadConfig } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { type AwsClients, createClients, destroyClients } from '../../worker/clients.ts';
import { createWorker } from '../../worker/createWorker.ts';
import { prepareImage, prepareOptionsFromConfig } from '../../worker/image/prepare.ts';
import type { Outcome } from '../../worker/pipeline/outcome.ts';
import { type ChildMessage, type OutcomeRecord, ParentMessage } from './ipc.ts';
import { BenchEnv, buildStrategy } from './strategy.ts';

/**
 * Runs the cold paths once before the measurement: sharp's first pipeline and the SDK's first Bedrock call (an
 * empty Converse, which the stand-in refuses before its quota). In a 5 s "minute" a 150 ms cold start would be two
 * seconds of a real one, and would show as a burst of late calls from a process that joins the fleet.
 */
async function warmUp(config: Config, clients: AwsClients): Promise<void> {
  const body = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#468' } })
    .jpeg()
    .toBuffer();
  await prepareImage(body, prepareOptionsFromConfig(config));
  await clients.bedrock.send(new ConverseCommand({ modelId: config.model.id, messages: [] })).catch(() => {});
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('workerProcess.ts is started by the quota benchmark over IPC');
  const bench = BenchEnv.parse(process.env);
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.log.level, format: 'json', name: `bench-${bench.BENCH_STRATEGY}` });
  const strategy = buildStrategy(bench, config, createClients(config), logger);
  const { clients } = strategy;
  const handle = await createWorker({ config, logger, clients, wrapModel: strategy.wrapModel });
  const limiter = handle.limiter ?? strategy.ownLimiter();
  await warmUp(config, clients);

  let pending: OutcomeRecord[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    send({ type: 'outcomes', records: pending });
    pending = [];
  };
  // The limiter's state, sampled while the worker runs: was any call waiting for the quota, and at what factor.
  const samples = { n: 0, idle: 0, factor: 0, minFactor: 1 };
  let running = false;
  const ticker = setInterval(() => {
    flush();
    if (!limiter || !running) return;
    const s = limiter.stats();
    samples.n += 1;
    if (s.waiting + s.queued === 0) samples.idle += 1;
    samples.factor += s.rateFactor;
    samples.minFactor = Math.min(samples.minFactor, s.rateFactor);
  }, 100);
  handle.worker.on('outcome', (o: Outcome) => {
    const tokens = (o.inputTokens ?? 0) + (o.outputTokens ?? 0) * config.quota.outputBurndown;
    pending.push({ key: o.key, outcome: o.outcome, modelCalls: o.modelCalls ?? 0, tokens, at: Date.now() });
  });

  process.on('message', (raw) => {
    const message = ParentMessage.parse(raw);
    if (message.type === 'start') {
      running = true;
      handle.worker.start();
      return;
    }
    running = false;
    void (async () => {
      const { released } = await handle.close(message.deadlineMs);
      clearInterval(ticker);
      flush();
      // createWorker closes only the limiter it built itself.
      if (!handle.limiter) await limiter?.close();
      const counters = limiter?.stats();
      send({
        type: 'stopped',
        stats: {
          throttles: counters?.throttles ?? 0,
          admitted: counters?.admitted ?? 0,
          storeSwitches: counters?.storeSwitches ?? 0,
          idleFraction: samples.n ? samples.idle / samples.n : 0,
          meanFactor: samples.n ? samples.factor / samples.n : 1,
          minFactor: samples.minFactor,
          released,
        },
      });
      if (bench.BENCH_TRACE_DIR) strategy.trace?.write(bench.BENCH_TRACE_DIR);
      destroyClients(clients);
      process.disconnect();
    })();
  });
  // The benchmark going away (a crash, Ctrl-C) takes this process with it.
  process.on('disconnect', () => setTimeout(() => process.exit(0), 2_000).unref());
  send({ type: 'ready', pid: process.pid });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench worker failed: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
