/**
 * The quota limiter's parts talk through {@link QuotaStore}: one implementation keeps its token buckets in this
 * process ({@link LocalTokenBucket}), one in Redis for the whole fleet ({@link RedisTokenBucket}), and one switches
 * between the two when Redis is unreachable ({@link FailoverQuotaStore}). They share one algorithm, described here.
 *
 * Two buckets per model, requests and tokens, refilled continuously at the admitted rate × the AIMD factor, created
 * in full debt (`-maxDebtMs` of quota: so a restart or a flush never lets a burst through, nor doubles the
 * reservations already taken ahead) and capped at a small burst. A reservation takes one
 * request and the estimated tokens at once, possibly into debt up to `maxDebtMs` ahead; the caller then sleeps the
 * returned wait before sending, so sends are paced at the rate even though reservations are made early. When the call
 * ends the unused tokens are credited back (capped at the burst), less the part that Bedrock's rolling minute still
 * held against the quota while the call ran (see QuotaLimiter). A throttle cuts the factor (multiplicative
 * decrease, at most once per cooldown) and pauses by putting the buckets into debt; the factor then climbs back
 * linearly with time (additive increase) to where that throttle struck, then more slowly above it, up to 1.
 */

/** Rates admitted at factor 1 (quota × target), per quota minute. */
export interface QuotaRates {
  requestsPerMinute: number;
  tokensPerMinute: number;
}

/**
 * Shape of the buckets and of AIMD. Durations are in quota time: ms of a real minute, scaled by `minuteMs / 60 000`
 * so that benchmarks against the stand-in's compressed minute behave alike.
 */
export interface BucketShape {
  /** Length of a quota minute, real ms. Default 60 000 (`QUOTA_MINUTE_MS`). */
  minuteMs: number;
  /**
   * Largest burst a bucket holds after idling. Default 250. A burst lands on top of a rolling minute already at the
   * target rate, so it must stay well inside the target's margin (2 % of a minute at QUOTA_TARGET 0.98).
   */
  burstMs: number;
  /**
   * How far ahead reservations may go into debt (requests then sleep until their turn). Default 1 000. It is also
   * what a bucket created after a restart or failover starts owing. It must outlast the event-loop stalls of a
   * process alone with its bucket (no Redis, or its share during a failover): a reservation that wakes later than
   * debt + burst after its turn finds the bucket capped, and that share of the quota is lost (at 500 the compressed
   * benchmark lost 17 % of the local shares).
   */
  maxDebtMs: number;
  /**
   * The pause after a throttle, as debt put on both buckets. Default 2 000. A throttle means the rolling minute is
   * over-full: the pause gives back what was over-sent, so the calls right behind are not throttled too (and the
   * memory rule below is not fooled by one episode into a deep cut).
   */
  pauseMs: number;
  /** Further throttles within this time of a decrease do not decrease again (they are the same congestion). Default 5 000. */
  cooldownMs: number;
  /**
   * Multiplicative decrease: factor × decrease on a throttle. Default 0.9. At the target most throttles come from
   * timing jitter at the edge of the rolling minute, not from a lower quota: a gentle cut with a quick climb back
   * costs ~5 % of a minute's quota (pause included), where 0.8 and 0.1/min cost ~23 % (docs/bench/quota.md).
   */
  decrease: number;
  /**
   * Additive increase: the factor climbs this much per quota minute since the last decrease, back up to the factor
   * at which that throttle struck. Default 0.3.
   */
  increasePerMinute: number;
  /**
   * Above the factor at which the last throttle struck, the factor climbs only this much per quota minute. Default
   * 0.1. An isolated throttle at the edge then costs only the fast climb back; a quota that really is lower throttles
   * again (see {@link BucketShape.memoryMs}) and is approached from below by probing.
   */
  probePerMinute: number;
  /**
   * A throttle within this time of the previous decrease means the quota really is lower than the rates (a rolling
   * minute echoes an overload about a minute later): that cut goes twice as deep (decrease²) and the factor then only
   * probes, with no fast climb. Default 60 000.
   */
  memoryMs: number;
  /** The factor never drops below this. Default 0.1. */
  minFactor: number;
}

