import { CatalogueError } from '../../shared/errors.ts';

/** SendMessageBatch kept failing for some entries after every attempt; the run stops and can be resumed. */
export class EnqueueFailedError extends CatalogueError {
  readonly code = 'BACKFILL_ENQUEUE_FAILED';
  readonly retryable = true;
}

/** The checkpoint file cannot be used: unreadable, malformed, or written for another selection of keys. */
export class CheckpointError extends CatalogueError {
  readonly code = 'BACKFILL_CHECKPOINT_INVALID';
  readonly retryable = false;
}
