import { describe, expect, it } from 'vitest';
import { QuotaKeeper, type QuotaTicket } from '../../../local/bedrock/quota.ts';

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';

function keeper(quota: { rpm?: number; tpm?: number; outputBurndown?: number }) {
  const clock = { now: 0 };
  const q = new QuotaKeeper({ minuteMs: 1000, quota, now: () => clock.now });
  return { q, clock };
}

function admitted(q: QuotaKeeper, tokens: number, model = MODEL): QuotaTicket {
  const a = q.admit(model, tokens);
  if (!a.ok) throw new Error(`expected admission, got ${a.reason}`);
  return a.ticket;
}

describe('QuotaKeeper', () => {
  it('throttles the request past rpm within a rolling minute, and admits again once the oldest leaves it', () => {
    const { q, clock } = keeper({ rpm: 3, tpm: 1_000_000 });
    for (const t of [0, 100, 200]) {
      clock.now = t;
      admitted(q, 10);
    }

    clock.now = 999;
    expect(q.admit(MODEL, 10)).toMatchObject({ ok: false, reason: 'requests' });
    clock.now = 1000;
    expect(q.admit(MODEL, 10).ok).toBe(true);
    expect(q.admit(MODEL, 10).ok).toBe(false);
  });

  it('reserves input + max_tokens at the start and frees the rest when the request settles', () => {
    const { q } = keeper({ rpm: 100, tpm: 1000 });
    const first = admitted(q, 600);

    expect(q.admit(MODEL, 600)).toMatchObject({ ok: false, reason: 'tokens' });
    q.settle(first, { inputTokens: 200, outputTokens: 100 });
    expect(q.admit(MODEL, 600).ok).toBe(true);
    expect(q.stats().models[MODEL]?.window).toEqual({ requests: 2, tokens: 900 });
  });

  it('counts output tokens times the burndown', () => {
    const { q } = keeper({ tpm: 10_000, outputBurndown: 5 });
    q.settle(admitted(q, 1000), { inputTokens: 100, outputTokens: 100 });

    expect(q.stats().models[MODEL]).toMatchObject({ tokensSettled: 600, window: { tokens: 600 } });
  });

  it('keeps the request but gives the tokens back on release', () => {
    const { q } = keeper({ rpm: 1, tpm: 1000 });
    q.release(admitted(q, 900));

    expect(q.stats().models[MODEL]?.window).toEqual({ requests: 1, tokens: 0 });
    expect(q.admit(MODEL, 10)).toMatchObject({ ok: false, reason: 'requests' });
  });

  it('settles a request that outlived the window without touching the current window', () => {
    const { q, clock } = keeper({ tpm: 1000 });
    const slow = admitted(q, 900);
    clock.now = 1500;
    admitted(q, 900);
    q.settle(slow, { inputTokens: 10, outputTokens: 10 });

    expect(q.stats().models[MODEL]?.window.tokens).toBe(900);
    expect(q.admit(MODEL, 200).ok).toBe(false);
  });

  it('keeps a quota per model, changeable at run time', () => {
    const { q } = keeper({ rpm: 1 });
    q.setQuota({ rpm: 2 }, 'us.anthropic.claude-3-haiku-20240307-v1:0');
    admitted(q, 1);
    admitted(q, 1, 'us.anthropic.claude-3-haiku-20240307-v1:0');
    admitted(q, 1, 'us.anthropic.claude-3-haiku-20240307-v1:0');

    expect(q.admit(MODEL, 1).ok).toBe(false);
    q.setQuota({ rpm: 5 });
    expect(q.admit(MODEL, 1).ok).toBe(true);
    expect(q.quotaOf('us.anthropic.claude-3-haiku-20240307-v1:0').rpm).toBe(2);
    expect(() => q.setQuota({ rpm: 0 })).toThrow();
  });

  it('fills per-minute buckets, with empty ones for quiet minutes, and forgets everything on reset', () => {
    const { q, clock } = keeper({ rpm: 2, tpm: 1000 });
    q.settle(admitted(q, 100), { inputTokens: 30, outputTokens: 20 });
    q.admit(MODEL, 100);
    q.admit(MODEL, 100);
    clock.now = 2500;
    admitted(q, 100);

    const minutes = q.stats().models[MODEL]?.minutes ?? [];
    expect(minutes.map((m) => [m.minute, m.requests, m.accepted, m.throttledRequests])).toEqual([
      [0, 3, 2, 1],
      [1, 0, 0, 0],
      [2, 1, 1, 0],
    ]);
    expect(minutes[0]).toMatchObject({ tokensReserved: 200, tokensSettled: 50, tokensCharged: 150, rpm: 2 });
    expect(q.stats().totals).toMatchObject({ requests: 4, accepted: 3, throttled: { requests: 1 }, inFlight: 2 });

    q.reset();
    expect(q.stats().models).toEqual({});
    expect(q.admit(MODEL, 100).ok).toBe(true);
  });

  it('ignores a ticket settled twice or from before a reset', () => {
    const { q } = keeper({ tpm: 1000 });
    const ticket = admitted(q, 500);
    q.settle(ticket, { inputTokens: 100, outputTokens: 0 });
    q.settle(ticket, { inputTokens: 900, outputTokens: 0 });
    const old = admitted(q, 500);
    q.reset();
    q.settle(old, { inputTokens: 1, outputTokens: 1 });

    expect(q.stats().totals.tokensSettled).toBe(0);
    expect(q.admit(MODEL, 1000).ok).toBe(true);
  });
});