export const DEFAULT_BUCKET_SHAPE: Readonly<BucketShape> = Object.freeze({
  minuteMs: 60_000,
  burstMs: 250,
  maxDebtMs: 1_000,
  pauseMs: 2_000,
  cooldownMs: 5_000,
  decrease: 0.9,
  increasePerMinute: 0.3,
  probePerMinute: 0.1,
  memoryMs: 60_000,
  minFactor: 0.1,
});

/** Fills in the defaults and checks the ranges. */
export function resolveShape(shape: Partial<BucketShape> = {}): BucketShape {
  const s = { ...DEFAULT_BUCKET_SHAPE, ...shape };
  const positive = ['minuteMs', 'decrease', 'minFactor'] as const;
  for (const k of positive) if (!(s[k] > 0)) throw new RangeError(`${k} must be > 0 (got ${s[k]})`);
  const nonNegative = [
    'burstMs',
    'maxDebtMs',
    'pauseMs',
    'cooldownMs',
    'increasePerMinute',
    'probePerMinute',
    'memoryMs',
  ] as const;
  for (const k of nonNegative) {
    if (!(s[k] >= 0)) throw new RangeError(`${k} must be >= 0 (got ${s[k]})`);
  }
  if (s.decrease > 1 || s.minFactor > 1) throw new RangeError('decrease and minFactor must be <= 1');
  return s;
}

export function checkRates(rates: QuotaRates): QuotaRates {
  if (!(rates.requestsPerMinute > 0) || !(rates.tokensPerMinute > 0)) {
    throw new RangeError(`rates must be > 0 (got ${JSON.stringify(rates)})`);
  }
  return { requestsPerMinute: rates.requestsPerMinute, tokensPerMinute: rates.tokensPerMinute };
}

/** Multiplies both rates (a per-worker share, a target fraction). */
export function scaleRates(rates: QuotaRates, by: number): QuotaRates {
  return { requestsPerMinute: rates.requestsPerMinute * by, tokensPerMinute: rates.tokensPerMinute * by };
}

/** The answer to a reservation. */
export type ReserveReply =
  | {
      admitted: true;
      /** Sleep this long (real ms) before sending: the reservation was taken ahead of the refill. */
      waitMs: number;
      /** The AIMD factor in force. */
      factor: number;
      /**
       * Credits tokens (and requests) back to the bucket that granted this reservation: the unused part of the
       * estimate when the call ends (negative to charge more), or everything when it was never sent.
       */
      refund(tokens: number, requests?: number): Promise<void>;
    }
  | {
      admitted: false;
      /** The buckets are too deep in debt: try again after this long (real ms). */
      waitMs: number;
      factor: number;
    };

/** Where the buckets live. */
export interface QuotaStore {
  /** `local`, `redis`, or `redis|local` for a failover store (its current mode is in {@link QuotaStore.mode}). */
  readonly name: string;
  /** Length of a quota minute, real ms. */
  readonly minuteMs: number;
  /** Takes one request and `tokens` tokens. Rejects only when the store itself failed. */
  reserve(tokens: number): Promise<ReserveReply>;
  /** A throttle was seen: multiplicative decrease and pause (once per cooldown). Resolves to the new factor. */
  throttled(): Promise<number>;
  /** Changes the fleet's admitted rates; takes effect at the next call. A local store applies its share. */
  setRates(rates: QuotaRates): void;
  /** The rates this store admits at factor 1 (a local store: its share). */
  rates(): QuotaRates;
  /** The last AIMD factor seen. */
  factor(): number;
  /** Which store answers now (`local` or `redis`). */
  mode(): 'local' | 'redis';
  /** How many times a failover store switched between Redis and the local share (others: absent). */
  switchCount?(): number;
  close(): Promise<void>;
}

/** The part of a pino logger the quota code uses. */
export interface QuotaLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const silentLogger: QuotaLogger = { info() {}, warn() {}, debug() {} };
