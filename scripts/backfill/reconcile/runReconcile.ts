import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { headLiveObject } from '../../../shared/liveObject.ts';
import type { Logger } from '../../../shared/logger.ts';
import { type ListedObject, objectFilter } from '../filter.ts';
import { listShard } from '../listShard.ts';
import { backfillMessageBody } from '../messageBody.ts';
import { normalisePrefixes } from '../options.ts';
import { QueueSender } from '../QueueSender.ts';
import { type Difference, diffBucketAndTable } from './diff.ts';
import { removalMessageBody } from './removalMessage.ts';
import { type ReconcileReport, Samples } from './report.ts';
import { type StoredState, scanBucketItems } from './tableScan.ts';

export interface ReconcileOptions {
  bucket: string;
  prefixes: string[];
  suffixes: string[];
  minSize: number;
  maxSize?: number;
  dryRun: boolean;
  /** SendMessageBatch calls in flight. */
  concurrency: number;
  /** HeadObject calls in flight while confirming removals. Default 16. */
  headConcurrency?: number;
}

export interface ReconcileDeps {
  s3: S3Client;
  sqs: SQSClient;
  doc: DynamoDBDocumentClient;
  queueUrl: string;
  tableName: string;
  analysisVersion: string;
  /** Named in removal messages, as S3 names the bucket's region. */
  region: string;
  logger?: Logger;
  onProgress?: (p: { phase: string; listed: number; items: number; checked: number; enqueued: number }) => void;
}

/**
 * Reconcile: lists the bucket and the catalogue, and repairs where they disagree, for when events were lost (a
 * purged DLQ, notifications misconfigured for a while). What is missing or out of date (eTag differs) gets a repair
 * message (the backfill's, carrying the live eTag); an item whose object the listing does not show is confirmed with
 * HeadObject, then gets a repair message too. The worker does the writing: a repair message has no sequencer, so it
 * follows the live object (analyse it, or tombstone the key when it has no current version), and every write stays
 * in one place. With `dryRun`, only the report.
 */
