import Bottleneck from 'bottleneck';
import type { QuotaLogger, QuotaRates, QuotaStore, ReserveReply } from './rates.ts';
import { silentLogger } from './rates.ts';

/** What a scheduled call hands back: its result and what it finally cost against the tokens quota. */
export interface Settled<T> {
  result: T;
  /** Tokens the call really used (input + output × burndown); the rest of the estimate is credited back. */
  usedTokens: number;
}

export interface QuotaLimiterOptions {
  /** Where the buckets live: LocalTokenBucket, RedisTokenBucket or FailoverQuotaStore. */
  store: QuotaStore;
  /** Model calls in flight (and waiting for their turn) in this process. Default 64 (`LIMITER_MAX_CONCURRENCY`). */
  maxConcurrency?: number;
  logger?: QuotaLogger;
}

/** A snapshot for logs, metrics and tests. Totals only grow. */
export interface QuotaStats {
  /** Calls sent and not yet finished. */
  inFlight: number;
  /** Calls holding a concurrency slot and waiting for the quota: to reserve (one at a time), or for their turn. */
  waiting: number;
  /** Calls waiting for a concurrency slot. */
  queued: number;
  /** Calls admitted (sent) so far. */
  admitted: number;
  /** Tokens reserved by admitted calls (estimates). */
  tokensReserved: number;
  /** Tokens finished calls really used (as settled). */
  tokensUsed: number;
  /** Throttles reported through {@link QuotaLimiter.onThrottle}. */
  throttles: number;
  /** Calls that threw (throttles included). */
  failures: number;
  /** The AIMD factor in force: admitted rate = rates × factor. */
  rateFactor: number;
  /** Which buckets answer now. */
  store: 'local' | 'redis';
  /** Switches between the shared Redis buckets and the local share. */
  storeSwitches: number;
}

export interface ScheduleOptions {
  /** Aborting before the call is sent gives the whole reservation back and rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Tokens a call that threw still used. Default: 0 (Bedrock releases a failed request's reservation); a model
   * answer that failed validation did spend its tokens.
   */
  usedOnError?: (error: unknown) => number;
}

type Admitted = Extract<ReserveReply, { admitted: true }>;

