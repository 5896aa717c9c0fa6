import { TransientError } from './errors.ts';

/** The HTTP status of an AWS SDK v3 exception, when it has one. */
export function httpStatusOf(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  return meta?.httpStatusCode;
}

export function errorName(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? 'Error';
}

/** Wraps an unexpected SDK failure of a dependency as a retryable TransientError, keeping the cause. */
export function transient(what: string, error: unknown, context: Record<string, unknown> = {}): TransientError {
  const status = httpStatusOf(error);
  return new TransientError(
    `${what} failed: ${errorName(error)}${status ? ` (HTTP ${status})` : ''}: ${(error as Error)?.message ?? String(error)}`,
    {
      cause: error,
      context: { ...context, awsError: errorName(error), httpStatus: status },
    },
  );
}
