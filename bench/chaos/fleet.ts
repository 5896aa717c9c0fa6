import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Slot {
  /** The process's name in its SDK user agent (AWS_SDK_UA_APP_ID): the stand-in records it with each call. */
  name: string;
  child: ChildProcess;
  exited: Promise<unknown>;
  stderr: string;
}

/** What happened to the fleet, for the report. */
export interface FleetEvents {
  started: number;
  /** Each SIGKILL: when (ms since epoch) and which process (its app id). */
  kills: { at: number; name: string }[];
  terms: { at: number; exitCode: number | null; signal: string | null }[];
  /** Lines a worker logged at error level (fatal included), with their message. */
  errorLines: string[];
}

/**
 * N `npm run worker` processes (tsx as a loader in the worker's own process, so a signal reaches the worker itself),
 * each restarted when killed: what ECS does for a task that dies.
 */
export class ChaosFleet {
  readonly events: FleetEvents = { started: 0, kills: [], terms: [], errorLines: [] };
  private readonly slots: Slot[] = [];

  constructor(private readonly env: Record<string, string>) {}

  start(n: number): void {
    for (let i = 0; i < n; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const name = `chaos-worker-${++this.events.started}`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, AWS_SDK_UA_APP_ID: name },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const slot: Slot = { name, child, exited: once(child, 'exit'), stderr: '' };
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (/"level":(50|60)/.test(line)) this.events.errorLines.push(line.slice(0, 400));
    });
    child.stderr?.on('data', (c: Buffer) => {
      slot.stderr = (slot.stderr + c.toString()).slice(-2000);
    });
    return slot;
  }

  /** SIGKILL one worker at random and start a new one in its place. */
  async killOne(random: () => number): Promise<void> {
    const i = Math.floor(random() * this.slots.length);
    const slot = this.slots[i] as Slot;
    slot.child.kill('SIGKILL');
    this.events.kills.push({ at: Date.now(), name: slot.name });
    await slot.exited;
    this.slots[i] = this.spawn();
  }

  /** SIGTERM one worker (a graceful stop), wait for it, and start a new one in its place. */
  async terminateOne(random: () => number): Promise<void> {
    const i = Math.floor(random() * this.slots.length);
    const slot = this.slots[i] as Slot;
    const at = Date.now();
    slot.child.kill('SIGTERM');
    await slot.exited;
    this.events.terms.push({ at, exitCode: slot.child.exitCode, signal: slot.child.signalCode });
    this.slots[i] = this.spawn();
  }

  /** Graceful stop of every worker. */
  async stop(): Promise<void> {
    const all = this.slots.splice(0);
    for (const s of all) s.child.kill('SIGTERM');
    await Promise.all(all.map((s) => s.exited));
  }
}
