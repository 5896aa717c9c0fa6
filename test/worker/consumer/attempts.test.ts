import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTEMPTS_ATTRIBUTE } from '../../../shared/deadLetters.ts';
import { createLogger } from '../../../shared/logger.ts';
import { SqsDeadLetterSink } from '../../../worker/adapters/SqsDeadLetterSink.ts';
import { attemptsOf, Redelivery } from '../../../worker/consumer/Redelivery.ts';
import type { Outcome } from '../../../worker/pipeline/outcome.ts';
import { fixture, pollUntil, type System, startSystem } from '../../helpers/system.ts';

describe('the worker counts its real failures itself', () => {
  let system: System;
  beforeAll(async () => {
    // Every model call fails: each attempt of the message is a real failure.
    system = await startSystem({ bedrock: { faults: { serviceUnavailableRate: 1 } } });
  });
  afterAll(() => system?.close());

  async function receiveOne(queueUrl: string) {
    const out = await system.stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        WaitTimeSeconds: 5,
        MaxNumberOfMessages: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    const m = out.Messages?.[0];
    if (!m) throw new Error('nothing received');
    return m;
  }

  it('a hand-back puts a fresh copy back (the receive is not counted); a retry adds one failed attempt', async () => {
    const { sqs } = system.stack.clients;
    const queueUrl = system.stack.queueUrl;
    const redelivery = new Redelivery({
      sqs,
      queueUrl,
      deadLetters: new SqsDeadLetterSink(sqs, system.stack.dlqUrl),
      maxAttempts: 2,
      logger: createLogger({ level: 'silent', format: 'json' }),
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"probe":1}' }));
    const first = await receiveOne(queueUrl);
    expect(first.Attributes?.ApproximateReceiveCount).toBe('1');
    await redelivery.handBack(first);
    const second = await receiveOne(queueUrl);
    expect(second.Body).toBe('{"probe":1}');
    expect(second.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(attemptsOf(second)).toBe(0);
    expect(await redelivery.retryLater(second, { reason: 'r', code: 'C', delaySeconds: 0 })).toBe('retrying');
    const third = await receiveOne(queueUrl);
    expect(third.MessageAttributes?.[ATTEMPTS_ATTRIBUTE]?.StringValue).toBe('1');
    // The second failure reaches maxAttempts 2: the DLQ, with the reason and the count.
    expect(await redelivery.retryLater(third, { reason: 'still failing', code: 'C', delaySeconds: 0 })).toBe(
      'dead-lettered',
    );
    const dead = await receiveOne(system.stack.dlqUrl);
    expect(dead.MessageAttributes?.['catalogue-reason']?.StringValue).toBe(
      'gave up after 2 failed attempts: still failing',
    );
    expect(dead.MessageAttributes?.['catalogue-failed-attempts']?.StringValue).toBe('2');
  });

  it('dead-letters a message after MESSAGE_MAX_ATTEMPTS failed attempts, with the reason, one model call each', async () => {
    const worker = await system.startWorker({ MODEL_MAX_ATTEMPTS: '1', MESSAGE_MAX_ATTEMPTS: '3' });
    const failures: Outcome[] = [];
    worker.worker.on('outcome', (o: Outcome) => {
      if (o.key === 'fails/coffee.png') failures.push(o);
    });
    const before = system.stack.bedrock?.stats().totals.requests ?? 0;
    await system.put('fails/coffee.png', fixture('coffee.png'));
    await pollUntil(() => worker.worker.stats.gaveUp === 1, 'the worker giving up on the message', 60_000);
    expect(failures.map((o) => o.outcome)).toEqual(['failed', 'failed', 'failed']);
    expect((system.stack.bedrock?.stats().totals.requests ?? 0) - before).toBe(3);
    expect(worker.worker.stats.retried).toBe(2);
    const dead = await system.deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]?.reason).toMatch(/^gave up after 3 failed attempts: fails\/coffee\.png: /);
    expect(JSON.parse(dead[0]?.body ?? '{}').Records[0].s3.object.key).toBe('fails/coffee.png');
  });
});
