import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createLogger, type Logger } from '../../shared/logger.ts';
import { createDeterministicAnalyser } from './analysers/deterministic.ts';
import type { Analyser } from './analysers/types.ts';
import { createBedrockStandIn } from './server.ts';

const HELP = `Usage: tsx local/bedrock/main.ts [options]

Local Bedrock Runtime stand-in: Converse and InvokeModel for Anthropic Claude model ids, Bedrock's quota
(requests/min and tokens/min over a rolling minute), latency and faults. Speaks HTTP/2 cleartext (what the
BedrockRuntimeClient uses) and HTTP/1.1 on the same port. Point clients at it with BEDROCK_ENDPOINT=<url>.

Options:
  --host <addr>              interface to listen on                               [default: 127.0.0.1]
  --port <n>                 port; 0 picks a free one                             [default: 0]
  --analyser <name>          deterministic (pixel facts, fast) | on-device (local models, slow, low-confidence)
                                                                                  [default: deterministic]
  --rpm <n>                  requests per minute, per model                       [default: 1000]
  --tpm <n>                  tokens per minute, per model                         [default: 2000000]
  --output-burndown <x>      quota weight of an output token, every model    [default: the model table's]
  --tpd <n>                  tokens per day, per model ("Too many tokens per day") [default: unlimited]
  --deny-model <list>        comma-separated models without access (row key, id, *) [default: none]
  --minute-ms <n>            length of a quota minute, ms (compresses time)       [default: 60000]
  --latency-ms <n>           fixed latency per answer, ms                         [default: 0]
  --latency-per-token-ms <n> extra latency per output token, ms                   [default: 0]
  --jitter <x>               latency varies by ± this fraction (0-1)              [default: 0]
  --fault-503 <x>            rate of 503 ServiceUnavailableException (0-1)        [default: 0]
  --fault-500 <x>            rate of 500 InternalServerException (0-1)            [default: 0]
  --fault-not-ready <x>      rate of 429 ModelNotReadyException (0-1)             [default: 0]
  --fault-timeout <x>        rate of 408 ModelTimeoutException (0-1)              [default: 0]
  --fault-drop <x>           rate of dropped connections (0-1)                    [default: 0]
  --fault-malformed <x>      rate of malformed tool output (0-1)                  [default: 0]
  --fault-filtered <x>       rate of content_filtered answers (0-1)               [default: 0]
  --seed <n>                 seed of fault and jitter draws                       [default: random]
  --log-level <level>        fatal|error|warn|info|debug|trace|silent             [default: info]
  -h, --help                 show this help

Admin routes: GET /_standin/stats, GET /_standin/health, POST /_standin/reset,
PUT /_standin/quota {rpm?, tpm?, tpd?, outputBurndown?, modelId?}, PUT /_standin/faults {latencyMs?, ...Rate?, seed?},
PUT /_standin/access {deny?: [model], grant?: [model]} (row key such as claude-haiku-5-5, a model or profile id, *).
Models, their ids, lifecycle and parameter rules come from the model table (shared/modelTable.ts).
Exit codes: 0 stopped by SIGINT/SIGTERM, 1 failed to start, 2 bad arguments.`;

const num = z.coerce.number();
const rate = num.min(0).max(1);
const Args = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: num.int().min(0).max(65_535).default(0),
  analyser: z.enum(['deterministic', 'on-device']).default('deterministic'),
  rpm: num.int().positive().default(1000),
  tpm: num.int().positive().default(2_000_000),
  'output-burndown': num.min(1).max(10).optional(),
  tpd: num.int().positive().optional(),
  'deny-model': z.string().optional(),
  'minute-ms': num.int().min(1).default(60_000),
  'latency-ms': num.min(0).default(0),
  'latency-per-token-ms': num.min(0).default(0),
  jitter: rate.default(0),
  'fault-503': rate.default(0),
  'fault-500': rate.default(0),
  'fault-not-ready': rate.default(0),
  'fault-timeout': rate.default(0),
  'fault-drop': rate.default(0),
  'fault-malformed': rate.default(0),
  'fault-filtered': rate.default(0),
  seed: num.int().optional(),
  'log-level': z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
type Args = z.infer<typeof Args>;

/** Loads the on-device analyser only when asked for: it pulls in large model packages and takes seconds to start. */
async function onDeviceAnalyser(logger: Logger): Promise<Analyser> {
  const file = fileURLToPath(new URL('./analysers/onDevice.ts', import.meta.url));
  if (!existsSync(file)) {
    throw new Error(`the on-device analyser is not available: ${file} does not exist (use --analyser deterministic)`);
  }
  const { createOnDeviceAnalyser } = await import('./analysers/onDevice.ts');
  return createOnDeviceAnalyser({ logger: logger.child({ name: 'on-device-analyser' }) });
}

function parse(argv: string[]): Args | undefined {
  const options = Object.fromEntries(Object.keys(Args.shape).map((name) => [name, { type: 'string' as const }]));
  const { values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return undefined;
  const { help: _help, ...rest } = values;
  return Args.parse(rest);
}

async function main(): Promise<number> {
  let args: Args | undefined;
  try {
    args = parse(process.argv.slice(2));
  } catch (error) {
    const message = error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message;
    process.stderr.write(`${message}\n\n${HELP}\n`);
    return 2;
  }
  if (!args) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const logger = createLogger({ level: args['log-level'], name: 'bedrock-stand-in' });
  let standIn: Awaited<ReturnType<typeof createBedrockStandIn>>;
  try {
    const analyser = args.analyser === 'on-device' ? await onDeviceAnalyser(logger) : createDeterministicAnalyser();
    standIn = await createBedrockStandIn({
      host: args.host,
      port: args.port,
      analyser,
      minuteMs: args['minute-ms'],
      quota: {
        rpm: args.rpm,
        tpm: args.tpm,
        ...(args['output-burndown'] === undefined ? {} : { outputBurndown: args['output-burndown'] }),
        ...(args.tpd === undefined ? {} : { tpd: args.tpd }),
      },
      deniedModels: args['deny-model']
        ?.split(',')
        .map((m) => m.trim())
        .filter(Boolean),
      faults: {
        latencyMs: args['latency-ms'],
        latencyPerOutputTokenMs: args['latency-per-token-ms'],
        jitter: args.jitter,
        serviceUnavailableRate: args['fault-503'],
        internalErrorRate: args['fault-500'],
        modelNotReadyRate: args['fault-not-ready'],
        modelTimeoutRate: args['fault-timeout'],
        dropConnectionRate: args['fault-drop'],
        malformedOutputRate: args['fault-malformed'],
        contentFilteredRate: args['fault-filtered'],
        seed: args.seed,
      },
      logger,
    });
  } catch (error) {
    logger.fatal({ err: error }, 'bedrock stand-in failed to start');
    return 1;
  }
  const stats = standIn.stats();
  logger.info(
    {
      url: standIn.url,
      port: standIn.port,
      analyser: stats.analyser,
      quota: stats.quota.default,
      minuteMs: stats.minuteMs,
    },
    'bedrock stand-in listening',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info({ totals: standIn.stats().totals }, 'bedrock stand-in stopping');
  await standIn.close();
  return 0;
}

process.exitCode = await main();
