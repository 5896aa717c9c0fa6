import { type ParseArgsConfig, parseArgs } from 'node:util';
import { describeConfig } from './config.ts';
import { CatalogueError, ConfigError, ModelConfigurationError } from './errors.ts';

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 3, interrupted: 130 } as const;

/**
 * Parses argv for a command; prints `help` (and the environment variables, when `withEnv`) on --help.
 * Unknown options are a usage error (exit 2) with the help text.
 */
export function parseCommandLine<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  help: string,
  withEnv = true,
) {
  const all = { ...options, help: { type: 'boolean', short: 'h' } } as T & { help: { type: 'boolean'; short: 'h' } };
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof all; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: all, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${help}\n`);
    process.exit(EXIT.usage);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${help}\n${withEnv ? `\nEnvironment variables:\n${describeConfig()}\n` : ''}`);
    process.exit(EXIT.ok);
  }
  return parsed;
}

/** Runs a command's main, turning errors into a clear message and an exit code (never a bare stack trace). */
export function runMain(main: () => Promise<number | undefined>): void {
  main().then(
    (code) => {
      process.exitCode = code ?? EXIT.ok;
    },
    (error: unknown) => {
      if (error instanceof ConfigError || error instanceof ModelConfigurationError) {
        // One message that names the model, what is wrong and what to do; no stack trace.
        process.stderr.write(`${error.message}\n`);
        process.exit(EXIT.config);
      }
      const detail = error instanceof CatalogueError ? ` [${error.code}]` : '';
      process.stderr.write(`error${detail}: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(EXIT.failure);
    },
  );
}
