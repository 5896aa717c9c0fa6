import { EXIT, parseCommandLine, runMain } from '../shared/cli.ts';
import { loadConfig } from '../shared/config.ts';
import { ConfigError } from '../shared/errors.ts';
import { createLogger } from '../shared/logger.ts';
import { describeWebConfig, loadWebConfig } from './config.ts';
import { createWebServer } from './server.ts';

const HELP = `Usage: npm run web [-- --port N] [--host H]

Serves the catalogue browser: a page (thumbnail grid, category and status filters, search, detail view with the
labelled boxes) and its read-only JSON API under /api/ (see GET /api). Reads the catalogue table and presigns
thumbnail and image URLs; never writes anything. Point it at the local stack with the variables \`npm start\`
prints, or at AWS with the defaults.

Options:
  --port N     port to listen on (default WEB_PORT, 8080; 0 = any free port)
  --host H     interface to listen on (default WEB_HOST, 127.0.0.1)
  -h, --help   this text

Browser settings:
${describeWebConfig()}

Exit codes: 0 stopped by a signal, 1 failure (e.g. port in use), 2 bad arguments, 3 bad configuration.`;

runMain(async () => {
  const { values } = parseCommandLine(
    process.argv.slice(2),
    { port: { type: 'string' }, host: { type: 'string' } },
    HELP,
  );
  const env = { ...process.env };
  if (values.port !== undefined) env.WEB_PORT = values.port;
  if (values.host !== undefined) env.WEB_HOST = values.host;
  let web: ReturnType<typeof loadWebConfig>;
  try {
    web = loadWebConfig(env);
  } catch (error) {
    if (
      error instanceof ConfigError &&
      values.port !== undefined &&
      error.issues.some((i) => i.variable === 'WEB_PORT')
    ) {
      process.stderr.write(`--port must be a whole number from 0 to 65535 (got ${JSON.stringify(values.port)})\n`);
      return EXIT.usage;
    }
    throw error;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, format: config.log.format, name: 'web' });
  const server = await createWebServer({ config, web, port: web.port, host: web.host, logger });
  process.stdout.write(`catalogue browser: ${server.url}/\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      server.close().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return EXIT.ok;
});
