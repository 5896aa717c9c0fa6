import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../../../shared/logger.ts';
import { BackfillRun } from '../BackfillRun.ts';
import { CatalogueLookup } from '../CatalogueLookup.ts';
import { newCheckpointState } from '../Checkpoint.ts';
import type { Counts } from '../counts.ts';
import type { ListedObject } from '../filter.ts';
import { type BackfillOptions, normalisePrefixes } from '../options.ts';
import { planShards } from '../shards.ts';

/**
 * Lists the bucket exactly as the on-demand backfill does (same ranges, filters and catalogue lookups: keys already
 * catalogued at this analysis version are skipped), collecting what it would enqueue, sorted by key.
 */
export async function listObjects(
  o: BackfillOptions,
  deps: {
    s3: S3Client;
    doc: DynamoDBDocumentClient;
    tableName: string;
    analysisVersion: string;
    logger?: Logger;
    signal?: AbortSignal;
  },
): Promise<{ objects: ListedObject[]; counts: Counts }> {
  const prefixes = normalisePrefixes(o.prefixes);
  const shards = await planShards(deps.s3, { ...o, prefixes, signal: deps.signal });
  const state = newCheckpointState(o, { queueUrl: '(batch)', analysisVersion: deps.analysisVersion }, shards);
  const objects: ListedObject[] = [];
  const run = new BackfillRun(o, state, {
    s3: deps.s3,
    sender: { send: async () => ({ refused: [] }) },
    lookup: o.skipCatalogued ? new CatalogueLookup({ doc: deps.doc, tableName: deps.tableName }) : undefined,
    analysisVersion: deps.analysisVersion,
    logger: deps.logger,
    onTake: (obj) => objects.push(obj),
  });
  const onAbort = () => run.abort('aborted');
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await run.run();
  } finally {
    deps.signal?.removeEventListener('abort', onAbort);
  }
  if (run.error !== undefined) throw run.error;
  objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { objects, counts: run.sent };
}

export function listingToJsonl(objects: readonly ListedObject[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n');
}

export function listingFromJsonl(text: string): ListedObject[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ListedObject);
}
