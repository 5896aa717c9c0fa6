import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { itemId } from '../../../shared/catalogue.ts';
import { PoisonMessageError } from '../../../shared/errors.ts';
import { type ObjectEvent, parseQueueMessage } from '../../../shared/messages.ts';
import { processEvent } from '../../../worker/pipeline/processEvent.ts';
import { fakePipeline } from '../../helpers/fakes.ts';

/**
 * Every published and derived event sample of test/fixtures/events/samples (sources in SOURCES.md there), each with
 * the action it must give: analysed, removed (a tombstone only when the key has no current version), ignored
 * (bytes unchanged) or dead-lettered with a reason. Removals are run twice: with the key still current, and gone.
 */

const DIR = new URL('../../fixtures/events/samples/', import.meta.url);
const sample = (name: string) => readFileSync(new URL(name, DIR), 'utf8');

type Expect =
  | { action: 'created'; source?: ObjectEvent['source'] }
  | { action: 'removed'; deletionType?: 'permanent' | 'delete-marker'; lifecycle?: boolean; versionId?: string | null }
  | { action: 'unchanged' }
  | { action: 'test' }
  | { action: 'poison'; reason: RegExp };

const CASES: Record<string, Expect> = {
  'aws-docs.s3-put.json': { action: 'created' },
  'aws-docs.s3-test-event.json': { action: 'test' },
  'aws-docs.eventbridge-object-created.json': { action: 'created', source: 'eventbridge' },
  'aws-docs.eventbridge-object-deleted.json': { action: 'removed', deletionType: 'delete-marker', lifecycle: false },
  'aws-docs.eventbridge-object-deleted-lifecycle.json': {
    action: 'removed',
    deletionType: 'delete-marker',
    lifecycle: true,
  },
  'aws-docs.eventbridge-object-restore-completed.json': { action: 'unchanged' },
  'lambda-go.s3-event.json': { action: 'poison', reason: /not an S3 sequencer/ },
  'lambda-go.s3-event-with-decoded.json': { action: 'poison', reason: /not an S3 sequencer/ },
  'lambda-go.s3-glacier-event.json': { action: 'unchanged' },
  'lambda-go.s3-intelligenttier-event.json': { action: 'unchanged' },
  'lambda-go.s3-lifecycle-event.json': { action: 'unchanged' },
  'lambda-go.s3-replication-event.json': { action: 'unchanged' },
  'lambda-go.s3-restore-event.json': { action: 'unchanged' },
  'lambda-java.s3_event.json': { action: 'poison', reason: /not an S3 sequencer/ },
  'powertools-ts.base.json': { action: 'created' },
  'powertools-ts.decoded-key.json': { action: 'poison', reason: /not an S3 sequencer/ },
  'powertools-ts.delete-object.json': { action: 'removed', deletionType: 'permanent', lifecycle: false },
  'powertools-ts.eventbridge-object-created.json': { action: 'created', source: 'eventbridge' },
  'powertools-ts.eventbridge-object-deleted.json': { action: 'removed', deletionType: 'delete-marker' },
  'powertools-ts.eventbridge-object-expired.json': { action: 'removed', lifecycle: true },
  'powertools-ts.eventbridge-object-restored.json': { action: 'unchanged' },
  'powertools-ts.glacier.json': { action: 'created' },
  'powertools-ts.s3-lifecycle-event.json': { action: 'removed', deletionType: 'permanent', lifecycle: true },
  'powertools-py.s3SqsEvent.body.json': { action: 'created' },
  'powertools-py.snsSqsEvent.body.json': { action: 'poison', reason: /unknown message shape/ },
  'derived.s3-object-removed-noncurrent-version.json': {
    action: 'removed',
    deletionType: 'permanent',
    versionId: '096fKKXTRTtl3on89fVO.nfljtsv6qko',
  },
  'derived.s3-object-removed-delete-marker-created.json': { action: 'removed', deletionType: 'delete-marker' },
  'derived.s3-object-removed-empty-version-id.json': { action: 'removed', versionId: null },
  'derived.s3-lifecycle-expiration-delete-marker-created.json': {
    action: 'removed',
    deletionType: 'delete-marker',
    lifecycle: true,
  },
  'derived.s3-object-tagging-put.json': { action: 'unchanged' },
  'derived.s3-object-tagging-delete.json': { action: 'unchanged' },
  'derived.s3-object-acl-put.json': { action: 'unchanged' },
  'derived.s3-reduced-redundancy-lost-object.json': { action: 'poison', reason: /data is lost/ },
  'derived.eventbridge-object-deleted-permanently.json': {
    action: 'removed',
    deletionType: 'permanent',
    versionId: '1QW9g1Z99LUNbvaaYVpW9xDlOLU.qxgF',
  },
  'derived.eventbridge-object-tags-added.json': { action: 'unchanged' },
  'derived.eventbridge-object-tags-deleted.json': { action: 'unchanged' },
  'derived.eventbridge-object-acl-updated.json': { action: 'unchanged' },
  'derived.eventbridge-object-storage-class-changed.json': { action: 'unchanged' },
  'derived.eventbridge-object-access-tier-changed.json': { action: 'unchanged' },
  'derived.eventbridge-object-restore-initiated.json': { action: 'unchanged' },
  'derived.eventbridge-object-restore-expired.json': { action: 'unchanged' },
  'derived.sns-s3-put.json': { action: 'created', source: 'sns' },
  'derived.sns-eventbridge-lifecycle-expiration.json': { action: 'removed', lifecycle: true },
};

