import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Clock ticks per second of /proc's CPU times (USER_HZ): 100 on every Linux the benchmark is meant for. */
const TICKS_PER_SECOND = 100;

interface Totals {
  busy: number;
  all: number;
}

function systemTicks(): Totals | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const all = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: all - idle, all };
  } catch {
    return undefined;
  }
}

/** User + system CPU of one process, seconds, or undefined once it is gone. */
function processSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") ".
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export interface CpuSample {
  /** ms since the sampler started. */
  t: number;
  /** Busy fraction of the whole machine (every process, other users' included) over the last interval, 0-1. */
  system: number;
  /** The benchmark's own processes (this one, the workers, Redis), as a fraction of the whole machine, 0-1. */
  own: number;
}

export interface CpuSummary {
  cores: number;
  /** Mean and peak of the machine's busy fraction, 0-1. */
  systemMean: number;
  systemMax: number;
  /** Mean of the benchmark's own share of the machine, 0-1. */
  ownMean: number;
  /** Intervals in which the machine was ≥ 95 % busy, as a fraction of all, 0-1. */
  saturatedFraction: number;
}

/**
 * Samples the machine's CPU use (/proc/stat) and the benchmark's own processes (/proc/PID/stat and this process's
 * cpuUsage) every `intervalMs`. On systems without /proc the machine figures read 0.
 */
export class CpuSampler {
  readonly cores = os.availableParallelism();
  readonly samples: CpuSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private started = 0;
  private last: { at: number; system?: Totals; parent: number; perPid: Map<number, number> } | undefined;

  constructor(
    private readonly pids: () => number[],
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.started = performance.now();
    this.last = this.read();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  stop(): CpuSummary {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return summariseCpu(this.samples, this.cores);
  }

  private read() {
    const usage = process.cpuUsage();
    const perPid = new Map<number, number>();
    for (const pid of this.pids()) {
      const s = processSeconds(pid);
      if (s !== undefined) perPid.set(pid, s);
    }
    return { at: performance.now(), system: systemTicks(), parent: (usage.user + usage.system) / 1e6, perPid };
  }

  private tick(): void {
    const prev = this.last;
    if (!prev) return;
    const next = this.read();
    const seconds = (next.at - prev.at) / 1000;
    const system =
      next.system && prev.system && next.system.all > prev.system.all
        ? (next.system.busy - prev.system.busy) / (next.system.all - prev.system.all)
        : 0;
    // A process first seen now counts from its next interval; one gone since loses its last (a few ms).
    let ownSeconds = next.parent - prev.parent;
    for (const [pid, s] of next.perPid) ownSeconds += s - (prev.perPid.get(pid) ?? s);
    const own = seconds > 0 ? ownSeconds / (seconds * this.cores) : 0;
    this.samples.push({ t: next.at - this.started, system, own: Math.max(0, Math.min(1, own)) });
    this.last = next;
  }
}

/** Mean, peak and saturation of a run's samples. */
export function summariseCpu(samples: readonly CpuSample[], cores: number): CpuSummary {
  const n = samples.length || 1;
  return {
    cores,
    systemMean: samples.reduce((a, s) => a + s.system, 0) / n,
    systemMax: samples.reduce((a, s) => Math.max(a, s.system), 0),
    ownMean: samples.reduce((a, s) => a + s.own, 0) / n,
    saturatedFraction: samples.filter((s) => s.system >= 0.95).length / n,
  };
}
