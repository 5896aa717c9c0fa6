import { cpus, loadavg, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { seededRandom } from '../local/bedrock/faults.ts';
import { startLocalStack } from '../local/stack.ts';
import { EXIT, parseCommandLine, runMain } from '../shared/cli.ts';
import { countingAnalyser } from './chaos/countingAnalyser.ts';
import { explainSecondPayments } from './chaos/explain.ts';
import { ChaosFleet } from './chaos/fleet.ts';
import { payments, verify } from './chaos/verify.ts';
import { runWorkload } from './chaos/workload.ts';

const HELP = `Usage: npm run bench:chaos [-- options]

N worker processes over the local stack with Bedrock faults on, a SIGKILL of a random worker every few seconds (the
worker is restarted, as ECS would) and one SIGTERM; uploads (some with the bytes of another key), overwrites,
deletes, duplicate messages and poison. At the end it compares the bucket with the catalogue and reads the DLQ.

  --workers N         worker processes (default 4)
  --keys N            keys uploaded (default 2000)
  --model-faults F    share of model calls answered 503/500/ModelNotReady (default 0.1)
  --malformed F       share of model answers that fail validation (default 0.05)
  --kill-every A-B    seconds between SIGKILLs, uniform (default 3-5)
  --seed N            seed of every random choice (default 1)
  --timeout S         give up after S seconds (default 1200)
  --explain           for each content answered twice, print when and what happened to its keys

Each worker start makes one startup probe (a 1 x 1 image, worker/model/probe.ts); probes are counted apart from the
images' calls.

Prints the figures, PASS/FAIL against the targets (0 lost, 0 wrong, 0 valid messages in the DLQ, no content paid
twice but by a call in flight at a kill) and a final JSON line. Exit 0 on PASS, 1 on FAIL.`;

const OPTIONS = {
  workers: { type: 'string' },
  keys: { type: 'string' },
  'model-faults': { type: 'string' },
  malformed: { type: 'string' },
  'kill-every': { type: 'string' },
  seed: { type: 'string' },
  timeout: { type: 'string' },
  explain: { type: 'boolean' },
} as const;

function options(argv: string[]) {
  const { values: v } = parseCommandLine(argv, OPTIONS, HELP, false);
  const [killMin, killMax] = (v['kill-every'] ?? '3-5').split('-').map(Number);
  const o = {
    workers: Number(v.workers ?? 4),
    keys: Number(v.keys ?? 2000),
    modelFaults: Number(v['model-faults'] ?? 0.1),
    malformed: Number(v.malformed ?? 0.05),
    killMinS: killMin ?? 3,
    killMaxS: killMax ?? killMin ?? 5,
    seed: Number(v.seed ?? 1),
    timeoutS: Number(v.timeout ?? 1200),
  };
  if (Object.values(o).some((x) => !Number.isFinite(x) || x < 0) || o.workers < 1 || o.keys < 1) {
    process.stderr.write(`bad options: ${JSON.stringify(o)}\n\n${HELP}\n`);
    process.exit(EXIT.usage);
  }
  return { ...o, explain: v.explain === true };
}

/** Messages anywhere in the work queue: visible, in flight, delayed. */
async function queued(stack: Awaited<ReturnType<typeof startLocalStack>>): Promise<number> {
  const { Attributes: a = {} } = await stack.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(a.ApproximateNumberOfMessages) +
    Number(a.ApproximateNumberOfMessagesNotVisible) +
    Number(a.ApproximateNumberOfMessagesDelayed)
  );
}

/** Resolves once the queue has stayed empty for three checks in a row (a second apart). */
async function drained(stack: Awaited<ReturnType<typeof startLocalStack>>, deadline: number): Promise<boolean> {
  for (let empty = 0; empty < 3; ) {
    if (Date.now() > deadline) return false;
    empty = (await queued(stack)) === 0 ? empty + 1 : 0;
    await sleep(1000);
  }
  return true;
}

async function main(): Promise<number> {
  const o = options(process.argv.slice(2));
  const random = seededRandom(o.seed);
  const counted = countingAnalyser(o.malformed, seededRandom(o.seed + 1));
  const stack = await startLocalStack({
    bedrock: {
      analyser: counted.analyser,
      quota: { rpm: 1_000_000, tpm: 1_000_000_000 },
      faults: {
        latencyMs: 150,
        jitter: 0.5,
        serviceUnavailableRate: o.modelFaults * 0.5,
        internalErrorRate: o.modelFaults * 0.3,
        modelNotReadyRate: o.modelFaults * 0.2,
        seed: o.seed,
      },
    },
  });
  const fleet = new ChaosFleet({
    ...stack.env,
    WAIT_TIME_SECONDS: '2',
    VISIBILITY_TIMEOUT_SECONDS: '20',
    HEARTBEAT_SECONDS: '5',
    MODEL_TIMEOUT_MS: '10000',
    HANDLER_TIMEOUT_SECONDS: '60',
    SHUTDOWN_TIMEOUT_SECONDS: '10',
    RETRY_BASE_MS: '50',
    RETRY_MAX_MS: '1000',
    QUOTA_RPM: '6000',
    QUOTA_TPM: '100000000',
    FLEET_SIZE: String(o.workers),
    LIMITER_MAX_CONCURRENCY: '16',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
  });
  const started = Date.now();
  const deadline = started + o.timeoutS * 1000;
  let chaos = true;
  // Ends the pause between kills when the run is over, so a long --kill-every does not outlast the run.
  const calm = new AbortController();
  fleet.start(o.workers);
  const chaosLoop = (async () => {
    while (chaos) {
      const pause = (o.killMinS + random() * (o.killMaxS - o.killMinS)) * 1000;
      await sleep(pause, undefined, { signal: calm.signal }).catch(() => undefined);
      if (!chaos) break;
      // One graceful stop among the kills, after the third.
      if (fleet.events.kills.length === 3 && fleet.events.terms.length === 0) await fleet.terminateOne(random);
      else await fleet.killOne(random);
    }
  })();
  const facts = await runWorkload(
    stack,
    { keys: o.keys, sameContent: 0.1, overwrites: 0.1, deletes: 0.05, duplicates: 0.05, poison: 20 },
    random,
  );
  const workloadMs = Date.now() - started;
  let finished = await drained(stack, deadline);
  chaos = false;
  calm.abort();
  await chaosLoop;
  // The last kill's messages come back after their visibility timeout.
  finished = finished && (await drained(stack, deadline));
  const processedMs = Date.now() - started;
  await fleet.stop();
  const verdict = await verify(stack, facts.poisonBodies);
  const paid = payments(counted.calls, fleet.events.kills);
  const explained = o.explain
    ? await explainSecondPayments(counted.calls, facts.history, fleet.events.kills, started)
    : [];
  await stack.close();
  return report({ o, facts, verdict, paid, fleet: fleet.events, finished, workloadMs, processedMs, explained });
}

