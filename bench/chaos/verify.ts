import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../../local/stack.ts';
import { normaliseETag } from '../../shared/messages.ts';
import type { PaidCall } from './countingAnalyser.ts';

export interface Verdict {
  objects: number;
  items: number;
  /** Objects in the bucket with no catalogued item. */
  lost: string[];
  /** Items that disagree with the bucket: another eTag, a tombstone for an object that exists, or a content item for
   * a key that is gone. */
  wrong: string[];
  rejected: number;
  dlq: { poison: number; valid: number; validSamples: string[] };
}

async function listBucket(stack: LocalStack): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await stack.clients.s3.send(
      new ListObjectsV2Command({ Bucket: stack.bucket, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key) out.set(o.Key, normaliseETag(o.ETag ?? ''));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function scanItems(stack: LocalStack) {
  const out: { key: string; status: string; eTag?: string }[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await stack.clients.ddbDoc.send(
      new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    for (const raw of page.Items ?? []) {
      // The workers' leases share the table and carry no status.
      if (typeof raw.status === 'string') out.push(raw as { key: string; status: string; eTag?: string });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

async function readDlq(stack: LocalStack, poisonBodies: Set<string>) {
  const dlq = { poison: 0, valid: 0, validSamples: [] as string[] };
  for (let empty = 0; empty < 2; ) {
    const r = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 300,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = r.Messages ?? [];
    empty = messages.length ? 0 : empty + 1;
    for (const m of messages) {
      if (poisonBodies.has(m.Body ?? '')) dlq.poison++;
      else {
        dlq.valid++;
        const reason = m.MessageAttributes?.['catalogue-reason']?.StringValue ?? 'moved by SQS (maxReceiveCount)';
        if (dlq.validSamples.length < 5) dlq.validSamples.push(`${(m.Body ?? '').slice(0, 120)} :: ${reason}`);
      }
    }
  }
  return dlq;
}

/** Compares the bucket with the catalogue, and reads the DLQ. */
export async function verify(stack: LocalStack, poisonBodies: Set<string>): Promise<Verdict> {
  const [objects, items] = await Promise.all([listBucket(stack), scanItems(stack)]);
  const byKey = new Map(items.map((i) => [i.key, i]));
  const lost: string[] = [];
  const wrong: string[] = [];
  for (const [key, eTag] of objects) {
    const item = byKey.get(key);
    if (!item || item.status === 'removed') lost.push(key);
    else if (item.eTag !== eTag) wrong.push(key);
  }
  for (const item of items) if (!objects.has(item.key) && item.status !== 'removed') wrong.push(item.key);
  return {
    objects: objects.size,
    items: items.length,
    lost,
    wrong,
    rejected: items.filter((i) => i.status === 'rejected').length,
    dlq: await readDlq(stack, poisonBodies),
  };
}

/** A SIGKILL: when, and the process's app id (as the calls record it). */
export interface Kill {
  at: number;
  name: string;
}

export interface Payments {
  modelCalls: number;
  /** Startup probes (one per worker process started), apart from the images' calls. */
  probeCalls: number;
  malformedAnswers: number;
  distinctContents: number;
  callsPerContent: number;
  /** Good answers for a content beyond its first. */
  duplicateGoodAnswers: number;
  /** Of those, a call that was under way when a worker was SIGKILLed (its answer died with the worker). */
  inFlightAtKill: number;
  /** Good answers beyond the first that no kill explains: content paid twice. */
  paidTwice: number;
}

/** The good answers (not malformed, not a startup probe) for each content, in the order they were asked. */
export function goodAnswersByContent(calls: readonly PaidCall[]): Map<string, PaidCall[]> {
  const good = new Map<string, PaidCall[]>();
  for (const c of calls) if (!c.malformed && !c.probe) good.set(c.content, [...(good.get(c.content) ?? []), c]);
  return good;
}

/**
 * Model calls for the bucket's images by content (startup probes counted apart). An earlier good answer is "in flight
 * at a kill" when the process that asked for it was SIGKILLed around it and before the content's next answer began:
 * from 2 s before the stand-in saw the call (a request sent just before the kill is read by the busy stand-in up to
 * a second later) to 10 s after (the answer's derived copies, item write and acknowledgement). Its answer died with
 * the process.
 */
export function payments(calls: readonly PaidCall[], kills: readonly Kill[]): Payments {
  const killedAt = new Map(kills.map((k) => [k.name, k.at]));
  const images = calls.filter((c) => !c.probe);
  const contents = new Set(images.map((c) => c.content));
  const good = goodAnswersByContent(calls);
  let duplicateGoodAnswers = 0;
  let inFlightAtKill = 0;
  for (const answers of good.values()) {
    if (answers.length < 2) continue;
    duplicateGoodAnswers += answers.length - 1;
    const sorted = [...answers].sort((a, b) => a.at - b.at);
    sorted.slice(0, -1).forEach((a, i) => {
      const killed = a.caller === undefined ? undefined : killedAt.get(a.caller);
      const next = (sorted[i + 1] as PaidCall).at;
      if (killed !== undefined && killed >= a.at - 2000 && killed <= Math.min(a.at + 10_000, next)) inFlightAtKill++;
    });
  }
  return {
    modelCalls: images.length,
    probeCalls: calls.length - images.length,
    malformedAnswers: images.filter((c) => c.malformed).length,
    distinctContents: contents.size,
    callsPerContent: contents.size ? images.length / contents.size : 0,
    duplicateGoodAnswers,
    inFlightAtKill,
    paidTwice: duplicateGoodAnswers - inFlightAtKill,
  };
}
