import { EXIT, parseCommandLine, runMain } from '../shared/cli.ts';
import { loadConfig } from '../shared/config.ts';
import { createLogger } from '../shared/logger.ts';
import { createWorker } from './createWorker.ts';

const HELP = `Usage: npm run worker [-- --help]

Consumes the image queue (S3 event notifications, SNS/EventBridge-wrapped events, backfill messages), describes
each image with Claude on Amazon Bedrock within the quota, and writes the catalogue to DynamoDB.
Configured entirely by environment variables (below). SIGTERM/SIGINT stop it gracefully: no new messages,
in-flight work finishes within SHUTDOWN_TIMEOUT_SECONDS, the rest is released for another worker.

Exit codes: 0 stopped cleanly, 1 failure, 2 bad arguments, 3 bad configuration.`;

runMain(async () => {
  parseCommandLine(process.argv.slice(2), {}, HELP);
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, format: config.log.format, name: 'worker' });
  // Signals are handled from the start: a stop asked for during the start-up check exits cleanly, holding nothing.
  let stopping = false;
  let handle: Awaited<ReturnType<typeof createWorker>> | undefined;
  let stopped: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(
        { signal },
        'second signal: exiting now; unfinished messages reappear after their visibility timeout',
      );
      process.exit(EXIT.interrupted);
    }
    stopping = true;
    logger.info({ signal }, 'signal received: stopping gracefully');
    if (handle) handle.close().then(stopped, stopped);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  handle = await createWorker({ config, logger });
  if (stopping) await handle.close();
  else {
    handle.worker.start();
    await done;
  }
  return EXIT.ok;
});