/** Admitted rates right now, per quota minute. */
export interface CurrentRate extends QuotaRates {
  factor: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 && !signal?.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Admits model calls within the requests/min and tokens/min quotas. Inside the process, `bottleneck` queues the
 * calls and bounds how many run at once; the rates come from the {@link QuotaStore} (this process's buckets, or the
 * fleet's in Redis): each call reserves one request and its estimated tokens, sleeps the wait the store returns,
 * runs, and settles to what it really used. A throttle slows the whole store down (AIMD), not just the one call.
 */
export class QuotaLimiter {
  private readonly store: QuotaStore;
  private readonly bottleneck: Bottleneck;
  private readonly logger: QuotaLogger;
  private reserving: Promise<void> = Promise.resolve();
  private counters = {
    inFlight: 0,
    waiting: 0,
    admitted: 0,
    tokensReserved: 0,
    tokensUsed: 0,
    throttles: 0,
    failures: 0,
  };

  constructor(options: QuotaLimiterOptions) {
    this.store = options.store;
    this.logger = options.logger ?? silentLogger;
    const maxConcurrent = options.maxConcurrency ?? 64;
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
      throw new RangeError(`maxConcurrency must be a positive integer (got ${maxConcurrent})`);
    }
    this.bottleneck = new Bottleneck({ maxConcurrent });
  }

  /**
   * Runs `fn` once the quota admits a call of `estimatedTokens`. `fn` returns its result and the tokens it really
   * used; if it throws, the reservation is settled to `usedOnError(error)` tokens (default 0; the request itself
   * still counts) and the error propagates.
   */
  schedule<T>(estimatedTokens: number, fn: () => Promise<Settled<T>>, options: ScheduleOptions = {}): Promise<T> {
    if (!(estimatedTokens >= 0) || !Number.isFinite(estimatedTokens)) {
      return Promise.reject(new RangeError(`estimatedTokens must be a finite number >= 0 (got ${estimatedTokens})`));
    }
    return this.bottleneck.schedule(() => this.run(Math.ceil(estimatedTokens), fn, options));
  }

  /** Reports a throttle (429): the whole limiter (and, with Redis, the whole fleet) backs off, then probes upward. */
  async onThrottle(): Promise<void> {
    this.counters.throttles += 1;
    try {
      const factor = await this.store.throttled();
      this.logger.debug({ factor }, 'throttled: admitted rate lowered');
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not record a throttle');
    }
  }

  /** Changes the fleet's admitted rates (quota × target) at run time; a local store applies its share. */
  setRates(rates: QuotaRates): void {
    this.store.setRates(rates);
  }

  currentRate(): CurrentRate {
    const rates = this.store.rates();
    const factor = this.store.factor();
    return {
      requestsPerMinute: rates.requestsPerMinute * factor,
      tokensPerMinute: rates.tokensPerMinute * factor,
      factor,
    };
  }

  stats(): QuotaStats {
    const counts = this.bottleneck.counts();
    return {
      ...this.counters,
      queued: counts.QUEUED + counts.RECEIVED,
      rateFactor: this.store.factor(),
      store: this.store.mode(),
      storeSwitches: this.store.switchCount?.() ?? 0,
    };
  }

  /** Stops admitting (queued calls are rejected) and closes the store; calls in flight finish on their own. */
  async close(): Promise<void> {
    await this.bottleneck.stop({ dropWaitingJobs: true });
    await this.store.close();
  }

  private async run<T>(tokens: number, fn: () => Promise<Settled<T>>, options: ScheduleOptions): Promise<T> {
    const c = this.counters;
    const reply = await this.admit(tokens, options.signal);
    c.admitted += 1;
    c.tokensReserved += tokens;
    c.inFlight += 1;
    const sentAt = Date.now();
    let used = 0;
    try {
      const settled = await fn();
      used = Math.max(0, settled.usedTokens);
      return settled.result;
    } catch (error) {
      c.failures += 1;
      used = Math.max(0, options.usedOnError?.(error) ?? 0);
      throw error;
    } finally {
      c.inFlight -= 1;
      c.tokensUsed += used;
      // Bedrock counts a call's reservation against its rolling minute for as long as the call runs, and only then its
      // real usage: in bucket terms the call cost used + (reserved - used) × duration / minute. Crediting back the
      // whole difference would let the fleet run over by everything its calls hold in flight.
      const held = Math.min(1, Math.max(0, Date.now() - sentAt) / this.store.minuteMs);
      const refund = (tokens - used) * (1 - held);
      // Not awaited: the caller should not wait for the store (a slow Redis would hold every result up).
      if (refund !== 0) void this.refund(reply, refund, 0);
    }
  }

  /**
   * Reserves (retrying while the buckets are too deep in debt), then sleeps until the reservation's turn. One caller
   * of this process reserves at a time, first come first served: the others wait here rather than all polling the
   * store at every wake-up.
   */
  private async admit(tokens: number, signal: AbortSignal | undefined): Promise<Admitted> {
    signal?.throwIfAborted();
    this.counters.waiting += 1;
    try {
      const reply = await this.serialised(async () => {
        signal?.throwIfAborted();
        let next = await this.store.reserve(tokens);
        while (!next.admitted) {
          await sleep(next.waitMs, signal);
          next = await this.store.reserve(tokens);
        }
        return next;
      });
      try {
        await sleep(reply.waitMs, signal);
      } catch (error) {
        // Never sent: give back the request and every token.
        await this.refund(reply, tokens, 1);
        throw error;
      }
      return reply;
    } finally {
      this.counters.waiting -= 1;
    }
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.reserving.then(fn);
    this.reserving = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async refund(reply: Admitted, tokens: number, requests: number): Promise<void> {
    try {
      await reply.refund(tokens, requests);
    } catch (error) {
      this.logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'quota refund lost');
    }
  }
}
