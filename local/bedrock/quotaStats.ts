import type { ModelQuota } from './modelQuota.ts';

/** What one quota "minute" (fixed buckets from the start or last reset) saw, for utilisation figures. */
export interface MinuteBucket {
  /** 0-based index of the minute since the start (or the last reset). */
  minute: number;
  /** Start of the minute, ms since the start (or the last reset). */
  startMs: number;
  /** The quota in force when the minute began (or was last changed during it). */
  rpm: number;
  tpm: number;
  requests: number;
  accepted: number;
  throttledRequests: number;
  throttledTokens: number;
  /** Tokens reserved at admission (input + max_tokens) of the requests accepted in this minute. */
  tokensReserved: number;
  /** Tokens those requests count for now: settled usage, or the reservation while still in flight. */
  tokensCharged: number;
  /** Settled usage (input + output × burndown) of the requests accepted in this minute that have finished. */
  tokensSettled: number;
  inputTokens: number;
  outputTokens: number;
}

export interface QuotaCounters {
  /** Admission attempts. */
  requests: number;
  accepted: number;
  /** Throttles by reason: requests or tokens per minute, tokens per day. */
  throttled: { requests: number; tokens: number; day: number };
  /** Requests admitted and not yet settled or released. */
  inFlight: number;
  inputTokens: number;
  outputTokens: number;
  tokensSettled: number;
}

export interface ModelQuotaStats extends QuotaCounters {
  quota: ModelQuota;
  /** What the rolling window holds right now. */
  window: { requests: number; tokens: number };
  minutes: MinuteBucket[];
}

export interface QuotaStats {
  minuteMs: number;
  default: ModelQuota;
  overrides: Record<string, Partial<ModelQuota>>;
  totals: QuotaCounters;
  models: Record<string, ModelQuotaStats>;
}

export function emptyCounters(): QuotaCounters {
  return {
    requests: 0,
    accepted: 0,
    throttled: { requests: 0, tokens: 0, day: 0 },
    inFlight: 0,
    inputTokens: 0,
    outputTokens: 0,
    tokensSettled: 0,
  };
}
