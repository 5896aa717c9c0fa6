/**
 * A budget of bytes held at once: the object bodies fetched and not yet prepared. Up to 40 messages are in flight
 * per process and each body may be IMAGE_MAX_BYTES (50 MB by default), far more than a 2 GB task holds, while a
 * prepared image is at most 3.75 MB; so a body is admitted only when the budget has room for it, and its bytes are
 * given back as soon as the image is prepared (or the fetch fails), not when the model answers.
 *
 * First come, first served: a large body waiting at the head of the queue is not overtaken by small ones, so it
 * cannot starve. A request larger than the whole budget waits until nothing else is held and then goes alone.
 */
export class ByteBudget {
  private held = 0;
  private peak = 0;
  private readonly waiting: Array<{ bytes: number; admit: () => void }> = [];

  constructor(readonly total: number) {
    if (!Number.isSafeInteger(total) || total < 1) throw new RangeError(`byte budget must be >= 1, got ${total}`);
  }

  /** Bytes held now. */
  get inUse(): number {
    return this.held;
  }

  /** Most bytes held at once since the start. */
  get highWater(): number {
    return this.peak;
  }

  /** Requests waiting for room. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Waits until `bytes` fit, takes them and returns their lease. Rejects with the signal's reason when aborted while
   * waiting (nothing is then held).
   */
  async acquire(bytes: number, signal?: AbortSignal): Promise<ByteLease> {
    const want = Math.min(Math.max(0, Math.ceil(bytes)), this.total);
    signal?.throwIfAborted();
    if (this.waiting.length === 0 && this.fits(want)) {
      this.take(want);
      return new ByteLease(this, want);
    }
    await new Promise<void>((resolve, reject) => {
      const entry = {
        bytes: want,
        admit: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(entry);
        if (at >= 0) this.waiting.splice(at, 1);
        this.drain();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
    return new ByteLease(this, want);
  }

  /** @internal Gives bytes back and admits whoever now fits. */
  give(bytes: number): void {
    this.held -= bytes;
    this.drain();
  }

  private fits(bytes: number): boolean {
    return this.held === 0 || this.held + bytes <= this.total;
  }

  private take(bytes: number): void {
    this.held += bytes;
    this.peak = Math.max(this.peak, this.held);
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      this.take(next.bytes);
      next.admit();
    }
  }
}

/** Bytes taken from a {@link ByteBudget}: shrink it to what was really fetched, release it once prepared. */
export class ByteLease {
  private released = false;

  constructor(
    private readonly budget: ByteBudget,
    private bytes: number,
  ) {}

  /** Gives back what the body did not need (the reservation was the size announced, or the cap when unknown). */
  shrinkTo(actual: number): void {
    if (this.released || actual >= this.bytes) return;
    const surplus = this.bytes - Math.max(0, actual);
    this.bytes -= surplus;
    this.budget.give(surplus);
  }

  /** Gives everything back. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.give(this.bytes);
  }
}
