import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config.ts';
import { PREFETCH_HORIZON_SECONDS, planPrefetch } from '../../../worker/consumer/prefetch.ts';

const plan = (env: Record<string, string>) => planPrefetch(loadConfig(env));

describe('planPrefetch: hold only what can be started soon', () => {
  it('holds what the quota share starts within the horizon, not a fixed 4 × 10', () => {
    // 60 requests/min for the fleet at target 1, 4 processes: 0.25 requests/s each → 3 messages in 10 s.
    const p = plan({ QUOTA_RPM: '60', QUOTA_TARGET: '1', FLEET_SIZE: '4' });
    expect(p.requestsPerSecond).toBeCloseTo(0.25, 5);
    expect(p.prefetch).toBe(Math.ceil(0.25 * PREFETCH_HORIZON_SECONDS));
    expect(p.consumers * p.batchSize).toBe(p.prefetch);
  });

  it('a tokens-per-minute quota binds when it is the smaller one', () => {
    const byRequests = plan({ QUOTA_RPM: '600', QUOTA_TPM: '100000000', QUOTA_TARGET: '1' });
    const byTokens = plan({ QUOTA_RPM: '600', QUOTA_TPM: '40000', QUOTA_TARGET: '1' });
    expect(byRequests.requestsPerSecond).toBeCloseTo(10, 5);
    expect(byTokens.requestsPerSecond).toBeLessThan(1);
    expect(byTokens.prefetch).toBeLessThan(byRequests.prefetch);
  });

  it('never holds more than the calls a process may have in flight, and at least one', () => {
    expect(plan({ QUOTA_RPM: '1000000', QUOTA_TPM: '1000000000', LIMITER_MAX_CONCURRENCY: '12' }).prefetch).toBe(12);
    expect(plan({ QUOTA_RPM: '1', FLEET_SIZE: '100' }).prefetch).toBe(1);
  });

  it('a compressed quota minute (the stand-in) scales the rate', () => {
    const real = plan({ QUOTA_RPM: '60', QUOTA_TARGET: '1' });
    const fast = plan({ QUOTA_RPM: '60', QUOTA_TARGET: '1', QUOTA_MINUTE_MS: '6000' });
    expect(fast.requestsPerSecond).toBeCloseTo(real.requestsPerSecond * 10, 5);
  });

  it('spreads the prefetch over several small batches, and explicit settings win', () => {
    const p = plan({ WORKER_PREFETCH: '8' });
    expect(p).toMatchObject({ prefetch: 8, consumers: 4, batchSize: 2 });
    expect(plan({ WORKER_PREFETCH: '64' })).toMatchObject({ consumers: 7, batchSize: 9, prefetch: 63 });
    expect(plan({ WORKER_CONSUMERS: '3', WORKER_BATCH_SIZE: '5' })).toMatchObject({ prefetch: 15 });
  });
});