function report(r: {
  o: ReturnType<typeof options>;
  facts: Awaited<ReturnType<typeof runWorkload>>;
  verdict: Awaited<ReturnType<typeof verify>>;
  paid: ReturnType<typeof payments>;
  fleet: ChaosFleet['events'];
  finished: boolean;
  workloadMs: number;
  processedMs: number;
  explained: string[];
}): number {
  const { verdict: v, paid: p, fleet: f } = r;
  const targets = {
    finished: r.finished,
    lost: v.lost.length === 0,
    wrong: v.wrong.length === 0,
    validInDlq: v.dlq.valid === 0,
    paidTwice: p.paidTwice === 0,
  };
  const pass = Object.values(targets).every(Boolean);
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadavg1: Number(loadavg()[0]?.toFixed(2)),
    memGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
  const lines = [
    `chaos: ${r.o.workers} workers, ${r.o.keys} keys, model faults ${r.o.modelFaults}, malformed ${r.o.malformed}, SIGKILL every ${r.o.killMinS}-${r.o.killMaxS} s`,
    `traffic: ${r.facts.puts} uploads, ${r.facts.overwrites} overwrites, ${r.facts.deletes} deletes, ${r.facts.duplicates} duplicates, ${r.facts.poisonBodies.size} poison`,
    `fleet: ${f.kills.length} SIGKILLs, ${f.terms.length} SIGTERM (exit ${f.terms.map((t) => t.exitCode ?? t.signal).join(',')}), ${f.started} processes started, ${f.errorLines.length} error lines`,
    `done in ${(r.processedMs / 1000).toFixed(1)} s (traffic sent in ${(r.workloadMs / 1000).toFixed(1)} s)${r.finished ? '' : ' — TIMED OUT'}`,
    `bucket ${v.objects} objects, table ${v.items} items: lost ${v.lost.length}, wrong ${v.wrong.length}, rejected ${v.rejected}`,
    `DLQ: ${v.dlq.poison} poison (${r.facts.poisonBodies.size} sent; a worker killed between its DLQ send and its delete dead-letters one twice), ${v.dlq.valid} valid`,
    `model: ${p.modelCalls} calls for ${p.distinctContents} distinct contents (${p.callsPerContent.toFixed(3)} per content; ${p.malformedAnswers} malformed answers retried), ${p.probeCalls} startup probes apart`,
    `paid twice: ${p.paidTwice} (apart: ${p.inFlightAtKill} calls in flight when their worker was killed)`,
    `machine: ${machine.cpus} × ${machine.cpuModel}, load ${machine.loadavg1}, ${machine.node}`,
    `${pass ? 'PASS' : 'FAIL'}: ${Object.entries(targets)
      .map(([k, ok]) => `${k} ${ok ? 'ok' : 'FAIL'}`)
      .join(', ')}`,
  ];
  if (v.lost.length) lines.push(`lost: ${v.lost.slice(0, 10).join(', ')}`);
  if (v.wrong.length) lines.push(`wrong: ${v.wrong.slice(0, 10).join(', ')}`);
  for (const s of v.dlq.validSamples) lines.push(`valid in DLQ: ${s}`);
  for (const e of f.errorLines.slice(0, 5)) lines.push(`worker error: ${e}`);
  for (const e of r.explained) lines.push(`second payment: ${e}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  const json = {
    chaos: {
      options: r.o,
      traffic: { ...r.facts, poisonBodies: r.facts.poisonBodies.size, history: r.facts.history.length },
      fleet: { kills: f.kills.length, terms: f.terms.length, started: f.started, errorLines: f.errorLines.length },
      seconds: Number((r.processedMs / 1000).toFixed(1)),
      objects: v.objects,
      lost: v.lost.length,
      wrong: v.wrong.length,
      rejected: v.rejected,
      dlq: { poison: v.dlq.poison, valid: v.dlq.valid },
      model: p,
      machine,
      pass,
    },
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
  return pass ? EXIT.ok : EXIT.failure;
}

runMain(main);
