import { type BackfillMessage, makeBackfillMessage } from '../../shared/messages.ts';

/**
 * The backfill message body as pure ASCII JSON: every character past U+007E written as a `\uXXXX` escape. S3 keys may
 * hold characters SQS refuses in a body (U+FFFE, U+FFFF; and some SQS stand-ins refuse everything past U+FFFF), and
 * JSON escapes parse back to exactly the same key.
 */
export function backfillMessageBody(input: Omit<BackfillMessage, 'type' | 'version'>): string {
  return makeBackfillMessage(input).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
