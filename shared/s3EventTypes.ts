/**
 * What each S3 event type means for the catalogue, by name. Sources (read 2026-12): the Amazon S3 User Guide,
 * "Event notification types and destinations" (the `s3:*` names of SQS/SNS/Lambda notifications) and "Using
 * EventBridge" with "EventBridge event message structure" (the detail-types); see docs/events.md.
 *
 * - `created`: the object has new bytes: analyse them.
 * - `removed`: a version or the object went away (including lifecycle expiration, which S3 reports as
 *   `LifecycleExpiration:*`, never as `ObjectRemoved:*`): tombstone only when the key has no current version.
 * - `unchanged`: the object's bytes are as they were (tags, ACL, restore of an archived copy, storage class or tier,
 *   replication progress): acknowledged and counted as `ignored`, never dead-lettered.
 * - anything else is unknown: the record goes to the DLQ with the reason.
 */
/** How a removal happened, when the event says. */
export type DeletionType = 'permanent' | 'delete-marker';

export type Classified =
  | { action: 'created' }
  | { action: 'removed'; deletionType?: DeletionType; lifecycle: boolean }
  | { action: 'unchanged' }
  | { action: 'unknown'; reason: string };

/** Event types that leave the bytes as they were (S3 notification names without the `s3:` prefix). */
const UNCHANGED_PREFIXES = [
  'ObjectTagging:',
  'ObjectAcl:',
  'ObjectRestore:',
  'LifecycleTransition',
  'IntelligentTiering',
  'Replication:',
];

/**
 * Classifies an S3 notification `eventName`. S3 writes it without the `s3:` prefix ("ObjectCreated:Put"); some
 * published samples (aws-lambda-go's test events) carry the prefix, so both are read.
 */
export function classifyS3EventName(eventName: string): Classified {
  const name = eventName.startsWith('s3:') ? eventName.slice(3) : eventName;
  if (name.startsWith('ObjectCreated:')) return { action: 'created' };
  if (name === 'ObjectRemoved:Delete') return { action: 'removed', deletionType: 'permanent', lifecycle: false };
  if (name === 'ObjectRemoved:DeleteMarkerCreated') {
    return { action: 'removed', deletionType: 'delete-marker', lifecycle: false };
  }
  if (name === 'LifecycleExpiration:Delete') return { action: 'removed', deletionType: 'permanent', lifecycle: true };
  if (name === 'LifecycleExpiration:DeleteMarkerCreated') {
    return { action: 'removed', deletionType: 'delete-marker', lifecycle: true };
  }
  if (UNCHANGED_PREFIXES.some((p) => name === p || name.startsWith(p))) return { action: 'unchanged' };
  if (name === 'ReducedRedundancyLostObject') {
    // The key still lists, but its data is gone: no automatic action is right, an operator must restore or delete it.
    return { action: 'unknown', reason: 'ReducedRedundancyLostObject: the object data is lost; an operator must act' };
  }
  return { action: 'unknown', reason: `event type ${JSON.stringify(eventName)} is not one the catalogue handles` };
}

/** EventBridge detail-types of S3 that leave the bytes as they were. */
const UNCHANGED_DETAIL_TYPES = [
  'Object Restore Initiated',
  'Object Restore Completed',
  'Object Restore Expired',
  'Object Storage Class Changed',
  'Object Access Tier Changed',
  'Object ACL Updated',
  'Object Tags Added',
  'Object Tags Deleted',
] as const;

/** Classifies an EventBridge S3 event by `detail-type`, `detail.reason` and `detail.deletion-type`. */
export function classifyDetailType(detailType: string, reason?: string, deletionType?: string): Classified {
  if (detailType === 'Object Created') return { action: 'created' };
  if (detailType === 'Object Deleted') {
    const type =
      deletionType === 'Delete Marker Created'
        ? 'delete-marker'
        : deletionType === 'Permanently Deleted'
          ? 'permanent'
          : undefined;
    return { action: 'removed', deletionType: type, lifecycle: reason === 'Lifecycle Expiration' };
  }
  if ((UNCHANGED_DETAIL_TYPES as readonly string[]).includes(detailType)) return { action: 'unchanged' };
  return { action: 'unknown', reason: `EventBridge detail-type ${JSON.stringify(detailType)} is not handled` };
}
