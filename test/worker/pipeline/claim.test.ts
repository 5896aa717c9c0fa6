import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { claimOrWait } from '../../../worker/pipeline/claim.ts';
import { InMemoryStore } from '../../helpers/fakes.ts';

// The lease taken before paying the model (claim.ts), on the in-memory store whose claim rules the store contract
// suite checks against DynamoCatalogueStore. Time is faked: leases, renewals and waits are the subject here.

const ID = 'content/abc/v1';
const nothing = async () => undefined;

let store: InMemoryStore;
beforeEach(() => {
  vi.useFakeTimers();
  store = new InMemoryStore();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('claimOrWait', () => {
  it('takes a free lease, holds it under its own owner, and gives it back on release', async () => {
    const claim = await claimOrWait(store, ID, nothing, { leaseMs: 1000 });
    expect(claim.status).toBe('held');
    const held = store.claims.get(ID);
    expect(held?.until).toBe(Date.now() + 1000);
    // Another owner cannot take it meanwhile.
    expect(await store.claim(ID, 'someone else', 1000)).toBe(false);
    if (claim.status === 'held') await claim.release();
    expect(store.claims.has(ID)).toBe(false);
  });

  it('renews a held lease, so a live holder keeps it well past its length', async () => {
    const claim = await claimOrWait(store, ID, nothing, { leaseMs: 300 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(await store.claim(ID, 'someone else', 300)).toBe(false);
    if (claim.status === 'held') await claim.release();
    // Released: no renewal brings it back.
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.claims.has(ID)).toBe(false);
  });

  it('releases once however often release is called', async () => {
    const release = vi.spyOn(store, 'release');
    const claim = await claimOrWait(store, ID, nothing);
    if (claim.status !== 'held') throw new Error(`expected held, got ${claim.status}`);
    await Promise.all([claim.release(), claim.release()]);
    await claim.release();
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('waits for another holder and returns its result without taking the lease or paying', async () => {
    await store.claim(ID, 'other', 30_000);
    let result: string | undefined;
    const settled = vi.fn(async () => result);
    const waiting = claimOrWait(store, ID, settled, { pollMs: 100, maxWaitMs: 10_000 });
    await vi.advanceTimersByTimeAsync(500);
    expect(settled.mock.calls.length).toBeGreaterThan(1);
    result = 'theirs';
    await vi.advanceTimersByTimeAsync(200);
    await expect(waiting).resolves.toEqual({ status: 'settled', value: 'theirs' });
    expect(store.claims.get(ID)?.owner).toBe('other');
  });

  it('takes the lease once the other holder gives it back without a result', async () => {
    await store.claim(ID, 'other', 30_000);
    const waiting = claimOrWait(store, ID, nothing, { pollMs: 100, maxWaitMs: 10_000 });
    await vi.advanceTimersByTimeAsync(300);
    await store.release(ID, 'other');
    await vi.advanceTimersByTimeAsync(200);
    const claim = await waiting;
    expect(claim.status).toBe('held');
    expect(store.claims.get(ID)?.owner).not.toBe('other');
  });

  it("takes a dead holder's lease once it runs out", async () => {
    await store.claim(ID, 'dead', 1000);
    const waiting = claimOrWait(store, ID, nothing, { pollMs: 100, maxWaitMs: 10_000 });
    let done = false;
    void waiting.then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(800);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    expect((await waiting).status).toBe('held');
  });

  it('gives up as busy after maxWaitMs, leaving the lease to its holder', async () => {
    await store.claim(ID, 'other', 60_000);
    const waiting = claimOrWait(store, ID, nothing, { pollMs: 100, maxWaitMs: 2000 });
    let done = false;
    void waiting.then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(1500);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await waiting).toEqual({ status: 'busy' });
    expect(store.claims.get(ID)?.owner).toBe('other');
  });

  it('returns the result and gives the lease back when the other holder finished just before it was taken', async () => {
    const claim = await claimOrWait(store, ID, async () => 'theirs');
    expect(claim).toEqual({ status: 'settled', value: 'theirs' });
    expect(store.claims.has(ID)).toBe(false);
  });

  it('stops waiting when aborted, with the abort reason', async () => {
    await store.claim(ID, 'other', 60_000);
    const controller = new AbortController();
    const waiting = claimOrWait(store, ID, nothing, { pollMs: 100, maxWaitMs: 60_000 }, controller.signal);
    const outcome = waiting.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(300);
    controller.abort(new Error('stopping'));
    expect(await outcome).toEqual(new Error('stopping'));
  });

  it('does not start when already aborted', async () => {
    const claim = vi.spyOn(store, 'claim');
    await expect(claimOrWait(store, ID, nothing, {}, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    expect(claim).not.toHaveBeenCalled();
  });

  it('survives a failed renewal (the lease may run out; nothing throws)', async () => {
    const claim = await claimOrWait(store, ID, nothing, { leaseMs: 300 });
    const renewals = vi.spyOn(store, 'claim').mockRejectedValue(new Error('table unreachable'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(renewals).toHaveBeenCalled();
    renewals.mockRestore();
    // The failed renewals let the lease run out: another owner may now take it.
    expect(await store.claim(ID, 'someone else', 300)).toBe(true);
    if (claim.status === 'held') await claim.release();
  });
});
