import { EXIT } from '../../shared/cli.ts';
import { parseByteSize } from './options.ts';

/** Argument checks shared by the backfill's modes: a bad value is a usage error (exit 2). */
export function usage(message: string): never {
  process.stderr.write(`${message}\n\nRun with --help for the options.\n`);
  process.exit(EXIT.usage);
}

export function int(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 0) usage(`--${name} must be a whole number, got ${JSON.stringify(text)}`);
  return v;
}

export function money(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0) usage(`--${name} must be a price in dollars, got ${JSON.stringify(text)}`);
  return v;
}

export function bytes(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseByteSize(text);
  } catch (error) {
    usage(`--${name}: ${(error as Error).message}`);
  }
}
