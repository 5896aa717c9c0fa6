import { BATCH_HELP } from './batch/cli.ts';
import { IMAGE_SUFFIXES } from './options.ts';

/** `npm run backfill -- --help`. */
export const BACKFILL_HELP = `Usage: npm run backfill -- --bucket NAME [options]

Enqueues a message for every image already in the bucket, into the worker's queue (QUEUE_URL), resumably.

Selection
  --bucket NAME             the bucket (required)
  --prefix P                only keys under P; repeatable (default: the whole bucket)
  --suffix S                only keys ending with S, case-insensitive; repeatable; '' takes every key
                            (default: ${IMAGE_SUFFIXES.join(' ')})
  --min-size BYTES          skip smaller objects (default 1: zero-byte objects are skipped); 64k, 10MB... accepted
  --max-size BYTES          skip larger objects (default: none; the worker rejects what is over IMAGE_MAX_BYTES)
  --skip-catalogued         (default) skip keys whose catalogue item has their eTag at the current analysis version
  --no-skip-catalogued      enqueue them anyway (the worker still skips them, without a model call)
  --reprocess-stale         enqueue only the keys whose catalogue item has another analysis version (a changed
                            model, prompt or schema), with reprocess: true; keys with no item are not enqueued
  --reprocess-without-display
                            enqueue only the keys whose catalogued item has no display copy (catalogued before the
                            worker made them), with reprocess: true, so the browser can show them

Repair
  --reconcile               list the bucket and the catalogue and repair where they disagree (lost events): enqueue
                            a repair message for each object with no item or an item of other bytes (eTag differs),
                            and for each item whose object is gone (confirmed by HeadObject; the worker writes the
                            tombstone); report the differences. Takes the selection options, --dry-run (report
                            only), --concurrency and --progress; no checkpoint (a reconcile is cheap to run again).
                            See docs/operations.md

Run
  --dry-run                 count, estimate tokens, cost and time; enqueue nothing
  --limit N                 enqueue at most N messages in this run (run again to continue)
  --rate N                  at most N messages per second (default: as fast as it goes)
  --concurrency N           SendMessageBatch calls in flight (default 32)
  --list-concurrency N      key ranges listed at once (default 8)
  --max-ranges N            key ranges per prefix, cut at its top-level folders (default 64)
  --page-size N             ListObjectsV2 MaxKeys, 1-1000 (default 1000)
  --checkpoint FILE         checkpoint file (default .local/backfill/<bucket>-<hash of the selection>.json)
  --restart, --no-resume    ignore an existing checkpoint and start over
  --progress MODE           auto (bar on a terminal, JSON lines otherwise), bar, json or none (default auto)

${BATCH_HELP}

Dry run
  --sample N                images whose header is read to estimate tokens (default 200)
  --output-tokens N         expected output tokens per image (default: measured on the catalogue, else 300)
  --no-calibrate            do not use the catalogue's measured token usage
  --price-input USD         price per million input tokens (default: shared/modelTable.ts for MODEL_ID)
  --price-output USD        price per million output tokens

Resume guarantee: a key is written to the checkpoint only after the SendMessageBatch that carried it succeeded, and
each key range's cursor moves only over keys whose batches all succeeded. A resumed run never skips a key; after a
kill -9 it may send again the batches that were in flight (at most --concurrency batches of 10); after Ctrl-C or
SIGTERM it sends nothing twice (the batches in flight finish first; press Ctrl-C twice to quit at once).

Exit codes: 0 done (or --limit reached), 1 failure or keys refused by SQS, 2 usage, 3 configuration, 130 interrupted.`;
