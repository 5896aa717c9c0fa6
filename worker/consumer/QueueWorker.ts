import { EventEmitter } from 'node:events';
import { ChangeMessageVisibilityCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { Config } from '../../shared/config.ts';
import { ATTEMPTS_ATTRIBUTE } from '../../shared/deadLetters.ts';
import type { Logger } from '../../shared/logger.ts';
import { outcomeOfError } from '../pipeline/errorOutcome.ts';
import { KeyedMutex } from '../pipeline/KeyedMutex.ts';
import { OUTCOME_KINDS, type Outcome, type OutcomeKind } from '../pipeline/outcome.ts';
import {
  defaultRetryDelaySeconds,
  handleQueueMessage,
  type MessageHandlerDeps,
  type MessageVerdict,
} from './handleMessage.ts';
import { attemptsOf, Redelivery } from './Redelivery.ts';
import { isAbortError, isGoneMessageError, waitUntil } from './stopping.ts';

/** Thrown inside the consumer's handler to leave a message to us, not to sqs-consumer's delete. */
class ReleaseMessage extends Error {}

export interface QueueWorkerOptions {
  queueUrl: string;
  sqs: SQSClient;
  /** The consumer settings with the split of the prefetch resolved (prefetch.ts). */
  consumer: Config['consumer'] & { consumers: number; batchSize: number };
  handler: Omit<MessageHandlerDeps, 'onOutcome'>;
  logger: Logger;
}

export interface WorkerStats {
  inFlight: number;
  messages: number;
  poison: number;
  /** Messages put back for another try after a failed attempt (attempt count + 1). */
  retried: number;
  /** Messages dead-lettered after MESSAGE_MAX_ATTEMPTS failed attempts. */
  gaveUp: number;
  /** Messages handed back unattempted or unfinished because the worker was stopping (not counted as a receive). */
  handedBack: number;
  outcomes: Record<OutcomeKind, number>;
  inputTokens: number;
  outputTokens: number;
}

/**
 * The queue side of the worker: several `sqs-consumer` instances in one process (it has no concurrency option,
 * and a batch waits for its slowest message, so consumers × batch size messages are held: see prefetch.ts), visibility
 * heartbeats, the worker's own count of failed attempts (Redelivery.ts), and a graceful stop that acknowledges all it
 * finished. Emits 'outcome' (Outcome) per record and 'message' per handled message.
 */
export class QueueWorker extends EventEmitter {
  private readonly consumers: Consumer[] = [];
  private readonly work = new AbortController();
  private readonly locks = new KeyedMutex();
  private readonly redelivery: Redelivery;
  readonly stats: WorkerStats = {
    inFlight: 0,
    messages: 0,
    poison: 0,
    retried: 0,
    gaveUp: 0,
    handedBack: 0,
    outcomes: Object.fromEntries(OUTCOME_KINDS.map((k) => [k, 0])) as Record<OutcomeKind, number>,
    inputTokens: 0,
    outputTokens: 0,
  };
  private running = false;
  private stopping = false;
  private paused = false;

  constructor(private readonly options: QueueWorkerOptions) {
    super();
    this.redelivery = new Redelivery({
      sqs: options.sqs,
      queueUrl: options.queueUrl,
      deadLetters: options.handler.deadLetters,
      maxAttempts: options.consumer.messageMaxAttempts,
      logger: options.logger,
    });
    for (let i = 0; i < options.consumer.consumers; i++) this.consumers.push(this.createConsumer(i));
  }

  private createConsumer(i: number): Consumer {
    const c = this.options.consumer;
    const log = this.options.logger;
    const consumer = Consumer.create({
      queueUrl: this.options.queueUrl,
      sqs: this.options.sqs,
      batchSize: c.batchSize,
      waitTimeSeconds: c.waitTimeSeconds,
      visibilityTimeout: c.visibilityTimeoutSeconds,
      heartbeatInterval: c.heartbeatSeconds,
      handleMessageTimeout: c.handlerTimeoutSeconds * 1000,
      messageSystemAttributeNames: ['ApproximateReceiveCount'],
      messageAttributeNames: [ATTEMPTS_ATTRIBUTE],
      handleMessage: (message) => this.handle(message),
    });
    consumer.on('error', (err) => {
      // The last long polls are cut short on purpose once a stop has nothing left to acknowledge.
      if (this.stopping && isAbortError(err)) log.debug({ err, consumer: i }, 'long poll cut short by the stop');
      else if (isGoneMessageError(err)) log.debug({ err, consumer: i }, 'heartbeat after the message was settled');
      else log.error({ err, consumer: i }, 'SQS error');
    });
    consumer.on('processing_error', (err) => {
      if (!(err.cause instanceof ReleaseMessage) && !(err instanceof ReleaseMessage)) {
        log.error({ err, consumer: i }, 'message handler failed; message released');
      }
    });
    consumer.on('timeout_error', (err) => log.error({ err, consumer: i }, 'message handler timed out'));
    return consumer;
  }

  start(): void {
    if (this.running || this.stopping) return;
    this.running = true;
    if (!this.paused) for (const c of this.consumers) c.start();
    const { consumers, batchSize } = this.options.consumer;
    this.options.logger.info(
      { queueUrl: this.options.queueUrl, consumers, batchSize, prefetch: consumers * batchSize },
      'worker started',
    );
  }

  /**
   * Stops taking messages while the model is unavailable (see worker/model/ModelGate.ts). Messages already received
   * finish or are released by the pipeline; a poll already under way may still deliver a few, which are released.
   */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    for (const c of this.consumers) c.stop();
    this.options.logger.warn({ inFlight: this.stats.inFlight }, 'worker paused: not taking messages');
  }

  /** Takes messages again after {@link pause}. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.running) for (const c of this.consumers) c.start();
    this.options.logger.info('worker resumed: taking messages');
  }

  /** Whether the worker is paused. */
  isPaused(): boolean {
    return this.paused;
  }

  /**
   * Graceful stop: no new polls; in-flight messages get `deadlineMs` to finish, and each is acknowledged (its
   * DeleteMessage runs to the end: nothing is aborted while a consumer still works). What a last long poll brings in
   * after the stop is handed back at once, uncounted. Past the deadline, unfinished work is aborted and handed back
   * too, so another worker takes it now. Resolves when nothing is held.
   */
  async stop(deadlineMs = this.options.consumer.shutdownTimeoutSeconds * 1000): Promise<{ released: number }> {
    if (!this.running) return { released: 0 };
    this.running = false;
    this.stopping = true;
    for (const c of this.consumers) c.stop();
    const log = this.options.logger;
    log.info({ inFlight: this.stats.inFlight, deadlineMs }, 'stopping: finishing in-flight work');
    const before = this.stats.handedBack;
    if (!(await waitUntil(() => this.quiet(), deadlineMs))) {
      log.info({ unfinished: this.stats.inFlight }, 'shutdown deadline passed: handing unfinished messages back');
      this.work.abort(new Error('worker shutting down'));
      // The longest a consumer can still be busy: a long poll that has just begun, then a hand-back.
      await waitUntil(() => this.quiet(), (this.options.consumer.waitTimeSeconds + 10) * 1000);
    }
    // Nothing is left to acknowledge; a poll still pending would only receive for a process that is going away.
    for (const c of this.consumers) c.stop({ abort: true });
    const released = this.stats.handedBack - before;
    log.info({ released, stats: this.stats }, 'worker stopped');
    return { released };
  }

  /** Nothing in a handler and no consumer between a receive and its last delete. */
  private quiet(): boolean {
    return this.stats.inFlight === 0 && this.consumers.every((c) => !c.status.isPolling);
  }

  private async handle(message: Message): Promise<Message> {
    this.stats.inFlight++;
    try {
      // Received by a long poll that was under way when the stop began: never attempted, so not counted.
      if (!this.running) return await this.handBack(message);
      let verdict: MessageVerdict;
      try {
        verdict = await handleQueueMessage(message, this.handlerDeps(), this.work.signal);
      } catch (error) {
        const o = outcomeOfError(error, this.work.signal);
        if (o.outcome === 'abort') return await this.handBack(message);
        this.options.logger.error(
          { err: error, messageId: message.MessageId },
          'message handler failed; message released',
        );
        // Not an outcome the pipeline chose (the DLQ unreachable for a poison message, a bug): a failed attempt,
        // retried after a growing delay like any other, so a fault that repeats does not spin.
        const delaySeconds = (this.options.handler.retryDelaySeconds ?? defaultRetryDelaySeconds)(
          attemptsOf(message) + 1,
        );
        verdict = { action: 'release', outcomes: [], delaySeconds, failure: { reason: o.reason, code: o.reasonCode } };
      }
      this.count(message, verdict);
      // The model is paused (its configuration, its daily budget): no fault of the message's, so not counted.
      if (verdict.action === 'release' && verdict.outcomes.some((o) => o.reasonCode === 'MODEL_PAUSED')) {
        return await this.handBack(message);
      }
      if (verdict.action === 'release') await this.retryLater(message, verdict);
      return message;
    } finally {
      this.stats.inFlight--;
    }
  }

  /**
   * The worker is stopping: the message goes back at once (a fresh copy, so this receive is not counted), before
   * the in-flight count drops, so a stop cannot cut it off.
   */
  private async handBack(message: Message): Promise<never> {
    await this.redelivery.handBack(message);
    this.stats.handedBack++;
    throw new ReleaseMessage('handed back: the worker is stopping');
  }

  private handlerDeps(): MessageHandlerDeps {
    return {
      ...this.options.handler,
      locks: this.locks,
      onOutcome: (o: Outcome) => {
        this.stats.outcomes[o.outcome]++;
        this.stats.inputTokens += o.inputTokens ?? 0;
        this.stats.outputTokens += o.outputTokens ?? 0;
        this.emit('outcome', o);
      },
    };
  }

  private count(message: Message, verdict: MessageVerdict): void {
    this.stats.messages++;
    if (verdict.action === 'ack' && verdict.deadLettered !== undefined && verdict.outcomes.length === 0) {
      this.stats.poison++;
    }
    this.emit('message', { messageId: message.MessageId, ...verdict });
  }

  /**
   * A real attempt failed: a copy with the attempt count + 1 goes back (or, past MESSAGE_MAX_ATTEMPTS, to the DLQ
   * with the reason), and the original is acknowledged by the caller. When neither can be sent, the original is
   * left on the queue with the delay instead.
   */
  private async retryLater(message: Message, verdict: Extract<MessageVerdict, { action: 'release' }>) {
    const failed = verdict.outcomes.filter((o) => o.outcome === 'retry' || o.outcome === 'failed');
    const why = {
      reason:
        verdict.failure?.reason ?? (failed.map((o) => `${o.key}: ${o.reason ?? o.outcome}`).join(' | ') || 'retry'),
      code: verdict.failure?.code ?? failed[0]?.reasonCode ?? 'RETRY',
      delaySeconds: verdict.delaySeconds,
    };
    try {
      const done = await this.redelivery.retryLater(message, why);
      if (done === 'dead-lettered') {
        this.stats.gaveUp++;
        this.options.logger.error({ messageId: message.MessageId, ...why }, 'gave up: message moved to the DLQ');
      } else this.stats.retried++;
    } catch (error) {
      this.options.logger.warn({ err: error, messageId: message.MessageId }, 'could not requeue; leaving it as is');
      await this.options.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: this.options.queueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: why.delaySeconds,
          }),
        )
        .catch(() => undefined);
      throw new ReleaseMessage(`released for retry in ${why.delaySeconds}s`);
    }
  }
}
