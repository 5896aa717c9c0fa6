import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ChildMessage, type ChildStats, type OutcomeRecord, type ParentMessage } from './ipc.ts';

const ENTRY = fileURLToPath(new URL('./workerProcess.ts', import.meta.url));

interface Member {
  child: ChildProcess;
  ready: Promise<void>;
  stopped: Promise<ChildStats>;
  started: boolean;
  stopping: boolean;
  /** The last lines the process wrote, for the error message when it dies. */
  tail: string[];
}

export interface FleetOptions {
  /** Environment of every process (config variables and BENCH_*), on top of this process's. */
  env: Record<string, string>;
  /** Called with each batch of record outcomes, in arrival order. */
  onOutcomes: (records: OutcomeRecord[]) => void;
}

/**
 * The worker processes of one scenario: real child processes of workerProcess.ts, each with its own event loop, SDK
 * clients and limiter. All are spawned (and built) up front and then started and stopped on cue, so a scale change
 * costs no start-up CPU in the middle of a measurement.
 */
export class WorkerFleet {
  private readonly members: Member[] = [];

  constructor(private readonly options: FleetOptions) {}

  /** Spawns `count` processes and waits until each has built its worker. */
  async spawn(count: number): Promise<void> {
    for (let i = 0; i < count; i++) this.members.push(this.launch());
    await Promise.all(this.members.map((m) => m.ready));
  }

  get size(): number {
    return this.members.length;
  }

  /** PIDs of the processes still running. */
  pids(): number[] {
    return this.members
      .filter((m) => m.child.exitCode === null && m.child.pid !== undefined)
      .map((m) => m.child.pid as number);
  }

  /** How many have been started and not stopped. */
  running(): number {
    return this.members.filter((m) => m.started && !m.stopping).length;
  }

  /** Starts the next `count` processes that have not run yet. */
  start(count: number): void {
    const idle = this.members.filter((m) => !m.started).slice(0, count);
    if (idle.length < count) throw new Error(`only ${idle.length} idle worker processes left, ${count} asked`);
    for (const m of idle) {
      m.started = true;
      this.post(m, { type: 'start' });
    }
  }

  /** Gracefully stops `count` running processes (the most recently started first). */
  async stop(count: number, deadlineMs: number): Promise<ChildStats[]> {
    const running = this.members.filter((m) => m.started && !m.stopping).slice(-count);
    return Promise.all(running.map((m) => this.stopMember(m, deadlineMs)));
  }

  /** Stops every process (started or not) and waits for them to exit; resolves to the stats of those that ran. */
  async stopAll(deadlineMs: number): Promise<ChildStats[]> {
    const stats = await Promise.all(this.members.map((m) => this.stopMember(m, deadlineMs)));
    await Promise.all(this.members.map((m) => (m.child.exitCode === null ? once(m.child, 'exit') : undefined)));
    return stats;
  }

  /** Kills whatever still runs (after a failure). */
  kill(): void {
    for (const m of this.members) if (m.child.exitCode === null) m.child.kill('SIGKILL');
  }

  private stopMember(m: Member, deadlineMs: number): Promise<ChildStats> {
    if (!m.stopping) {
      m.stopping = true;
      this.post(m, { type: 'stop', deadlineMs });
    }
    return m.stopped;
  }

  private post(m: Member, message: ParentMessage): void {
    if (m.child.connected) m.child.send(message);
  }

  private launch(): Member {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', ENTRY], {
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const tail: string[] = [];
    const keep = (chunk: Buffer) => {
      tail.push(chunk.toString());
      if (tail.length > 20) tail.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const died = (what: string) => new Error(`worker process ${child.pid} ${what}:\n${tail.join('').slice(-4000)}`);
    let markReady: () => void = () => {};
    let markStopped: (stats: ChildStats) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      child.once('exit', (code) => reject(died(`exited (${code}) before it was ready`)));
    });
    const stopped = new Promise<ChildStats>((resolve, reject) => {
      markStopped = resolve;
      child.once('exit', (code) => reject(died(`exited (${code}) before it reported`)));
    });
    // Each promise is awaited by someone later; until then a rejection must not count as unhandled.
    ready.catch(() => {});
    stopped.catch(() => {});
    child.on('message', (raw) => {
      const message = ChildMessage.parse(raw);
      if (message.type === 'ready') markReady();
      else if (message.type === 'outcomes') this.options.onOutcomes(message.records);
      else markStopped(message.stats);
    });
    return { child, ready, stopped, started: false, stopping: false, tail };
  }
}
