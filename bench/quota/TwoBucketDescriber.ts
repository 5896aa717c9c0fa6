import { ThrottledError, TransientError } from '../../shared/errors.ts';
import type { DescribeRequest, DescribeResult, Describer } from '../../worker/ports.ts';

/**
 * Baseline (c): the well-known "parallel processor" of rate-limited APIs (OpenAI's cookbook script
 * api_request_parallel_processor.py), as a decorator of the model port. Two buckets, requests and tokens, each
 * holding at most one minute's worth, start full and refill continuously; a request waits (first come, first served)
 * until both hold its estimate (input + max_tokens) and takes it for good (nothing is credited back when the call
 * ends); after a 429 no caller sends anything for `pauseMs` (15 s in the original), and the throttled request is
 * retried first, up to `maxAttempts` times in all (5 in the original). The script advises running it at 50-75 % of
 * the limits; the benchmark runs it at 75 %, each process with its share.
 */

interface TwoBucketRates {
  /** Requests per quota minute this process may send (limit × fraction × share). */
  requestsPerMinute: number;
  /** Tokens per quota minute this process may send. */
  tokensPerMinute: number;
}

export interface TwoBucketGateOptions extends TwoBucketRates {
  /** Length of a quota minute, real ms (the buckets refill one minute's worth per minute). */
  minuteMs: number;
  /** Pause of every caller after a throttle, real ms: 15 s × minuteMs / 60 000. */
  pauseMs: number;
  /** Clock, ms. Default `performance.now`. */
  now?: () => number;
}

/** The two buckets and the pause, with no timers: {@link TwoBucketGate.take} says how long to wait. */
export class TwoBucketGate {
  private readonly options: Required<TwoBucketGateOptions>;
  private requests: number;
  private tokens: number;
  private at: number;
  private pausedUntil = Number.NEGATIVE_INFINITY;
  private throttleCount = 0;

  constructor(options: TwoBucketGateOptions) {
    if (!(options.requestsPerMinute > 0) || !(options.tokensPerMinute > 0) || !(options.minuteMs > 0)) {
      throw new RangeError(`rates and minuteMs must be > 0 (got ${JSON.stringify(options)})`);
    }
    this.options = { now: () => performance.now(), ...options };
    // The original starts with full buckets: a minute's worth may go at once.
    this.requests = options.requestsPerMinute;
    this.tokens = options.tokensPerMinute;
    this.at = this.options.now();
  }

  /**
   * Takes one request and `tokens` tokens if both buckets hold them and no pause is on: returns 0. Otherwise takes
   * nothing and returns the ms to wait before asking again. An estimate above a whole minute's worth is capped at it
   * (the original would wait for ever).
   */
  take(tokens: number): number {
    const { requestsPerMinute: rpm, tokensPerMinute: tpm, minuteMs } = this.options;
    const now = this.refill();
    if (now < this.pausedUntil) return Math.ceil(this.pausedUntil - now);
    const need = Math.min(Math.max(0, tokens), tpm);
    if (this.requests >= 1 && this.tokens >= need) {
      this.requests -= 1;
      this.tokens -= need;
      return 0;
    }
    const requestWait = ((1 - this.requests) * minuteMs) / rpm;
    const tokenWait = ((need - this.tokens) * minuteMs) / tpm;
    return Math.max(1, Math.ceil(Math.max(requestWait, tokenWait)));
  }

  /** A 429 was seen: nobody sends for `pauseMs` from now. */
  throttled(): void {
    this.throttleCount += 1;
    this.pausedUntil = this.options.now() + this.options.pauseMs;
  }

  /** Current levels, for tests and logs. */
  levels(): { requests: number; tokens: number; paused: boolean; throttles: number } {
    const now = this.refill();
    return {
      requests: this.requests,
      tokens: this.tokens,
      paused: now < this.pausedUntil,
      throttles: this.throttleCount,
    };
  }

  private refill(): number {
    const { requestsPerMinute: rpm, tokensPerMinute: tpm, minuteMs } = this.options;
    const now = this.options.now();
    const elapsed = Math.max(0, now - this.at);
    this.at = now;
    this.requests = Math.min(rpm, this.requests + (elapsed * rpm) / minuteMs);
    this.tokens = Math.min(tpm, this.tokens + (elapsed * tpm) / minuteMs);
    return now;
  }
}

export interface TwoBucketDescriberOptions extends TwoBucketGateOptions {
  /** Attempts per call, the first included; only throttles and transient faults are retried. Default 5. */
  maxAttempts?: number;
  /** Tokens a request reserves: input + max_tokens (the worker's own estimator). */
  estimate: (request: DescribeRequest) => number;
  /** Timer, for tests. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

interface Waiter {
  tokens: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The parallel processor as a `wrapModel` decorator: `Retrying(TwoBucket(Bedrock single attempt))`. */
export class TwoBucketDescriber implements Describer {
  readonly gate: TwoBucketGate;
  private readonly queue: Waiter[] = [];
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private pumping = false;

  constructor(
    private readonly inner: Describer,
    private readonly options: TwoBucketDescriberOptions,
  ) {
    this.gate = new TwoBucketGate(options);
    this.maxAttempts = options.maxAttempts ?? 5;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) throw new RangeError('maxAttempts must be >= 1');
    this.sleep = options.sleep ?? defaultSleep;
  }

  async describe(request: DescribeRequest): Promise<DescribeResult> {
    const tokens = this.options.estimate(request);
    for (let attempt = 1; ; attempt++) {
      // A retry goes to the head of the line, as the original's retry queue is served first.
      await this.acquire(tokens, attempt > 1, request.signal);
      try {
        const result = await this.inner.describe(request);
        return { ...result, attempts: attempt };
      } catch (error) {
        if (error instanceof ThrottledError) this.gate.throttled();
        const retryable = error instanceof ThrottledError || error instanceof TransientError;
        if (!retryable || attempt >= this.maxAttempts || request.signal?.aborted) throw error;
      }
    }
  }

  /** Calls waiting for the buckets. */
  waiting(): number {
    return this.queue.length;
  }

  private acquire(tokens: number, first: boolean, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { tokens, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      if (first) this.queue.unshift(waiter);
      else this.queue.push(waiter);
      void this.pump();
    });
  }

  /** One loop for the process releases the head of the line whenever both buckets allow it. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let head = this.queue[0]; head !== undefined; head = this.queue[0]) {
        const wait = this.gate.take(head.tokens);
        if (wait > 0) {
          await this.sleep(wait);
          continue;
        }
        this.queue.shift();
        if (head.onAbort) head.signal?.removeEventListener('abort', head.onAbort);
        head.resolve();
      }
    } finally {
      this.pumping = false;
    }
  }
}