export async function runReconcile(o: ReconcileOptions, deps: ReconcileDeps): Promise<ReconcileReport> {
  const started = performance.now();
  const prefixes = normalisePrefixes(o.prefixes.length ? o.prefixes : ['']);
  const progress = { phase: 'listing', listed: 0, items: 0, checked: 0, enqueued: 0 };
  const tick = () => deps.onProgress?.({ ...progress });
  const { listed, present, taken } = await listBucket(deps.s3, o, prefixes, (n) => {
    progress.listed = n;
    tick();
  });
  progress.phase = 'scanning';
  const take = objectFilter({ ...o, minSize: 0, maxSize: undefined });
  const inScope = (key: string) =>
    prefixes.some((p) => key.startsWith(p)) && take({ key, size: 1, eTag: '' }).take === true;
  const items = (
    await scanBucketItems(deps.doc, deps.tableName, o.bucket, {
      onPage: (n) => {
        progress.items = n;
        tick();
      },
    })
  ).filter((i) => inScope(i.key));
  // Objects skipped by size stay "present": their items are not removal candidates.
  const { differences, counts } = diffBucketAndTable(
    listed,
    items.filter((i) => listed.has(i.key) || !present.has(i.key)),
    deps.analysisVersion,
  );
  progress.phase = 'confirming';
  const { samples, repairs, stillThere } = await planRepairs(deps.s3, o, differences, () => {
    progress.checked++;
    tick();
  });
  progress.phase = 'enqueueing';
  const refused = o.dryRun
    ? []
    : await enqueue(deps, o, repairs, (n) => {
        progress.enqueued = n;
        tick();
      });
  progress.phase = 'done';
  tick();
  return {
    bucket: o.bucket,
    prefixes,
    dryRun: o.dryRun,
    listed: present.size,
    taken,
    items: items.length,
    inSync: counts.inSync,
    otherAnalysisVersion: counts.otherAnalysisVersion,
    missing: samples.count('missing'),
    outOfDate: samples.count('outOfDate'),
    gone: samples.count('gone'),
    stillThere,
    enqueued: o.dryRun ? 0 : repairs.length - refused.length,
    refused: refused.length,
    samples: samples.toJSON(),
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** A repair: an object to analyse (with its live eTag), or a key to remove. */
type Repair = { key: string; eTag: string; size: number; lastModified?: string } | { key: string; removed: true };

/**
 * The repair messages to send: every missing or out-of-date object, and every removal candidate that HeadObject
 * confirms gone (or finds changed).
 */
async function planRepairs(s3: S3Client, o: ReconcileOptions, differences: Difference[], onChecked: () => void) {
  const samples = new Samples();
  const repairs: Repair[] = [];
  let stillThere = 0;
  for (const d of differences) {
    if (d.kind === 'goneCandidate') continue;
    samples.add(d.kind, d.object.key);
    repairs.push(d.object);
  }
  const candidates = differences.flatMap((d) => (d.kind === 'goneCandidate' ? [d.item] : []));
  await confirmGone(s3, o.bucket, candidates, o.headConcurrency ?? 16, (item, live) => {
    if (live === undefined) {
      samples.add('gone', item.key);
      repairs.push({ key: item.key, removed: true });
    } else if (live.eTag !== item.eTag) {
      samples.add('outOfDate', item.key);
      repairs.push({ key: item.key, ...live });
    } else stillThere++;
    onChecked();
  });
  return { samples, repairs, stillThere };
}

/** The listing: every key (`present`) and the objects the suffix and size filters take (`listed`). */
async function listBucket(s3: S3Client, o: ReconcileOptions, prefixes: string[], onCount: (n: number) => void) {
  const take = objectFilter(o);
  const listed = new Map<string, ListedObject>();
  const present = new Set<string>();
  for (const prefix of prefixes) {
    for await (const page of listShard(s3, o.bucket, { prefix, after: undefined, until: undefined }, 1000)) {
      for (const obj of page.objects) {
        present.add(obj.key);
        if (take(obj).take) listed.set(obj.key, obj);
      }
      onCount(present.size);
    }
  }
  return { listed, present, taken: listed.size };
}

/** HeadObject on each candidate, `concurrency` at once; `onResult` gets the live state, or undefined when gone. */
async function confirmGone(
  s3: S3Client,
  bucket: string,
  items: StoredState[],
  concurrency: number,
  onResult: (item: StoredState, live: { eTag: string; size: number; lastModified?: string } | undefined) => void,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as StoredState;
      const live = await headLiveObject(s3, bucket, item.key);
      onResult(item, live.exists ? { eTag: live.eTag, size: live.size, lastModified: live.lastModified } : undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

async function enqueue(deps: ReconcileDeps, o: ReconcileOptions, repairs: Repair[], onCount: (n: number) => void) {
  const sender = new QueueSender({
    sqs: deps.sqs,
    queueUrl: deps.queueUrl,
    concurrency: o.concurrency,
    maxAttempts: 8,
    retryBaseMs: 100,
    retryMaxMs: 5000,
    logger: deps.logger,
  });
  let sent = 0;
  const batches: Promise<{ refused: unknown[] }>[] = [];
  for (let i = 0; i < repairs.length; i += 10) {
    const entries = repairs.slice(i, i + 10).map((r, j) => ({
      id: String(j),
      body:
        'removed' in r
          ? removalMessageBody({ bucket: o.bucket, key: r.key, region: deps.region })
          : backfillMessageBody({ bucket: o.bucket, ...r }),
    }));
    batches.push(
      sender.send(entries).then((out) => {
        sent += entries.length - out.refused.length;
        onCount(sent);
        return out;
      }),
    );
  }
  return (await Promise.all(batches)).flatMap((b) => b.refused);
}
