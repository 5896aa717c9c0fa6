/**
 * Runs tasks with the same key one after another, and tasks with different keys in parallel. The worker uses it per
 * object id, so two deliveries of the same event in one process never both call the model: the second waits, then
 * finds the item written and is skipped. Across processes, the lease taken before the model call (claim.ts) does the
 * same, and the conditional writes keep the table right.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with a task running or waiting. */
  get size(): number {
    return this.tails.size;
  }
}
