import { EXIT, parseCommandLine, runMain } from '../shared/cli.ts';

const HELP = `Usage: npm run deadletters -- <list|redrive|purge> [options]

The dead-letter queue (DLQ_URL, or found from QUEUE_URL's redrive policy), for an operator.

  list      read every message, group by reason (the worker's catalogue-error-code; SQS_MAX_RECEIVES for messages
            SQS moved after maxReceiveCount receives), show sample reasons and keys; changes nothing
  redrive   send the messages back to the work queue (QUEUE_URL). Each is re-checked against the bucket first
            (HeadObject): a message about an object that has changed or is gone since is dropped, not redriven;
            an unreadable (poison) message stays in the DLQ
  purge     delete every message in the DLQ (asks for --yes)

Options
  --dry-run       redrive: say what would be redriven, dropped and kept; send and delete nothing
  --limit N       redrive: at most N messages in this run
  --move-task     redrive with SQS's StartMessageMoveTask (server side, fast, no re-check: the worker drops stale
                  messages itself); falls back to the message-by-message redrive where the endpoint lacks it (the
                  local stand-in), and says so
  --yes           purge: really delete
  --json          print only the final JSON line

Progress goes to stderr as JSON lines every second; the result to stdout, then one JSON line.
Exit codes: 0 done, 1 failure, 2 usage (or purge without --yes), 3 configuration.`;

const OPTIONS = {
  'dry-run': { type: 'boolean' },
  limit: { type: 'string' },
  'move-task': { type: 'boolean' },
  yes: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function usage(message: string): never {
  process.stderr.write(`${message}\n\nRun with --help for the options.\n`);
  process.exit(EXIT.usage);
}

async function main(): Promise<number> {
  const { values: v, positionals } = parseCommandLine(process.argv.slice(2), OPTIONS, HELP);
  const [command, ...rest] = positionals;
  if (command !== 'list' && command !== 'redrive' && command !== 'purge') usage('say list, redrive or purge');
  if (rest.length > 0) usage(`unexpected argument: ${rest[0]}`);
  const limit = v.limit === undefined ? undefined : Number(v.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) usage('--limit must be a whole number ≥ 1');
  // Loaded only now: the AWS SDK takes a while to import, which --help and a usage error need not wait for.
  const [{ loadConfig, requireConfig }, { createLogger }, worker, { DeadLetterQueue }, commands, { formatResult }] =
    await Promise.all([
      import('../shared/config.ts'),
      import('../shared/logger.ts'),
      import('../worker/index.ts'),
      import('./deadletters/DeadLetterQueue.ts'),
      import('./deadletters/commands.ts'),
      import('./deadletters/report.ts'),
    ]);
  const config = requireConfig(loadConfig(), ['queueUrl']);
  const logger = createLogger({ level: config.log.level, format: 'json', name: 'deadletters' }, process.stderr);
  const clients = worker.createClients(config);
  try {
    const dlqUrl = config.dlqUrl ?? (await worker.discoverDeadLetterQueue(clients.sqs, config.queueUrl));
    const dlq = new DeadLetterQueue(clients.sqs, dlqUrl, config.queueUrl);
    let last = 0;
    const progress = (p: object) => {
      if (Date.now() - last < 1000) return;
      last = Date.now();
      logger.info({ progress: p }, `${command}: progress`);
    };
    let result: object;
    if (command === 'list') {
      result = { list: await commands.listDeadLetters(dlq, (seen) => progress({ seen })) };
    } else if (command === 'redrive') {
      result = {
        redrive: await commands.redriveDeadLetters(dlq, {
          dryRun: v['dry-run'] ?? false,
          limit,
          moveTask: v['move-task'] ?? false,
          s3: clients.s3,
          logger,
          onProgress: progress,
        }),
      };
    } else {
      const count = await dlq.count();
      if (!v.yes) usage(`the DLQ holds about ${count} messages; purge deletes them all: add --yes to confirm`);
      await dlq.purge();
      result = { purge: { deleted: count } };
    }
    process.stdout.write(`${v.json ? '' : `${formatResult(result)}\n`}${JSON.stringify(result)}\n`);
    return EXIT.ok;
  } finally {
    worker.destroyClients(clients);
  }
}

runMain(main);
