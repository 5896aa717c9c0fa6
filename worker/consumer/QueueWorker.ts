import { EventEmitter } from 'node:events';
import { ChangeMessageVisibilityCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { outcomeOfError } from '../pipeline/errorOutcome.ts';
import { KeyedMutex } from '../pipeline/KeyedMutex.ts';
import { OUTCOME_KINDS, type Outcome, type OutcomeKind } from '../pipeline/outcome.ts';
import { defaultRetryDelaySeconds, handleQueueMessage, type MessageHandlerDeps } from './handleMessage.ts';

/** Thrown inside the consumer's handler to leave a message on the queue; the delay is set by the consumer. */
class ReleaseMessage extends Error {}

export interface QueueWorkerOptions {
  queueUrl: string;
  sqs: SQSClient;
  consumer: Config['consumer'];
  handler: Omit<MessageHandlerDeps, 'onOutcome'>;
  logger: Logger;
}

export interface WorkerStats {
  inFlight: number;
  messages: number;
  poison: number;
  outcomes: Record<OutcomeKind, number>;
  inputTokens: number;
  outputTokens: number;
}

/**
 * The queue side of the worker: several `sqs-consumer` instances in one process (it has no concurrency option,
 * and a batch waits for its slowest message, so N consumers × batch size messages are in flight), visibility
 * heartbeats, and a graceful stop. Emits 'outcome' (Outcome) per record and 'message' per handled message.
 */
export class QueueWorker extends EventEmitter {
  private readonly consumers: Consumer[] = [];
  private readonly work = new AbortController();
  private readonly idleWaiters = new Set<() => void>();
  private readonly locks = new KeyedMutex();
  readonly stats: WorkerStats = {
    inFlight: 0,
    messages: 0,
    poison: 0,
    outcomes: Object.fromEntries(OUTCOME_KINDS.map((k) => [k, 0])) as Record<OutcomeKind, number>,
    inputTokens: 0,
    outputTokens: 0,
  };
  private running = false;
  private paused = false;

  constructor(private readonly options: QueueWorkerOptions) {
    super();
    const c = options.consumer;
    for (let i = 0; i < c.consumers; i++) {
      const consumer = Consumer.create({
        queueUrl: options.queueUrl,
        sqs: options.sqs,
        batchSize: c.batchSize,
        waitTimeSeconds: c.waitTimeSeconds,
        visibilityTimeout: c.visibilityTimeoutSeconds,
        heartbeatInterval: c.heartbeatSeconds,
        handleMessageTimeout: c.handlerTimeoutSeconds * 1000,
        messageSystemAttributeNames: ['ApproximateReceiveCount'],
        handleMessage: (message) => this.handle(message),
      });
      consumer.on('error', (err) => options.logger.error({ err, consumer: i }, 'SQS error'));
      consumer.on('processing_error', (err) => {
        if (!(err.cause instanceof ReleaseMessage) && !(err instanceof ReleaseMessage)) {
          options.logger.error({ err, consumer: i }, 'message handler failed; message released');
        }
      });
      consumer.on('timeout_error', (err) => options.logger.error({ err, consumer: i }, 'message handler timed out'));
      this.consumers.push(consumer);
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.paused) for (const c of this.consumers) c.start();
    this.options.logger.info(
      { queueUrl: this.options.queueUrl, consumers: this.consumers.length, batchSize: this.options.consumer.batchSize },
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
   * Graceful stop: no new polls; in-flight messages get `deadlineMs` to finish; what is still running then is
   * aborted and released at once (visibility 0), so another worker picks it up. Resolves when nothing is in flight.
   */
  async stop(deadlineMs = this.options.consumer.shutdownTimeoutSeconds * 1000): Promise<{ released: number }> {
    if (!this.running) return { released: 0 };
    this.running = false;
    for (const c of this.consumers) c.stop();
    this.options.logger.info({ inFlight: this.stats.inFlight, deadlineMs }, 'stopping: finishing in-flight work');
    const finished = await this.waitIdle(deadlineMs);
    let released = 0;
    if (!finished) {
      released = this.stats.inFlight;
      this.options.logger.warn({ released }, 'shutdown deadline passed: releasing unfinished messages');
      this.work.abort(new Error('worker shutting down'));
      await this.waitIdle(10_000);
    }
    // Now nothing needs an acknowledgement: abort the pending long polls so no message is received and then left
    // invisible by a process that is going away.
    for (const c of this.consumers) (c as unknown as { abortController?: AbortController }).abortController?.abort();
    this.options.logger.info({ released, stats: this.stats }, 'worker stopped');
    return { released };
  }

  /** Makes the message visible again after `delaySeconds` (0: at once). Best effort: on failure SQS's timeout does it. */
  private async release(message: Message, delaySeconds: number): Promise<void> {
    try {
      await this.options.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.options.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: delaySeconds,
        }),
      );
    } catch (err) {
      this.options.logger.warn(
        { err, messageId: message.MessageId },
        'could not release the message; it reappears after its visibility timeout',
      );
    }
  }

  /**
   * When a message whose handler threw should come back. Our own stop: at once, so another worker takes it now rather
   * than after the visibility timeout. Anything else (the DLQ unreachable, a bug): like any retry, after a growing
   * delay, so a fault that repeats does not spin.
   */
  private releaseDelay(message: Message, error: unknown): number {
    if (outcomeOfError(error, this.work.signal).outcome === 'abort') return 0;
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
    return (this.options.handler.retryDelaySeconds ?? defaultRetryDelaySeconds)(receiveCount);
  }

  private waitIdle(ms: number): Promise<boolean> {
    if (this.stats.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(done);
        resolve(false);
      }, ms);
      this.idleWaiters.add(done);
    });
  }

  private async handle(message: Message): Promise<Message> {
    this.stats.inFlight++;
    try {
      const verdict = await handleQueueMessage(
        message,
        {
          ...this.options.handler,
          locks: this.locks,
          onOutcome: (o: Outcome) => {
            this.stats.outcomes[o.outcome]++;
            this.stats.inputTokens += o.inputTokens ?? 0;
            this.stats.outputTokens += o.outputTokens ?? 0;
            this.emit('outcome', o);
          },
        },
        this.work.signal,
      );
      this.stats.messages++;
      if (verdict.action === 'ack' && verdict.deadLettered !== undefined && verdict.outcomes.length === 0) {
        this.stats.poison++;
      }
      this.emit('message', { messageId: message.MessageId, ...verdict });
      if (verdict.action === 'release') {
        await this.release(message, verdict.delaySeconds);
        throw new ReleaseMessage(`released for retry in ${verdict.delaySeconds}s`);
      }
      return message;
    } catch (error) {
      // Done here, before the in-flight count drops, so a stop cannot cut the release off.
      if (!(error instanceof ReleaseMessage)) await this.release(message, this.releaseDelay(message, error));
      throw error;
    } finally {
      this.stats.inFlight--;
      if (this.stats.inFlight === 0) for (const w of [...this.idleWaiters]) w();
    }
  }
}
