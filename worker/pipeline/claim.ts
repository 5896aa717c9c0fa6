import { randomUUID } from 'node:crypto';
import type { CatalogueStore } from '../ports.ts';

/**
 * A short lease taken before paying the model, so that two processes receiving the same content at the same moment
 * pay once: the first takes the lease and calls the model; the second waits until the first's result is stored (and
 * uses it) or the lease is given back or runs out (a killed worker), then takes it itself. The lease is renewed
 * while its holder works, so only a dead holder's lease runs out.
 */

export interface ClaimOptions {
  /** Lease length, ms; renewed every third of it while held. Default 30 s. */
  leaseMs?: number;
  /** Longest wait for another holder, ms; then the record is retried later. Default 60 s. */
  maxWaitMs?: number;
  /** Pause between looks while waiting, ms (jittered). Default 250. */
  pollMs?: number;
}

export type ClaimResult<T> =
  /** Ours: do the work, then `release()`. */
  | { status: 'held'; release: () => Promise<void> }
  /** Another holder finished meanwhile: here is what it left. */
  | { status: 'settled'; value: T }
  /** Another holder still has it after `maxWaitMs`. */
  | { status: 'busy' };

/**
 * Takes the lease `claimId`, or waits for `settled()` to report the other holder's result.
 * `settled` is asked after every failed attempt and once more after a successful one (the other holder may have
 * finished and released just before).
 */
export async function claimOrWait<T>(
  store: CatalogueStore,
  claimId: string,
  settled: () => Promise<T | undefined>,
  options: ClaimOptions = {},
  signal?: AbortSignal,
): Promise<ClaimResult<T>> {
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 250;
  const deadline = Date.now() + (options.maxWaitMs ?? 60_000);
  const owner = randomUUID();
  for (;;) {
    signal?.throwIfAborted();
    if (await store.claim(claimId, owner, leaseMs)) {
      const value = await settled();
      const release = holdLease(store, claimId, owner, leaseMs);
      if (value !== undefined) {
        await release();
        return { status: 'settled', value };
      }
      return { status: 'held', release };
    }
    const value = await settled();
    if (value !== undefined) return { status: 'settled', value };
    if (Date.now() > deadline) return { status: 'busy' };
    await sleep(pollMs / 2 + Math.random() * pollMs, signal);
  }
}

/** Renews the lease until released; returns the release function. */
function holdLease(store: CatalogueStore, claimId: string, owner: string, leaseMs: number): () => Promise<void> {
  const timer = setInterval(
    () => {
      // A failed renewal is not fatal: at worst the lease runs out and a second claimant pays too.
      store.claim(claimId, owner, leaseMs).catch(() => undefined);
    },
    Math.max(50, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  let released: Promise<void> | undefined;
  return () => {
    clearInterval(timer);
    released ??= store.release(claimId, owner).catch(() => undefined);
    return released;
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
