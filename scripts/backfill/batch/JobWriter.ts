import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RecordRef, recordIdOf } from './manifest.ts';

export interface JobLimits {
  maxRecordsPerJob: number;
  maxRecordsPerFile: number;
  maxFileBytes: number;
  maxJobBytes: number;
}

/** A job's files on local disk, ready to upload. */
export interface WrittenJob {
  index: number;
  files: string[];
  refs: RecordRef[];
  bytes: number;
}

/**
 * Writes JSONL part files to a temporary folder, one record a line, cutting a new file at the per-file record or
 * byte limit and a new job at the per-job ones. Images are written as they are prepared and never held together in
 * memory: a job of 50,000 images is gigabytes.
 */
export class JobWriter {
  readonly finished: WrittenJob[] = [];
  private current?: WrittenJob;
  private file?: { handle: FileHandle; records: number; bytes: number };

  private constructor(
    private readonly dir: string,
    private nextIndex: number,
    private readonly limits: JobLimits,
  ) {}

  static async create(firstIndex: number, limits: JobLimits): Promise<JobWriter> {
    return new JobWriter(await mkdtemp(join(tmpdir(), 'catalogue-batch-')), firstIndex, limits);
  }

  /** Appends one record; `ref` gets its recordId here. */
  async add(modelInput: unknown, ref: Omit<RecordRef, 'recordId'>): Promise<void> {
    const body = JSON.stringify(modelInput);
    // The recordId has a fixed length, so the line's size is known before the id is chosen.
    const bytes = Buffer.byteLength(body) + 40;
    const l = this.limits;
    const job = this.current;
    if (job && (job.refs.length + 1 > l.maxRecordsPerJob || job.bytes + bytes > l.maxJobBytes)) await this.closeJob();
    const f = this.file;
    if (f && (f.records + 1 > l.maxRecordsPerFile || f.bytes + bytes > l.maxFileBytes)) await this.closeFile();
    const target = this.current ?? this.openJob();
    if (!this.file) {
      const path = join(this.dir, `job-${target.index}-part-${String(target.files.length + 1).padStart(4, '0')}.jsonl`);
      target.files.push(path);
      this.file = { handle: await open(path, 'w'), records: 0, bytes: 0 };
    }
    const recordId = recordIdOf(target.index, target.refs.length);
    const line = `{"recordId":${JSON.stringify(recordId)},"modelInput":${body}}\n`;
    await this.file.handle.write(line);
    this.file.records++;
    this.file.bytes += Buffer.byteLength(line);
    target.bytes += Buffer.byteLength(line);
    target.refs.push({ ...ref, recordId });
  }

  /** Closes what is open; `finished` then holds every job written. */
  async finish(): Promise<WrittenJob[]> {
    await this.closeJob();
    return this.finished;
  }

  /** Removes the temporary folder. */
  async dispose(): Promise<void> {
    await this.file?.handle.close().catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }

  private openJob(): WrittenJob {
    this.current = { index: this.nextIndex++, files: [], refs: [], bytes: 0 };
    return this.current;
  }

  private async closeFile(): Promise<void> {
    await this.file?.handle.close();
    this.file = undefined;
  }

  private async closeJob(): Promise<void> {
    await this.closeFile();
    if (this.current && this.current.refs.length > 0) this.finished.push(this.current);
    this.current = undefined;
  }
}
