import type { EventEmitter } from 'node:events';
import type { Outcome } from '../../worker/pipeline/outcome.ts';

/** What QueueWorker emits as 'message' once a message is handled. */
export interface HandledMessage {
  messageId?: string;
  action: 'ack' | 'release';
  outcomes: Outcome[];
  deadLettered?: string;
}

export interface WaitOptions {
  /** Consider only what was recorded at or after this mark (from {@link OutcomeSpy.mark}). Default 0: everything. */
  since?: number;
  /** Generous by default: a busy 2-core machine is slow, not wrong. Default 60 s. */
  timeoutMs?: number;
}

/**
 * Records the outcomes (and handled messages) that workers emit, and lets a test wait for the outcome of a given key
 * instead of polling (after message-queue-toolkit's HandlerSpy). A wait resolves at the event that satisfies it, or
 * at once if that already happened; it fails after a deadline with what was seen, so a red test says why.
 */
export class OutcomeSpy {
  readonly outcomes: Outcome[] = [];
  readonly messages: HandledMessage[] = [];
  private readonly waiters = new Set<() => void>();

  /** Listens to a worker's 'outcome' and 'message' events. */
  attach(worker: EventEmitter): this {
    worker.on('outcome', (o: Outcome) => this.record(o));
    worker.on('message', (m: HandledMessage) => {
      this.messages.push(m);
      this.notify();
    });
    return this;
  }

  record(o: Outcome): void {
    this.outcomes.push(o);
    this.notify();
  }

  /** A mark to wait for outcomes recorded from now on. */
  mark(): number {
    return this.outcomes.length;
  }

  /** The first outcome of `key` that satisfies `predicate` (recorded since the mark). */
  waitForOutcome(
    key: string,
    predicate: (o: Outcome) => boolean = () => true,
    options: WaitOptions = {},
  ): Promise<Outcome> {
    return this.until(
      () => this.outcomes.slice(options.since ?? 0).find((o) => o.key === key && predicate(o)),
      `an outcome of ${JSON.stringify(key)}`,
      options.timeoutMs,
    );
  }

  /** The first `count` outcomes that satisfy `predicate` (recorded since the mark), in the order they happened. */
  waitForOutcomes(
    count: number,
    predicate: (o: Outcome) => boolean = () => true,
    options: WaitOptions = {},
  ): Promise<Outcome[]> {
    return this.until(
      () => {
        const found = this.outcomes.slice(options.since ?? 0).filter(predicate);
        return found.length >= count ? found.slice(0, count) : undefined;
      },
      `${count} outcomes`,
      options.timeoutMs,
    );
  }

  /** The first `count` handled messages that satisfy `predicate` (all of them, not since a mark). */
  waitForMessages(
    count: number,
    predicate: (m: HandledMessage) => boolean,
    timeoutMs?: number,
  ): Promise<HandledMessage[]> {
    return this.until(
      () => {
        const found = this.messages.filter(predicate);
        return found.length >= count ? found.slice(0, count) : undefined;
      },
      `${count} handled messages`,
      timeoutMs,
    );
  }

  private until<T>(check: () => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const waiter = () => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const seen = this.outcomes
          .slice(-10)
          .map((o) => `${o.key}: ${o.outcome}${o.reasonCode ? ` ${o.reasonCode}` : ''}`);
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last outcomes seen: ${seen.join(', ')}`),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}
