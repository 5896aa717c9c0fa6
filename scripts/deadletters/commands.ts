import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../shared/logger.ts';
import type { DeadLetter, DeadLetterQueue } from './DeadLetterQueue.ts';
import { recheck } from './recheck.ts';

/** How long a pass hides what it has read, s: long enough for a pass over a large DLQ, released at the end. */
const HOLD_SECONDS = 300;

export interface ReasonGroup {
  code: string;
  count: number;
  /** Up to three reasons, as the worker wrote them. */
  reasons: string[];
  /** Up to five object keys named by the messages. */
  keys: string[];
}

export interface ListSummary {
  total: number;
  groups: ReasonGroup[];
}

function keysOf(body: string): string[] {
  try {
    const o = JSON.parse(body) as { Records?: { s3?: { object?: { key?: string } } }[]; key?: string };
    if (Array.isArray(o.Records)) return o.Records.map((r) => r.s3?.object?.key ?? '?');
    return typeof o.key === 'string' ? [o.key] : [];
  } catch {
    return [];
  }
}

/** Reads the whole DLQ, groups it by error code, and makes every message visible again. Changes nothing. */
export async function listDeadLetters(dlq: DeadLetterQueue, onProgress?: (seen: number) => void) {
  const groups = new Map<string, ReasonGroup>();
  let total = 0;
  try {
    await dlq.forEach(
      async (d: DeadLetter) => {
        total++;
        const g = groups.get(d.code) ?? { code: d.code, count: 0, reasons: [], keys: [] };
        g.count++;
        if (g.reasons.length < 3 && !g.reasons.includes(d.reason)) g.reasons.push(d.reason);
        for (const k of keysOf(d.body)) if (g.keys.length < 5 && !g.keys.includes(k)) g.keys.push(k);
        groups.set(d.code, g);
        onProgress?.(total);
      },
      { holdSeconds: HOLD_SECONDS },
    );
  } finally {
    await dlq.releaseAll();
  }
  return { total, groups: [...groups.values()].sort((a, b) => b.count - a.count) } satisfies ListSummary;
}

export interface RedriveSummary {
  /** copy: receive, re-check, send, delete (the default); move-task: SQS's StartMessageMoveTask, server side. */
  method: 'copy' | 'move-task';
  /** Why the method was chosen (e.g. the endpoint has no StartMessageMoveTask). */
  note?: string;
  taskHandle?: string;
  seen: number;
  redriven: number;
  /** Out of date: deleted from the DLQ without a redrive (the object changed or is gone). */
  dropped: number;
  /** Unreadable: left in the DLQ. */
  kept: number;
  dryRun: boolean;
  samples: { dropped: string[]; kept: string[] };
}

export interface RedriveOptions {
  dryRun: boolean;
  limit?: number;
  /** Use StartMessageMoveTask when the endpoint has it (no re-check). */
  moveTask: boolean;
  s3: S3Client;
  logger: Logger;
  onProgress?: (s: RedriveSummary) => void;
}

/**
 * Sends the DLQ back to the work queue. By default message by message: each is re-checked against the bucket
 * (HeadObject) and a stale one is dropped; poison is kept. With `moveTask`, SQS moves everything server side
 * (StartMessageMoveTask), falling back to the copy when the endpoint lacks it; the worker then drops stale messages
 * itself (GetObject IfMatch).
 */
export async function redriveDeadLetters(dlq: DeadLetterQueue, o: RedriveOptions): Promise<RedriveSummary> {
  const s: RedriveSummary = {
    method: 'copy',
    seen: 0,
    redriven: 0,
    dropped: 0,
    kept: 0,
    dryRun: o.dryRun,
    samples: { dropped: [], kept: [] },
  };
  if (o.moveTask && !o.dryRun) {
    const handle = await dlq.startMoveTask();
    if (handle !== undefined) return { ...s, method: 'move-task', taskHandle: handle, note: 'moved by SQS' };
    s.note = 'this SQS endpoint has no StartMessageMoveTask; used receive, re-check, send, delete';
  }
  try {
    await dlq.forEach(
      async (d) => {
        s.seen++;
        const verdict = await recheck(o.s3, d.body);
        if (verdict.action === 'keep') {
          s.kept++;
          if (s.samples.kept.length < 5) s.samples.kept.push(verdict.why);
        } else if (verdict.action === 'drop') {
          s.dropped++;
          if (s.samples.dropped.length < 5) s.samples.dropped.push(verdict.why);
          if (!o.dryRun) await dlq.delete(d);
        } else {
          s.redriven++;
          if (!o.dryRun) {
            // Sent before the delete: a crash between the two duplicates a message, never loses one.
            await dlq.sendToWorkQueue(d);
            await dlq.delete(d);
          }
        }
        o.onProgress?.(s);
      },
      { holdSeconds: HOLD_SECONDS, limit: o.limit },
    );
  } finally {
    await dlq.releaseAll();
  }
  return s;
}
