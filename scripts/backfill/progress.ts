import cliProgress from 'cli-progress';
import type { Logger } from '../../shared/logger.ts';
import { type Counts, totalSkipped } from './counts.ts';

/** How far a run is, as reported every second or so. */
export interface ProgressSnapshot {
  elapsedMs: number;
  listed: number;
  matched: number;
  enqueued: number;
  skipped: number;
  enqueuedBytes: number;
  /** Key ranges finished, and in all. */
  rangesDone: number;
  ranges: number;
  /** Objects the bucket holds under the prefixes, when a dry run counted them (the census); else undefined. */
  expectedListed?: number;
  /** Listed objects per second, this run. */
  listedPerSecond: number;
  enqueuedPerSecond: number;
  /** 0-1: listed / expectedListed with a census, else the share of ranges finished. */
  fraction: number;
  /** Seconds left at the current rate; undefined until there is a rate. */
  etaSeconds?: number;
}

/**
 * The snapshot of a run: `base` committed by earlier runs of the checkpoint plus what this run `sent`. The fraction
 * and ETA follow the listing against the census when there is one, else the share of key ranges finished.
 */
export function progressSnapshot(input: {
  elapsedMs: number;
  base: Counts;
  sent: Counts;
  ranges: { done: number; all: number };
  expectedListed?: number;
}): ProgressSnapshot {
  const { elapsedMs, base, sent, ranges, expectedListed } = input;
  const seconds = Math.max(elapsedMs / 1000, 0.001);
  const listed = base.listed + sent.listed;
  const fraction = expectedListed
    ? Math.min(1, listed / Math.max(1, expectedListed))
    : ranges.all === 0
      ? 1
      : ranges.done / ranges.all;
  const listedPerSecond = sent.listed / seconds;
  let etaSeconds: number | undefined;
  if (expectedListed && listedPerSecond > 0) etaSeconds = Math.max(0, expectedListed - listed) / listedPerSecond;
  else if (!expectedListed && fraction > 0) etaSeconds = (seconds * (1 - fraction)) / fraction;
  return {
    elapsedMs,
    listed,
    matched: base.matched + sent.matched,
    enqueued: base.enqueued + sent.enqueued,
    skipped: totalSkipped(base) + totalSkipped(sent),
    enqueuedBytes: base.enqueuedBytes + sent.enqueuedBytes,
    rangesDone: ranges.done,
    ranges: ranges.all,
    expectedListed,
    listedPerSecond,
    enqueuedPerSecond: sent.enqueued / seconds,
    fraction,
    etaSeconds,
  };
}

export type ProgressMode = 'auto' | 'bar' | 'json' | 'none';

export interface ProgressReporter {
  update(snapshot: ProgressSnapshot): void;
  stop(): void;
}

/**
 * The run's progress for a person: a bar with rate and ETA on a terminal (cli-progress, on stderr), a JSON log line
 * every `jsonEveryMs` otherwise (for CI logs and log shippers).
 */
export function createProgressReporter(
  mode: ProgressMode,
  logger: Logger,
  options: { stream?: NodeJS.WriteStream; jsonEveryMs?: number } = {},
): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const chosen = mode === 'auto' ? (stream.isTTY ? 'bar' : 'json') : mode;
  if (chosen === 'none') return { update() {}, stop() {} };
  if (chosen === 'json') {
    const every = options.jsonEveryMs ?? 5000;
    let last = -Infinity;
    return {
      update(s) {
        if (s.elapsedMs - last < every) return;
        last = s.elapsedMs;
        logger.info({ progress: roundSnapshot(s) }, 'backfill progress');
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        '{bar} {pct}% | {listed} listed, {enqueued} enqueued, {skipped} skipped | {rate} msg/s | {ranges} ranges | ETA {left}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(s) {
      const payload = {
        pct: (s.fraction * 100).toFixed(1),
        listed: s.listed.toLocaleString('en-US'),
        enqueued: s.enqueued.toLocaleString('en-US'),
        skipped: s.skipped.toLocaleString('en-US'),
        rate: Math.round(s.enqueuedPerSecond).toLocaleString('en-US'),
        ranges: `${s.rangesDone}/${s.ranges}`,
        left: s.etaSeconds === undefined ? '?' : formatDuration(s.etaSeconds),
      };
      const value = Math.round(s.fraction * 1000);
      if (!started) {
        bar.start(1000, value, payload);
        started = true;
      } else bar.update(value, payload);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

function roundSnapshot(s: ProgressSnapshot): ProgressSnapshot {
  return {
    ...s,
    listedPerSecond: Math.round(s.listedPerSecond),
    enqueuedPerSecond: Math.round(s.enqueuedPerSecond),
    fraction: Math.round(s.fraction * 1000) / 1000,
    etaSeconds: s.etaSeconds === undefined ? undefined : Math.round(s.etaSeconds),
  };
}

/** `1h 02m`, `3m 05s`, `42s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}
