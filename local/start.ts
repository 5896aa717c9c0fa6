import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT, parseCommandLine, runMain } from '../shared/cli.ts';
import { CatalogueError } from '../shared/errors.ts';
import { renderCatalogueTable, startDemo } from './start/runDemo.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../test/fixtures/images/', import.meta.url));

const HELP = `Usage: npm start [-- options]

Runs the whole image catalogue on this machine, no AWS account needed: local S3 + SQS (fauxqs), DynamoDB (dynalite)
and a Bedrock stand-in that answers with on-device vision models (low-confidence, clearly labelled: not Claude).
Uploads the sample photos (or --folder), shows progress, prints the catalogue, serves the browser, and keeps
ingesting whatever you upload to the local bucket until Ctrl-C.

Options:
  --folder DIR         upload the files of DIR (recursively) instead of the sample photos
  --exit-when-idle     exit once everything uploaded is catalogued or rejected (for scripts and CI)
  --analyser NAME      on-device (default) or deterministic (fast, pixel statistics only)
  --data-dir DIR       state of the stand-ins and the worker log (default .local/)
  --fresh              delete the data folder first
  --port-s3sqs N       S3 + SQS stand-in port (default 4566)
  --port-dynamodb N    DynamoDB stand-in port (default 8000)
  --port-bedrock N     Bedrock stand-in port (default 4599)
  --port-web N         catalogue browser port (default 8080)
  --no-web             do not serve the browser

MODEL_ID (environment) chooses the model the stand-in plays; default: the default model's global profile
(global.anthropic.claude-haiku-5-5). The stand-in applies that model's rules from the model table: an end-of-life
or misspelt id stops here with exit 3 and what to use instead, as it would on AWS.

Exit codes: 0 ok, 1 failure, 2 bad arguments, 3 bad configuration, 4 a port is taken.`;

function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new RangeError(`${flag} must be a port number (0-65535), got ${value}`);
  return n;
}

runMain(async () => {
  const { values } = parseCommandLine(
    process.argv.slice(2),
    {
      folder: { type: 'string' },
      'exit-when-idle': { type: 'boolean' },
      analyser: { type: 'string' },
      'data-dir': { type: 'string' },
      fresh: { type: 'boolean' },
      'port-s3sqs': { type: 'string' },
      'port-dynamodb': { type: 'string' },
      'port-bedrock': { type: 'string' },
      'port-web': { type: 'string' },
      'no-web': { type: 'boolean' },
    },
    HELP,
    false,
  );
  const analyser = values.analyser ?? 'on-device';
  if (analyser !== 'on-device' && analyser !== 'deterministic') {
    process.stderr.write(`--analyser must be on-device or deterministic, got ${analyser}\n`);
    return EXIT.usage;
  }
  let ports: { s3sqs: number; dynamodb: number; bedrock: number; web: number };
  try {
    ports = {
      s3sqs: port(values['port-s3sqs'], 4566, '--port-s3sqs'),
      dynamodb: port(values['port-dynamodb'], 8000, '--port-dynamodb'),
      bedrock: port(values['port-bedrock'], 4599, '--port-bedrock'),
      web: port(values['port-web'], 8080, '--port-web'),
    };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return EXIT.usage;
  }
  const dataDir = values['data-dir'] ?? `${ROOT}.local`;
  if (values.fresh) rmSync(dataDir, { recursive: true, force: true });
  const out = process.stdout;
  out.write(`Starting the local stack (${analyser} analyser; state in ${dataDir})…\n`);
  let demo: Awaited<ReturnType<typeof startDemo>>;
  try {
    const env = process.env.MODEL_ID ? { MODEL_ID: process.env.MODEL_ID } : undefined;
    demo = await startDemo({
      folder: values.folder ?? SAMPLES,
      dataDir,
      analyser,
      ports,
      web: !values['no-web'],
      out,
      env,
    });
  } catch (error) {
    if (error instanceof CatalogueError && error.code === 'PORT_IN_USE') {
      process.stderr.write(`${error.message}\n`);
      return 4;
    }
    throw error;
  }
  const s = demo.stack;
  out.write(`Uploading ${values.folder ?? 'the sample photos'} to s3://${s.bucket}/ …\n`);
  const run = await demo.ingest();
  const items = (await demo.items()).filter((i) => i.status !== 'removed');
  out.write(`\n${renderCatalogueTable(items)}\n\n`);
  out.write(
    `${run.uploaded} files in ${(run.ms / 1000).toFixed(1)} s: ${run.modelCalls} model calls, ` +
      `${run.inputTokens} input + ${run.outputTokens} output tokens this run` +
      `${run.modelCalls === 0 ? ' (everything was already catalogued)' : ''}.\n` +
      `Answers come from the ${analyser} stand-in analyser, not from Claude.\n`,
  );
  if (values['exit-when-idle']) {
    await demo.close();
    return EXIT.ok;
  }
  out.write(
    `\n${demo.web ? `Browse the catalogue: ${demo.web.url}\n` : ''}` +
      `Upload more and watch them arrive (any S3 client works), e.g.:\n` +
      `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${s.endpoints.s3} s3 cp photo.jpg s3://${s.bucket}/\n` +
      `Ask about one image: ${Object.entries(s.env)
        .filter(([k]) => /ENDPOINT|AWS_/.test(k))
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')} npm run analyze -- s3://${s.bucket}/rocket.jpg\n` +
      `Worker log: ${dataDir}/worker.log. Ctrl-C stops.\n`,
  );
  demo.worker.worker.on('outcome', (o) => {
    out.write(`  ${o.outcome.padEnd(10)} ${o.key}${o.reason ? ` (${o.reason})` : ''}\n`);
  });
  await new Promise<void>((resolve) => {
    const stop = () => {
      out.write('\nStopping (finishing in-flight work)…\n');
      demo.close().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return EXIT.ok;
});
