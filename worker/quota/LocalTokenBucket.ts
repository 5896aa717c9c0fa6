import {
  type BucketShape,
  checkRates,
  type QuotaRates,
  type QuotaStore,
  type ReserveReply,
  resolveShape,
  scaleRates,
} from './rates.ts';

export interface LocalTokenBucketOptions {
  /** Fleet rates admitted at factor 1, per quota minute (quota × target). */
  rates: QuotaRates;
  /** This process's part of them: 1 / FLEET_SIZE without a shared store. Default 1. */
  share?: number;
  /** Bucket and AIMD shape; see {@link BucketShape} for the defaults. */
  shape?: Partial<BucketShape>;
  /** Clock, ms. Default `Date.now` (tests may use fake timers). */
  now?: () => number;
}

interface Level {
  level: number;
  ts: number;
}

/** AIMD state: the factor after the last cut, when it was cut, and the factor at which that throttle struck. */
interface Aimd {
  base: number;
  since: number;
  cut: number;
  ceiling: number;
}

/**
 * The factor `minutes` after a cut: back up at `increase` per minute to the ceiling, then at `probe` above it, ≤ 1.
 * (The Lua script computes the same.)
 */
function climbedFactor(aimd: Omit<Aimd, 'since' | 'cut'>, minutes: number, increase: number, probe: number) {
  const fast = aimd.base + minutes * increase;
  if (fast <= aimd.ceiling) return Math.min(1, fast);
  return Math.min(1, aimd.ceiling + (minutes - (aimd.ceiling - aimd.base) / increase) * probe);
}

/**
 * The in-process twin of {@link RedisTokenBucket}'s Lua script, step for step: the quota store of a worker that has
 * no Redis, and the fallback of one whose Redis is unreachable.
 */
export class LocalTokenBucket implements QuotaStore {
  readonly name = 'local';
  private readonly shape: BucketShape;
  private readonly now: () => number;
  private readonly share: number;
  private current: QuotaRates;
  private tokens: Level | undefined;
  private requests: Level | undefined;
  private aimd: Aimd | undefined;
  private lastFactor = 1;

  constructor(options: LocalTokenBucketOptions) {
    this.shape = resolveShape(options.shape);
    this.now = options.now ?? Date.now;
    this.share = options.share ?? 1;
    if (!(this.share > 0 && this.share <= 1)) throw new RangeError(`share must be in (0, 1] (got ${this.share})`);
    this.current = scaleRates(checkRates(options.rates), this.share);
  }

  reserve(tokens: number): Promise<ReserveReply> {
    return Promise.resolve(this.step('reserve', tokens, 1));
  }

  async throttled(): Promise<number> {
    this.step('throttle', 0, 0);
    return this.lastFactor;
  }

  /** Sets the fleet rates; this bucket admits its share of them. */
  setRates(rates: QuotaRates): void {
    this.current = scaleRates(checkRates(rates), this.share);
  }

  /** This bucket's rates at factor 1 (the fleet rates × share). */
  get minuteMs(): number {
    return this.shape.minuteMs;
  }

  rates(): QuotaRates {
    return { ...this.current };
  }

  factor(): number {
    return this.lastFactor;
  }

  mode(): 'local' {
    return 'local';
  }

  /**
   * Forgets the buckets (the AIMD factor stays): they start again in full debt. For a fallback taking over from the
   * shared store, whose reservations taken ahead are still waiting for their turn.
   */
  reset(): void {
    this.tokens = undefined;
    this.requests = undefined;
  }

  async close(): Promise<void> {}

  private step(op: 'reserve' | 'refund' | 'throttle', a: number, b: number): ReserveReply {
    const { minuteMs, burstMs, maxDebtMs, pauseMs, cooldownMs, decrease, minFactor } = this.shape;
    const { increasePerMinute, probePerMinute, memoryMs } = this.shape;
    const burst = burstMs / 60_000;
    const debt = maxDebtMs / 60_000;
    const pause = pauseMs / 60_000;
    const now = this.now();
    const aimd = this.aimd;
    let factor = aimd
      ? climbedFactor(aimd, Math.max(0, now - aimd.since) / minuteMs, increasePerMinute, probePerMinute)
      : 1;
    const load = (state: Level | undefined, perMinute: number) => {
      const quota = perMinute * factor;
      // Created in full debt: a restart lets no burst through, nor overlaps reservations taken ahead elsewhere.
      const s = state ?? { level: -quota * debt, ts: now };
      const rate = quota / minuteMs;
      return { level: Math.min(quota * burst, s.level + Math.max(0, now - s.ts) * rate), rate, quota };
    };
    const t = load(this.tokens, this.current.tokensPerMinute);
    const r = load(this.requests, this.current.requestsPerMinute);
    let admitted = true;
    let wait = 0;
    if (op === 'reserve') {
      if (t.level >= -t.quota * debt && r.level >= -r.quota * debt) {
        t.level -= a;
        r.level -= b;
        wait = Math.max(0, -t.level / t.rate, -r.level / r.rate);
      } else {
        admitted = false;
        wait = Math.max(0, (-t.quota * debt - t.level) / t.rate, (-r.quota * debt - r.level) / r.rate);
      }
    } else if (op === 'refund') {
      t.level = Math.min(t.quota * burst, t.level + a);
      r.level = Math.min(r.quota * burst, r.level + b);
    } else if (aimd === undefined || now - aimd.cut >= (cooldownMs * minuteMs) / 60_000) {
      // A throttle soon after the last cut: the quota really is lower, cut deeper and only probe back up.
      const again = aimd !== undefined && now - aimd.cut < (memoryMs * minuteMs) / 60_000;
      const struck = factor;
      factor = Math.max(minFactor, factor * (again ? decrease * decrease : decrease));
      this.aimd = { base: factor, since: now, cut: now, ceiling: again ? factor : struck };
      t.level = Math.min(t.level, 0) - this.current.tokensPerMinute * factor * pause;
      r.level = Math.min(r.level, 0) - this.current.requestsPerMinute * factor * pause;
    }
    this.tokens = { level: t.level, ts: now };
    this.requests = { level: r.level, ts: now };
    this.lastFactor = factor;
    const waitMs = Math.ceil(wait);
    if (!admitted) return { admitted: false, waitMs, factor };
    return {
      admitted: true,
      waitMs,
      factor,
      refund: async (tokens: number, requests = 0) => {
        this.step('refund', tokens, requests);
      },
    };
  }
}
