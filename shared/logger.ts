import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured logs: JSON lines (one per record outcome in the worker), pretty-printed when stdout is a terminal.
 * `format: 'auto'` picks pretty on a TTY and JSON otherwise.
 */
export function createLogger(
  options: { level?: string; format?: 'auto' | 'json' | 'pretty'; name?: string } = {},
  destination?: pino.DestinationStream,
): Logger {
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true && !destination);
  const base: pino.LoggerOptions = {
    level: options.level ?? 'info',
    name: options.name,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err },
  };
  if (pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return destination ? pino(base, destination) : pino(base);
}
