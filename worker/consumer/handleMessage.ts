import type { Message } from '@aws-sdk/client-sqs';
import { itemId } from '../../shared/catalogue.ts';
import type { Logger } from '../../shared/logger.ts';
import { parseQueueMessage } from '../../shared/messages.ts';
import type { DeadLetterSink } from '../adapters/SqsDeadLetterSink.ts';
import { outcomeOfError } from '../pipeline/errorOutcome.ts';
import type { KeyedMutex } from '../pipeline/KeyedMutex.ts';
import { needsRedelivery, type Outcome } from '../pipeline/outcome.ts';
import { type PipelineDeps, processEvent } from '../pipeline/processEvent.ts';
import { attemptsOf } from './Redelivery.ts';

/** What to do with the message after handling it. */
export type MessageVerdict =
  | { action: 'ack'; outcomes: Outcome[]; deadLettered?: string }
  /** Leave it on the queue; make it visible again after `delaySeconds`. */
  | {
      action: 'release';
      outcomes: Outcome[];
      delaySeconds: number;
      /** Set when the attempt failed outside any record's outcome. */
      failure?: { reason: string; code: string };
    };

export interface MessageHandlerDeps {
  pipeline: PipelineDeps;
  deadLetters: DeadLetterSink;
  logger: Logger;
  onOutcome?: (o: Outcome) => void;
  /** Serialises records of the same object within this process (see KeyedMutex). */
  locks?: KeyedMutex;
  /** Redelivery delay for a message whose records must be retried. */
  retryDelaySeconds?: (receiveCount: number) => number;
}

/** Retry later with a growing, jittered delay: 2 s, 4 s, 8 s … up to 5 minutes. */
export function defaultRetryDelaySeconds(receiveCount: number, random: () => number = Math.random): number {
  const ceiling = Math.min(300, 2 ** Math.max(1, receiveCount));
  return Math.max(1, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}

/**
 * Handles one SQS message: parse (poison → DLQ at once, with the reason), then each record through the pipeline in
 * order (records of one message may be about the same key). Acknowledged unless a record must be retried.
 */
export async function handleQueueMessage(
  message: Message,
  deps: MessageHandlerDeps,
  signal?: AbortSignal,
): Promise<MessageVerdict> {
  const log = deps.logger.child({ messageId: message.MessageId });
  let parsed: ReturnType<typeof parseQueueMessage>;
  try {
    parsed = parseQueueMessage(message.Body);
  } catch (error) {
    const o = outcomeOfError(error);
    // Only the message's own fault sends it to the DLQ; anything else is the queue worker's to settle.
    if (o.outcome !== 'poison') throw error;
    await deps.deadLetters.send(message.Body ?? '', {
      reason: o.reason,
      code: o.reasonCode,
      messageId: message.MessageId,
    });
    log.warn({ outcome: 'poison', reason: o.reason }, 'poison message moved to the DLQ');
    return { action: 'ack', outcomes: [], deadLettered: o.reason };
  }
  if (parsed.kind === 'test') {
    log.info({ outcome: 'test-event' }, 's3:TestEvent acknowledged');
    return { action: 'ack', outcomes: [] };
  }
  const outcomes: Outcome[] = [];
  for (const event of parsed.events) {
    const run = () => processEvent(event, deps.pipeline, signal);
    const o = deps.locks ? await deps.locks.run(itemId(event.bucket, event.key), run) : await run();
    outcomes.push(o);
    deps.onOutcome?.(o);
    const line = {
      key: o.key,
      bucket: o.bucket,
      outcome: o.outcome,
      reason: o.reason,
      reasonCode: o.reasonCode,
      inputTokens: o.inputTokens,
      outputTokens: o.outputTokens,
      modelCalls: o.modelCalls,
      ms: o.ms,
      source: event.source,
    };
    if (o.outcome === 'failed') log.error(line, 'record failed');
    else if (o.outcome === 'retry' || o.outcome === 'rejected') log.warn(line, `record ${o.outcome}`);
    else log.info(line, `record ${o.outcome}`);
  }
  if (outcomes.some(needsRedelivery)) {
    // Paused model calls (configuration fault, daily budget): hand the message straight back, not counted as a
    // failed attempt; the paused worker takes no more until the model answers again.
    const paused = outcomes.some((o) => o.reasonCode === 'MODEL_PAUSED');
    // Otherwise the worker's own count of failed attempts (this one included), not SQS's receives: see Redelivery.ts.
    const failures = attemptsOf(message) + 1;
    const delaySeconds = paused ? 0 : (deps.retryDelaySeconds ?? defaultRetryDelaySeconds)(failures);
    return { action: 'release', outcomes, delaySeconds };
  }
  let deadLettered: string | undefined;
  if (parsed.invalid.length > 0) {
    // The valid records are done; keep the unreadable ones for a human, with why.
    deadLettered = parsed.invalid.map((i) => `record #${i.index}: ${i.reason}`).join(' | ');
    await deps.deadLetters.send(message.Body ?? '', {
      reason: deadLettered,
      code: 'POISON_RECORDS',
      messageId: message.MessageId,
    });
    log.warn({ outcome: 'poison', reason: deadLettered }, 'unreadable records moved to the DLQ');
  }
  return { action: 'ack', outcomes, deadLettered };
}
