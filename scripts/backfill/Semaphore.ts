/** A counting semaphore: at most `size` holders at once, the others wait in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: ((granted: boolean) => void)[] = [];

  constructor(private readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`semaphore size must be a positive integer: ${size}`);
  }

  /** Holders right now. */
  get inUse(): number {
    return this.active;
  }

  /** Takes a slot, waiting for one; false (and no slot) when `signal` aborts first. */
  async acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    if (this.active < this.size) {
      this.active++;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(false);
      };
      const grant = (granted: boolean) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(granted);
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so `active` stays the same.
    if (next) next(true);
    else this.active--;
  }

  /** Runs `fn` holding a slot. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
