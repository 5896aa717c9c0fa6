import { addCounts, type Counts } from './counts.ts';
import type { Unit } from './pagePlan.ts';
import type { Shard } from './shards.ts';

/**
 * Commits one range's units in key order. Units finish out of order (their batches run concurrently); the range's
 * cursor only moves over the longest prefix of finished units, so everything at or before the cursor is settled and
 * a resumed run, listing after the cursor, can only repeat finished work, never miss any.
 */
export class ShardProgress {
  private readonly open: { unit: Unit; done: boolean; onCommit?: () => void }[] = [];

  constructor(
    readonly shard: Shard,
    /** The run's committed counts; committed units are added to it. */
    private readonly committed: Counts,
  ) {}

  /** Units added but not yet committed. */
  get pending(): number {
    return this.open.length;
  }

  /**
   * Registers a unit; units must be added in key order. Returns its handle for {@link finish}. `onCommit` runs when
   * the cursor moves over the unit.
   */
  add(unit: Unit, onCommit?: () => void): object {
    const entry = { unit, done: false, onCommit };
    this.open.push(entry);
    return entry;
  }

  /** Marks a unit finished; returns true when the cursor moved. */
  finish(handle: object): boolean {
    (handle as { done: boolean }).done = true;
    let moved = false;
    while (this.open[0]?.done) {
      const { unit, onCommit } = this.open.shift()!;
      this.shard.cursor = unit.lastKey;
      addCounts(this.committed, unit.counts);
      onCommit?.();
      moved = true;
    }
    return moved;
  }
}
