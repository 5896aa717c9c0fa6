import type { S3Client } from '@aws-sdk/client-s3';
import { headLiveObject } from '../../shared/liveObject.ts';
import { type ObjectEvent, parseQueueMessage } from '../../shared/messages.ts';

/** What to do with one dead letter on a redrive. */
export type Verdict =
  /** At least one record is still about the object as it is now: send it back to the work queue. */
  | { action: 'redrive'; keys: string[] }
  /** Every record is out of date (the object changed or is gone; a removal of an object that exists): drop it. */
  | { action: 'drop'; keys: string[]; why: string }
  /** Unreadable (poison): a redrive would only bring it back here. Left in the DLQ for a human. */
  | { action: 'keep'; keys: string[]; why: string };

/** Is this record still about the object as S3 has it now? */
async function isCurrent(s3: S3Client, e: ObjectEvent): Promise<{ current: boolean; why?: string }> {
  const live = await headLiveObject(s3, e.bucket, e.key);
  if (e.kind === 'removed') {
    return live.exists ? { current: false, why: 'removed, but the key has a current version' } : { current: true };
  }
  if (!live.exists) return { current: false, why: 'the object no longer exists' };
  if (e.eTag && live.eTag !== e.eTag) return { current: false, why: 'the object changed since (eTag differs)' };
  return { current: true };
}

/**
 * Re-checks a dead letter against the bucket (HeadObject per record) before it goes back to the work queue, so a
 * stale one is dropped instead of spending a worker's time. A message with several records goes back whole if any
 * of them is current (the worker skips the others).
 */
export async function recheck(s3: S3Client, body: string | undefined): Promise<Verdict> {
  let parsed: ReturnType<typeof parseQueueMessage>;
  try {
    parsed = parseQueueMessage(body);
  } catch (error) {
    return { action: 'keep', keys: [], why: `unreadable: ${(error as Error).message}` };
  }
  if (parsed.kind === 'test') return { action: 'drop', keys: [], why: 's3:TestEvent' };
  const keys = parsed.events.map((e) => `${e.bucket}/${e.key}`);
  const whys: string[] = [];
  for (const e of parsed.events) {
    const r = await isCurrent(s3, e);
    if (r.current) return { action: 'redrive', keys };
    whys.push(`${e.key}: ${r.why}`);
  }
  return { action: 'drop', keys, why: whys.join(' | ') };
}
