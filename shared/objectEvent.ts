import type { DeletionType } from './s3EventTypes.ts';

/** One object change, whatever the envelope it came in. Keys are decoded. */
export interface ObjectEvent {
  /**
   * `created`: new bytes; `removed`: a version or the object went away (lifecycle expiration included);
   * `unchanged`: tags, ACL, restore, storage class, tier or replication: the bytes are as they were.
   */
  kind: 'created' | 'removed' | 'unchanged';
  bucket: string;
  key: string;
  eTag?: string;
  size?: number;
  /** Absent when the event names none (an empty string in an event counts as none). */
  versionId?: string;
  sequencer?: string;
  eventTime?: string;
  eventName: string;
  source: 's3' | 'sns' | 'eventbridge' | 'backfill';
  /** Backfill only: re-analyse even when the item has this eTag (e.g. after a prompt change). */
  reprocess?: boolean;
  /** Removals: permanent (a version or an unversioned object) or a delete marker, when the event says. */
  deletionType?: DeletionType;
  /** Removals: made by an S3 Lifecycle expiration rule. */
  lifecycle?: boolean;
  /** Removals from EventBridge: `detail.reason` ("DeleteObject", "Lifecycle Expiration"). */
  deletionReason?: string;
}
