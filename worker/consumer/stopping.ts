/** True for the error an aborted AWS SDK call throws (sqs-consumer wraps it as `SQSError`, keeping the message). */
export function isAbortError(error: unknown): boolean {
  const e = error as { name?: string; message?: string; cause?: unknown } | undefined;
  if (!e) return false;
  if (e.name === 'AbortError') return true;
  if (typeof e.message === 'string' && /Request aborted|aborted/i.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== error && isAbortError(e.cause);
}

/**
 * Resolves true as soon as `condition()` holds, false after `ms`. Checked every 50 ms: only used while stopping,
 * where sqs-consumer offers no event for "this consumer's poll and its deletes are over".
 */
export function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  if (condition()) return Promise.resolve(true);
  const deadline = Date.now() + ms;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (condition()) {
        clearInterval(timer);
        resolve(true);
      } else if (Date.now() >= deadline) {
        clearInterval(timer);
        resolve(false);
      }
    }, 50);
  });
}

/**
 * True for SQS's answer to a heartbeat (ChangeMessageVisibility) on a message that is already gone: sqs-consumer's
 * heartbeat timer can fire after the message was deleted or handed back as a fresh copy. Nothing is wrong then.
 */
export function isGoneMessageError(error: unknown): boolean {
  const message = (error as { message?: unknown } | undefined)?.message;
  return (
    typeof message === 'string' &&
    /visibility timeout/i.test(message) &&
    /does not exist|not available|ReceiptHandleIsInvalid|receipt handle/i.test(message)
  );
}
