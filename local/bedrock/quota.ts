import { DEFAULT_QUOTA, ModelQuota } from './modelQuota.ts';
import {
  emptyCounters,
  type MinuteBucket,
  type ModelQuotaStats,
  type QuotaCounters,
  type QuotaStats,
} from './quotaStats.ts';

export type { MinuteBucket, ModelQuotaStats, QuotaCounters, QuotaStats } from './quotaStats.ts';

type ThrottleReason = 'requests' | 'tokens' | 'day';

const THROTTLE_MESSAGES: Record<ThrottleReason, string> = {
  requests: 'Too many requests, please wait before trying again.',
  tokens: 'Too many tokens, please wait before trying again.',
  day: 'Too many tokens per day, please wait before trying again.',
};

/** A request's hold on the quota, from admission until it is settled or released. */
export interface QuotaTicket {
  readonly modelKey: string;
  readonly reserved: number;
  /** Quota weight of an output token for this request. */
  readonly burndown: number;
}

export type Admission = { ok: true; ticket: QuotaTicket } | { ok: false; reason: ThrottleReason; message: string };

export interface QuotaKeeperOptions {
  /** Length of a quota "minute" in ms; shorter compresses time for benchmarks. Default 60000. */
  minuteMs?: number;
  /** Quota of every model without an override. Default {@link DEFAULT_QUOTA}. */
  quota?: Partial<ModelQuota>;
  /** Per-model overrides, keyed by model id (inference-profile ids such as `us.anthropic...` are their own key). */
  models?: Record<string, Partial<ModelQuota>>;
  /** How many minute buckets to keep per model. Default 1440. */
  maxMinutes?: number;
  /** Monotonic clock in ms. Default `performance.now`. */
  now?: () => number;
}

interface Entry {
  at: number;
  tokens: number;
  inWindow: boolean;
  bucket: MinuteBucket;
}

class Ticket implements QuotaTicket {
  done = false;
  constructor(
    readonly modelKey: string,
    readonly reserved: number,
    readonly entry: Entry,
    readonly state: ModelState,
    readonly burndown: number,
  ) {}
}

interface ModelState {
  entries: Entry[];
  head: number;
  windowTokens: number;
  counters: QuotaCounters;
  minutes: MinuteBucket[];
}

/**
 * Bedrock's quota behaviour, per model, over a rolling minute: a request is admitted only if the requests started
 * in the last minute stay within `rpm` and their tokens plus its reservation (input + max_tokens) within `tpm`;
 * otherwise it is throttled (429). When it ends, its reservation is settled to the real usage (input + output ×
 * outputBurndown), which frees the difference for later requests while it is still inside the window.
 */
export class QuotaKeeper {
  readonly minuteMs: number;
  private readonly now: () => number;
  private readonly maxMinutes: number;
  private defaults: ModelQuota;
  /** Whether the default burndown was set explicitly (else each model's own, from the model table, applies). */
  private burndownSet: boolean;
  private overrides: Record<string, Partial<ModelQuota>>;
  private readonly models = new Map<string, ModelState>();
  private epoch: number;

  constructor(options: QuotaKeeperOptions = {}) {
    this.minuteMs = options.minuteMs ?? 60_000;
    if (!(this.minuteMs >= 1)) throw new RangeError('minuteMs must be at least 1');
    this.now = options.now ?? (() => performance.now());
    this.maxMinutes = options.maxMinutes ?? 1440;
    this.defaults = ModelQuota.parse({ ...DEFAULT_QUOTA, ...options.quota });
    this.burndownSet = options.quota?.outputBurndown !== undefined;
    this.overrides = {};
    for (const [model, quota] of Object.entries(options.models ?? {})) this.setQuota(quota, model);
    this.epoch = this.now();
  }

  /** The quota in force for a model. */
  quotaOf(modelKey: string): ModelQuota {
    return { ...this.defaults, ...this.overrides[modelKey] };
  }