function only(body: string): ObjectEvent {
  const parsed = parseQueueMessage(body);
  if (parsed.kind !== 'events') throw new Error('expected events');
  expect(parsed.invalid).toEqual([]);
  expect(parsed.events).toHaveLength(1);
  return parsed.events[0]!;
}

const IMAGE = Buffer.from('img:64x48 sample');

describe('published and derived S3 event samples', () => {
  it('every sample file has a case, and the published ones number at least 25', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(Object.keys(CASES).sort());
    expect(files.filter((f) => !f.startsWith('derived.')).length).toBeGreaterThanOrEqual(25);
    const sources = sample('SOURCES.md');
    for (const f of files) expect(sources, `${f} is listed in SOURCES.md`).toContain(`| ${f} |`);
  });

  it.each(Object.entries(CASES).filter(([, e]) => e.action === 'created'))(
    '%s: created → the bytes the event names are fetched (IfMatch its eTag) and described',
    async (file, e) => {
      const event = only(sample(file));
      expect(event).toMatchObject({ kind: 'created', source: (e as { source?: string }).source ?? 's3' });
      const { deps, bucket, describer, store } = fakePipeline({ maxBytes: 50_000_000 });
      bucket.put(event.key, IMAGE, event.eTag);
      const o = await processEvent(event, deps);
      expect(o).toMatchObject({ outcome: 'catalogued', modelCalls: 1 });
      expect(describer.calls).toBe(1);
      expect(store.items.get(itemId(event.bucket, event.key))).toMatchObject({
        status: 'catalogued',
        eTag: event.eTag,
      });
    },
  );

  it.each(Object.entries(CASES).filter(([, e]) => e.action === 'removed'))(
    '%s: removed → ignored while the key has a current version, tombstone once it has none',
    async (file, e) => {
      const expected = e as Extract<Expect, { action: 'removed' }>;
      const event = only(sample(file));
      expect(event.kind).toBe('removed');
      if (expected.deletionType) expect(event.deletionType).toBe(expected.deletionType);
      if (expected.lifecycle !== undefined) expect(event.lifecycle ?? false).toBe(expected.lifecycle);
      if (expected.versionId !== undefined) expect(event.versionId).toBe(expected.versionId ?? undefined);

      // The key still has a current version (another version was removed, or the removal is forged): item kept.
      const { deps, bucket, store } = fakePipeline();
      const eTag = bucket.put(event.key, IMAGE);
      const put: ObjectEvent = { ...event, kind: 'created', eTag, sequencer: '00', eventName: 'ObjectCreated:Put' };
      const created = await processEvent(put, deps);
      expect(created.outcome).toBe('catalogued');
      const kept = await processEvent(event, deps);
      expect(kept).toMatchObject({ outcome: 'ignored', reasonCode: 'CURRENT_VERSION_EXISTS' });
      expect(store.items.get(itemId(event.bucket, event.key))?.status).toBe('catalogued');

      // The key has no current version any more: tombstone.
      bucket.remove(event.key);
      const gone = await processEvent(event, deps);
      expect(gone.outcome).toBe('removed');
      expect(store.items.get(itemId(event.bucket, event.key))?.status).toBe('removed');
    },
  );

  it.each(Object.entries(CASES).filter(([, e]) => e.action === 'unchanged'))(
    '%s: bytes unchanged → ignored, nothing read or written',
    async (file) => {
      const event = only(sample(file));
      expect(event.kind).toBe('unchanged');
      const { deps, bucket, store, describer } = fakePipeline();
      const o = await processEvent(event, deps);
      expect(o).toMatchObject({ outcome: 'ignored', reasonCode: 'BYTES_UNCHANGED' });
      expect([bucket.heads, bucket.fetches, store.writes, describer.calls]).toEqual([0, 0, 0, 0]);
    },
  );

  it.each(Object.entries(CASES).filter(([, e]) => e.action === 'poison'))(
    '%s: poison → dead-lettered at once with the reason',
    (file, e) => {
      const body = sample(file);
      expect(() => parseQueueMessage(body)).toThrow(PoisonMessageError);
      expect(() => parseQueueMessage(body)).toThrow((e as { reason: RegExp }).reason);
    },
  );

  it('aws-docs.s3-test-event.json: acknowledged as the test event', () => {
    expect(parseQueueMessage(sample('aws-docs.s3-test-event.json'))).toEqual({ kind: 'test' });
  });
});
