import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { Counts, emptyCounts } from './counts.ts';
import { CheckpointError } from './errors.ts';
import { type BackfillOptions, selectionHash, selectionOf } from './options.ts';
import { Shard } from './shards.ts';

/**
 * The checkpoint of a run: for each key range, the cursor (last key whose fate is committed) and whether it is done,
 * plus the counts committed up to those cursors. A key is committed only once the SendMessageBatch that carried it
 * succeeded (or once it was skipped), and a range's cursor only moves over a contiguous run of committed keys, so a
 * resumed run never skips a key. See README "Backfill" for the exact guarantee.
 */
export const CheckpointState = z.object({
  version: z.literal(1),
  /** The options that decide which keys are enqueued; a checkpoint only resumes the same selection. */
  selection: z.record(z.string(), z.unknown()),
  selectionHash: z.string(),
  bucket: z.string(),
  queueUrl: z.string(),
  analysisVersion: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  /** Runs that worked on this checkpoint, this one included. */
  runs: z.number().int().min(1),
  complete: z.boolean(),
  shards: z.array(Shard),
  committed: Counts,
});
export type CheckpointState = z.infer<typeof CheckpointState>;

/** Reads a checkpoint; undefined when the file does not exist. @throws CheckpointError when it is unusable. */
export async function readCheckpoint(file: string): Promise<CheckpointState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointError(`cannot read checkpoint ${file}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`checkpoint ${file} is not JSON (use --restart to start over)`, { cause: error });
  }
  const parsed = CheckpointState.safeParse(json);
  if (!parsed.success) {
    throw new CheckpointError(`checkpoint ${file} is malformed (use --restart to start over): ${parsed.error.message}`);
  }
  return parsed.data;
}

/**
 * Writes a file atomically: a temporary file in the same folder, fsync, then rename over the target. A reader (or a
 * resumed run after kill -9) sees either the old checkpoint or the new one, never a torn one.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Saves snapshots of a changing state without piling up writes: one write at a time; a request made during a write
 * is served by one more write of the newest state when it ends.
 */
export class CheckpointWriter {
  writes = 0;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private failure: unknown;
  /** Callers of {@link durable} waiting for the next write to finish. */
  private waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(
    private readonly file: string,
    private readonly snapshot: () => CheckpointState,
  ) {}

  /** Asks for a save of the current state. Errors surface at the next {@link flush} or {@link durable}. */
  request(): void {
    this.dirty = true;
    this.writing ??= this.loop();
  }

  /** Asks for a save of the current state and resolves once one that includes it is on disk. */
  durable(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.request();
    return done;
  }

  /** Resolves when everything requested so far is on disk. @throws the first write error. */
  async flush(): Promise<void> {
    if (this.dirty) this.request();
    while (this.writing) await this.writing;
    if (this.failure !== undefined) throw this.failure;
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        // The snapshot is taken now: whoever asked before this point is covered by this write.
        const waiters = this.waiters.splice(0);
        try {
          await writeFileAtomic(this.file, `${JSON.stringify(this.snapshot(), null, 1)}\n`);
        } catch (error) {
          for (const w of waiters) w.reject(error);
          throw error;
        }
        this.writes++;
        for (const w of waiters) w.resolve();
      }
    } catch (error) {
      this.failure ??= error;
      for (const w of this.waiters.splice(0)) w.reject(error);
    } finally {
      this.writing = undefined;
    }
  }
}

/** The state of a run that starts from nothing. */
export function newCheckpointState(
  o: BackfillOptions,
  target: { queueUrl: string; analysisVersion: string },
  shards: Shard[],
  at = new Date().toISOString(),
): CheckpointState {
  return {
    version: 1,
    selection: selectionOf(o),
    selectionHash: selectionHash(o),
    bucket: o.bucket,
    queueUrl: target.queueUrl,
    analysisVersion: target.analysisVersion,
    startedAt: at,
    updatedAt: at,
    runs: 1,
    complete: false,
    shards,
    committed: emptyCounts(),
  };
}
