import { EventEmitter } from 'node:events';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { KeyedMutex } from '../pipeline/KeyedMutex.ts';
import { OUTCOME_KINDS, type Outcome, type OutcomeKind } from '../pipeline/outcome.ts';
import { handleQueueMessage, type MessageHandlerDeps } from './handleMessage.ts';

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
  private readonly releaseDelays = new Map<string, number>();
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
        // On any handler error the message is released: at once on shutdown or a crash, after a backoff delay when
        // its records asked to be retried later.
        terminateVisibilityTimeout: (messages: Message[]) => {
          const id = messages[0]?.MessageId ?? '';
          const delay = this.releaseDelays.get(id) ?? 0;
          this.releaseDelays.delete(id);
          return delay;
        },
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
    for (const c of this.consumers) c.start();
    this.options.logger.info(
      { queueUrl: this.options.queueUrl, consumers: this.consumers.length, batchSize: this.options.consumer.batchSize },
      'worker started',
    );
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
        this.releaseDelays.set(message.MessageId ?? '', verdict.delaySeconds);
        throw new ReleaseMessage(`released for retry in ${verdict.delaySeconds}s`);
      }
      return message;
    } finally {
      this.stats.inFlight--;
      if (this.stats.inFlight === 0) for (const w of [...this.idleWaiters]) w();
    }
  }
}
