/**
 * The message attributes a dead letter carries, written by the worker (worker/adapters/SqsDeadLetterSink.ts) and read
 * by the dead-letter tool (scripts/deadletters.ts), which groups by reason and redrives.
 */
export const DEAD_LETTER_ATTRIBUTES = {
  reason: 'catalogue-reason',
  code: 'catalogue-error-code',
  sourceMessageId: 'catalogue-source-message-id',
  attempts: 'catalogue-failed-attempts',
} as const;

/**
 * On a message in the work queue: how many times the worker really tried it and failed. SQS's own
 * ApproximateReceiveCount also counts receives that were never attempted (a worker killed while holding a batch), so
 * the worker counts its failures itself and dead-letters on those (worker/consumer/Redelivery.ts).
 */
export const ATTEMPTS_ATTRIBUTE = 'catalogue-attempts';
