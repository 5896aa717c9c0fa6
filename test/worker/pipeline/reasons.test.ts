import {
  AccessDeniedException,
  ModelErrorException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageRejectedError, ModelOutputTruncatedError, ModelRequestError } from '../../../shared/errors.ts';
import { createLogger } from '../../../shared/logger.ts';
import type { ObjectEvent } from '../../../shared/messages.ts';
import { DEFAULT_MODEL_ID } from '../../../shared/models.ts';
import { translateBedrockError } from '../../../worker/adapters/bedrockErrors.ts';
import { GatedDescriber, ModelGate } from '../../../worker/model/ModelGate.ts';
import { RetryingDescriber } from '../../../worker/model/RetryingDescriber.ts';
import { processEvent } from '../../../worker/pipeline/processEvent.ts';
import { etagOf, fakePipeline } from '../../helpers/fakes.ts';

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:sts::${ACCOUNT}:assumed-role/catalogue-worker/7f3c`;
const MODEL_ARN = `arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/${DEFAULT_MODEL_ID}`;
const meta = (status: number) => ({ $metadata: { httpStatusCode: status } });

/** Every way Bedrock can fail, each message carrying the account id and ARNs as real ones do. */
const BEDROCK_FAILURES: Array<[string, () => Error]> = [
  [
    'access denied',
    () =>
      new AccessDeniedException({
        message: `User: ${ROLE} is not authorized to perform: bedrock:InvokeModel on resource: ${MODEL_ARN}`,
        ...meta(403),
      }),
  ],
  [
    'end of life',
    () =>
      new ResourceNotFoundException({
        message: `This model version has reached the end of its life. ${MODEL_ARN}`,
        ...meta(404),
      }),
  ],
  [
    'image refused',
    () =>
      new ValidationException({ message: `Could not process image for ${ROLE} (account ${ACCOUNT})`, ...meta(400) }),
  ],
  [
    'image too large for the context',
    () => new ValidationException({ message: `prompt is too long: ${MODEL_ARN}`, ...meta(400) }),
  ],
  [
    'parameter refused',
    () => new ValidationException({ message: `temperature is not supported (${MODEL_ARN})`, ...meta(400) }),
  ],
  [
    'profile required',
    () =>
      new ValidationException({
        message: `Invocation of model ID ${MODEL_ARN} with on-demand throughput isn’t supported.`,
        ...meta(400),
      }),
  ],
  ['unknown validation', () => new ValidationException({ message: `Something about ${ROLE}`, ...meta(400) })],
  ['daily budget', () => new ThrottlingException({ message: `Too many tokens per day (${ACCOUNT})`, ...meta(429) })],
  ['model error', () => new ModelErrorException({ message: `model failed for ${ROLE}`, ...meta(424) })],
  ['unavailable', () => new ServiceUnavailableException({ message: `busy ${MODEL_ARN}`, ...meta(503) })],
];

/** What the describer itself raises: stop reasons and a refusal from another model service. */
const DESCRIBER_FAILURES: Array<[string, () => Error]> = [
  ['max_tokens', () => new ModelOutputTruncatedError(64, `stopped at 64 for ${ROLE}`)],
  [
    'content filtered',
    () => new ImageRejectedError('MODEL_CONTENT_FILTERED', 'the model declined to describe this image'),
  ],
  ['another service refused', () => new ModelRequestError(`refused for ${ROLE}`)],
];

const gates: ModelGate[] = [];
afterEach(() => {
  for (const g of gates.splice(0)) g.close();
});

async function run(name: string, failure: () => Error) {
  const gate = new ModelGate({
    probe: async () => ({ ok: false, error: new Error('still failing') }),
    probeMs: 3_600_000,
    logger: createLogger({ level: 'silent', format: 'json' }),
  });
  gates.push(gate);
  const failing = {
    async describe() {
      const error = failure();
      throw error.name.endsWith('Exception') ? translateBedrockError(error, DEFAULT_MODEL_ID) : error;
    },
  };
  const describer = new RetryingDescriber(new GatedDescriber(failing, gate), {
    maxAttempts: 2,
    outputMaxAttempts: 2,
    truncatedMaxTokens: 64,
    baseMs: 1,
    maxMs: 1,
  });
  const { deps, store, bucket } = fakePipeline({ describer });
  const body = Buffer.from(`img:40x30 ${name}`);
  bucket.put(`${name}.jpg`, body);
  const event: ObjectEvent = {
    kind: 'created',
    bucket: 'b',
    key: `${name}.jpg`,
    eTag: etagOf(body),
    size: body.length,
    sequencer: '01',
    eventName: 'ObjectCreated:Put',
    source: 's3',
  };
  const outcome = await processEvent(event, deps);
  return { outcome, items: [...store.items.values()], paused: gate.paused };
}

describe('no stored reason holds an ARN or an account id', () => {
  it.each([...BEDROCK_FAILURES, ...DESCRIBER_FAILURES])('%s', async (name, failure) => {
    const { outcome, items } = await run(name, failure);
    for (const item of items) {
      expect(item.reason ?? '').not.toMatch(/arn:aws/);
      expect(item.reason ?? '').not.toMatch(/\b\d{12}\b/);
    }
    expect(JSON.stringify(outcome.reason ?? '')).not.toMatch(new RegExp(`arn:aws|${ACCOUNT}`));
  });

  it('rejects only what is about the image; configuration faults and the daily budget pause instead', async () => {
    const results = Object.fromEntries(
      await Promise.all(
        [...BEDROCK_FAILURES, ...DESCRIBER_FAILURES].map(async ([name, f]) => [name, await run(name, f)] as const),
      ),
    );
    const rejected = Object.entries(results)
      .filter(([, r]) => r.outcome.outcome === 'rejected')
      .map(([name, r]) => [name, r.outcome.reasonCode]);
    expect(rejected).toEqual([
      ['image refused', 'MODEL_REJECTED_IMAGE'],
      ['image too large for the context', 'MODEL_INPUT_TOO_LARGE'],
      ['max_tokens', 'MODEL_OUTPUT_TRUNCATED'],
      ['content filtered', 'MODEL_CONTENT_FILTERED'],
      ['another service refused', 'MODEL_REFUSED'],
    ]);
    for (const name of [
      'access denied',
      'end of life',
      'parameter refused',
      'profile required',
      'unknown validation',
    ]) {
      expect(results[name]?.outcome).toMatchObject({ outcome: 'retry', reasonCode: 'MODEL_PAUSED' });
      expect(results[name]?.paused).toMatchObject({ kind: 'configuration' });
      expect(results[name]?.items).toEqual([]);
    }
    expect(results['daily budget']?.paused).toMatchObject({ kind: 'daily-quota' });
    expect(results['daily budget']?.items).toEqual([]);
  });
});