  /**
   * Changes the quota at run time: of one model when `modelKey` is given, else the default of every model without
   * an override. Takes effect for the next admission; what the window already holds stays.
   */
  setQuota(patch: Partial<ModelQuota>, modelKey?: string): void {
    if (modelKey === undefined) {
      this.defaults = ModelQuota.parse({ ...this.defaults, ...patch });
      if (patch.outputBurndown !== undefined) this.burndownSet = true;
    } else {
      const merged = { ...this.overrides[modelKey], ...patch };
      ModelQuota.partial().parse(merged);
      this.overrides[modelKey] = merged;
    }
    for (const [key, state] of this.models) {
      const current = state.minutes.at(-1);
      if (current) Object.assign(current, { rpm: this.quotaOf(key).rpm, tpm: this.quotaOf(key).tpm });
    }
  }

  /**
   * Asks to start a request that reserves `reserveTokens` (input + max_tokens). `modelBurndown` is the model's own
   * burndown (the model table), used unless a burndown was set for this model or as the default.
   */
  admit(modelKey: string, reserveTokens: number, modelBurndown?: number): Admission {
    const now = this.now();
    const state = this.stateOf(modelKey);
    const quota = this.quotaOf(modelKey);
    this.prune(state, now);
    const bucket = this.bucketAt(state, modelKey, now);
    state.counters.requests++;
    bucket.requests++;
    const windowRequests = state.entries.length - state.head;
    let reason: ThrottleReason | undefined;
    if (quota.tpd !== undefined && this.dayTokens(state) + reserveTokens > quota.tpd) reason = 'day';
    else if (windowRequests + 1 > quota.rpm) reason = 'requests';
    else if (state.windowTokens + reserveTokens > quota.tpm) reason = 'tokens';
    if (reason) {
      state.counters.throttled[reason]++;
      if (reason === 'requests') bucket.throttledRequests++;
      else bucket.throttledTokens++;
      return { ok: false, reason, message: THROTTLE_MESSAGES[reason] };
    }
    const explicit =
      this.overrides[modelKey]?.outputBurndown ?? (this.burndownSet ? this.defaults.outputBurndown : undefined);
    const burndown = explicit ?? modelBurndown ?? this.defaults.outputBurndown;
    const entry: Entry = { at: now, tokens: reserveTokens, inWindow: true, bucket };
    state.entries.push(entry);
    state.windowTokens += reserveTokens;
    state.counters.accepted++;
    state.counters.inFlight++;
    bucket.accepted++;
    bucket.tokensReserved += reserveTokens;
    bucket.tokensCharged += reserveTokens;
    return { ok: true, ticket: new Ticket(modelKey, reserveTokens, entry, state, burndown) };
  }

  /** Tokens charged in the last 1,440 quota minutes (the kept minute buckets), for the daily budget. */
  private dayTokens(state: ModelState): number {
    let sum = 0;
    for (const m of state.minutes) sum += m.tokensCharged;
    return sum;
  }

  /** Ends a request with its real usage: it now counts input + output × outputBurndown. Idempotent. */
  settle(ticket: QuotaTicket, usage: { inputTokens: number; outputTokens: number }): void {
    const t = this.own(ticket);
    if (!t) return;
    const charged = usage.inputTokens + usage.outputTokens * t.burndown;
    this.finish(t, charged);
    const state = this.stateOf(t.modelKey);
    state.counters.inputTokens += usage.inputTokens;
    state.counters.outputTokens += usage.outputTokens;
    state.counters.tokensSettled += charged;
    t.entry.bucket.inputTokens += usage.inputTokens;
    t.entry.bucket.outputTokens += usage.outputTokens;
    t.entry.bucket.tokensSettled += charged;
  }

  /** Ends a request that did not reach the model (5xx before it ran): it keeps its request, charges `tokens`. */
  release(ticket: QuotaTicket, tokens = 0): void {
    const t = this.own(ticket);
    if (!t) return;
    this.finish(t, tokens);
    this.stateOf(t.modelKey).counters.tokensSettled += tokens;
    t.entry.bucket.tokensSettled += tokens;
  }

