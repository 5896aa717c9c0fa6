import { Writable } from 'node:stream';
import type { Message } from '@aws-sdk/client-sqs';
import { makeS3EventMessage, makeS3EventRecord } from '../../../local/s3Events.ts';
import { createLogger, type Logger } from '../../../shared/logger.ts';
import { etagOf } from '../../helpers/fakes.ts';

/** A logger whose JSON lines are kept for the test to read. */
export function capturingLogger(level = 'debug'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level, format: 'json' }, sink), lines };
}

/** pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** One S3 ObjectCreated record for `body` under `key`, as S3 sends it. */
export function created(bucket: string, key: string, body: Buffer, sequencer: string) {
  return makeS3EventRecord({
    eventName: 'ObjectCreated:Put',
    bucket,
    key,
    sequencer,
    size: body.length,
    eTag: etagOf(body),
  });
}

export function removed(bucket: string, key: string, sequencer: string) {
  return makeS3EventRecord({ eventName: 'ObjectRemoved:Delete', bucket, key, sequencer });
}

/** An SQS message as sqs-consumer hands it to the handler. */
export function sqsMessage(body: string, receiveCount = 1, id = `m-${Math.random().toString(36).slice(2)}`): Message {
  return {
    MessageId: id,
    ReceiptHandle: `rh-${id}`,
    Body: body,
    Attributes: { ApproximateReceiveCount: String(receiveCount) },
  };
}

export { makeS3EventMessage };
