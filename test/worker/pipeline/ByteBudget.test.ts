import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../worker/pipeline/ByteBudget.ts';

const MB = 1024 * 1024;

describe('ByteBudget', () => {
  it('admits bodies while they fit and the next one when bytes are released', async () => {
    const budget = new ByteBudget(100 * MB);
    const a = await budget.acquire(50 * MB);
    const b = await budget.acquire(50 * MB);
    let admitted = false;
    const c = budget.acquire(10 * MB).then((lease) => {
      admitted = true;
      return lease;
    });
    await Promise.resolve();
    expect(admitted).toBe(false);
    expect(budget.queued).toBe(1);
    a.release();
    const lease = await c;
    expect(admitted).toBe(true);
    expect(budget.inUse).toBe(60 * MB);
    b.release();
    lease.release();
    lease.release(); // idempotent
    expect(budget.inUse).toBe(0);
    expect(budget.highWater).toBe(100 * MB);
  });

  it('serves first come first served: small requests do not overtake a large one waiting', async () => {
    const budget = new ByteBudget(100 * MB);
    const first = await budget.acquire(60 * MB);
    const order: string[] = [];
    const noting =
      (name: string) =>
      <T>(lease: T) => {
        order.push(name);
        return lease;
      };
    const large = budget.acquire(80 * MB).then(noting('large'));
    const small = budget.acquire(10 * MB).then(noting('small'));
    await Promise.resolve();
    expect(order).toEqual([]); // 10 MB would fit beside 60, but the 80 MB request came first
    first.release();
    (await large).release();
    (await small).release();
    expect(order).toEqual(['large', 'small']);
  });

  it('lets a body larger than the whole budget go alone rather than wait forever', async () => {
    const budget = new ByteBudget(10 * MB);
    const small = await budget.acquire(1 * MB);
    const huge = budget.acquire(500 * MB);
    small.release();
    const lease = await huge;
    expect(budget.inUse).toBe(10 * MB);
    lease.release();
  });

  it('gives back what a body did not need once its real size is known', async () => {
    const budget = new ByteBudget(100 * MB);
    const lease = await budget.acquire(50 * MB);
    lease.shrinkTo(2 * MB);
    expect(budget.inUse).toBe(2 * MB);
    lease.release();
    expect(budget.inUse).toBe(0);
  });

  it('forgets a waiter whose signal aborts, and admits those behind it', async () => {
    const budget = new ByteBudget(100 * MB);
    const held = await budget.acquire(90 * MB);
    const stop = new AbortController();
    const aborted = budget.acquire(50 * MB, stop.signal);
    const behind = budget.acquire(5 * MB);
    stop.abort(new Error('stopping'));
    await expect(aborted).rejects.toThrow('stopping');
    (await behind).release();
    held.release();
    expect(budget.inUse).toBe(0);
    expect(budget.queued).toBe(0);
  });
});