  /** Forgets every counter and the window (the quota settings stay). */
  reset(): void {
    this.models.clear();
    this.epoch = this.now();
  }

  stats(): QuotaStats {
    const now = this.now();
    const totals = emptyCounters();
    const models: Record<string, ModelQuotaStats> = {};
    for (const [key, state] of this.models) {
      this.prune(state, now);
      const c = state.counters;
      models[key] = {
        ...structuredClone(c),
        quota: this.quotaOf(key),
        window: { requests: state.entries.length - state.head, tokens: state.windowTokens },
        minutes: state.minutes.map((m) => ({ ...m })),
      };
      totals.requests += c.requests;
      totals.accepted += c.accepted;
      totals.throttled.requests += c.throttled.requests;
      totals.throttled.tokens += c.throttled.tokens;
      totals.throttled.day += c.throttled.day;
      totals.inFlight += c.inFlight;
      totals.inputTokens += c.inputTokens;
      totals.outputTokens += c.outputTokens;
      totals.tokensSettled += c.tokensSettled;
    }
    return {
      minuteMs: this.minuteMs,
      default: { ...this.defaults },
      overrides: structuredClone(this.overrides),
      totals,
      models,
    };
  }

  private own(ticket: QuotaTicket): Ticket | undefined {
    if (!(ticket instanceof Ticket) || ticket.done) return undefined;
    // A ticket from before a reset belongs to a forgotten window.
    if (this.models.get(ticket.modelKey) !== ticket.state) {
      ticket.done = true;
      return undefined;
    }
    return ticket;
  }

  private finish(ticket: Ticket, charged: number): void {
    ticket.done = true;
    const state = this.stateOf(ticket.modelKey);
    state.counters.inFlight--;
    const delta = charged - ticket.entry.tokens;
    ticket.entry.tokens = charged;
    ticket.entry.bucket.tokensCharged += delta;
    if (ticket.entry.inWindow) state.windowTokens += delta;
  }

  private stateOf(modelKey: string): ModelState {
    let state = this.models.get(modelKey);
    if (!state) {
      state = { entries: [], head: 0, windowTokens: 0, counters: emptyCounters(), minutes: [] };
      this.models.set(modelKey, state);
    }
    return state;
  }

  /** Drops the requests that started a minute or more ago from the rolling window. */
  private prune(state: ModelState, now: number): void {
    const cutoff = now - this.minuteMs;
    while (state.head < state.entries.length) {
      const entry = state.entries[state.head]!;
      if (entry.at > cutoff) break;
      entry.inWindow = false;
      state.windowTokens -= entry.tokens;
      state.head++;
    }
    if (state.head > 1024 && state.head * 2 > state.entries.length) {
      state.entries = state.entries.slice(state.head);
      state.head = 0;
    }
  }

  private bucketAt(state: ModelState, modelKey: string, now: number): MinuteBucket {
    const minute = Math.floor((now - this.epoch) / this.minuteMs);
    const last = state.minutes.at(-1);
    if (last && last.minute === minute) return last;
    // Quiet minutes get empty buckets, so a utilisation series has no holes.
    const first = Math.max(last ? last.minute + 1 : minute, minute - this.maxMinutes + 1);
    for (let m = first; m < minute; m++) state.minutes.push(this.emptyBucket(modelKey, m));
    const bucket = this.emptyBucket(modelKey, minute);
    state.minutes.push(bucket);
    if (state.minutes.length > this.maxMinutes) state.minutes.splice(0, state.minutes.length - this.maxMinutes);
    return bucket;
  }

  private emptyBucket(modelKey: string, minute: number): MinuteBucket {
    const quota = this.quotaOf(modelKey);
    return {
      minute,
      startMs: minute * this.minuteMs,
      rpm: quota.rpm,
      tpm: quota.tpm,
      requests: 0,
      accepted: 0,
      throttledRequests: 0,
      throttledTokens: 0,
      tokensReserved: 0,
      tokensCharged: 0,
      tokensSettled: 0,
      inputTokens: 0,
      outputTokens: 0,
    };
  }
}
