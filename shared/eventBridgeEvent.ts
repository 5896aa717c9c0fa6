import { z } from 'zod';
import { PoisonMessageError } from './errors.ts';
import type { ObjectEvent } from './objectEvent.ts';
import { classifyDetailType } from './s3EventTypes.ts';
import { isS3Sequencer } from './sequencer.ts';

/**
 * S3 events delivered by an EventBridge rule (source `aws.s3`). Field names follow the Amazon S3 User Guide,
 * "EventBridge event message structure": `detail.object.etag`, `version-id`, `sequencer`; `detail.reason`
 * ("PutObject", "DeleteObject", "Lifecycle Expiration", ...) and `detail.deletion-type` ("Permanently Deleted" /
 * "Delete Marker Created"). Keys are not URL-encoded. Restore, tag, ACL, storage-class and tier events carry the
 * same `detail.object` but no sequencer.
 */

const EventBridgeS3 = z.object({
  'detail-type': z.string().min(1),
  source: z.literal('aws.s3'),
  time: z.string().optional(),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().min(0).optional(),
      etag: z.string().optional(),
      'version-id': z.string().optional(),
      sequencer: z.string().optional(),
    }),
    reason: z.string().optional(),
    'deletion-type': z.string().optional(),
  }),
});

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** True when the JSON object looks like an EventBridge event of S3 (then {@link parseEventBridgeS3} decides). */
export function isEventBridgeS3(o: Record<string, unknown>): boolean {
  return o.source === 'aws.s3' && 'detail-type' in o;
}

/** @throws PoisonMessageError for a malformed or unknown S3 EventBridge event. */
export function parseEventBridgeS3(o: Record<string, unknown>): ObjectEvent {
  const eb = EventBridgeS3.safeParse(o);
  if (!eb.success) throw new PoisonMessageError(`malformed EventBridge S3 event: ${describeIssues(eb.error)}`);
  const detailType = eb.data['detail-type'];
  const d = eb.data.detail;
  const what = classifyDetailType(detailType, d.reason, d['deletion-type']);
  if (what.action === 'unknown') throw new PoisonMessageError(what.reason, { context: { detailType } });
  const sequencer = d.object.sequencer?.trim() || undefined;
  if (what.action !== 'unchanged' && sequencer !== undefined && !isS3Sequencer(sequencer)) {
    throw new PoisonMessageError(`detail.object.sequencer is not an S3 sequencer: ${JSON.stringify(sequencer)}`);
  }
  if (what.action === 'created' && !d.object.etag) {
    throw new PoisonMessageError('EventBridge Object Created event has no detail.object.etag');
  }
  return {
    kind: what.action,
    bucket: d.bucket.name,
    key: d.object.key,
    eTag: d.object.etag ? d.object.etag.replace(/^W\//, '').replace(/^"|"$/g, '') : undefined,
    size: d.object.size,
    // An empty version id names no version: S3 would refuse it in GetObject.
    versionId: d.object['version-id'] || undefined,
    sequencer: what.action === 'unchanged' ? undefined : sequencer?.toUpperCase(),
    eventTime: eb.data.time,
    eventName: `${detailType}${d.reason ? `:${d.reason}` : ''}`,
    source: 'eventbridge',
    ...(what.action === 'removed'
      ? { deletionType: what.deletionType, lifecycle: what.lifecycle, deletionReason: d.reason }
      : {}),
  };
}
