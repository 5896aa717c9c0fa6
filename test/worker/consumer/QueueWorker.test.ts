import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { ModelPausedError, ThrottledError } from '../../../shared/errors.ts';
import { SqsDeadLetterSink } from '../../../worker/adapters/SqsDeadLetterSink.ts';
import { QueueWorker } from '../../../worker/consumer/QueueWorker.ts';
import type { DescribeRequest, DescribeResult, Describer } from '../../../worker/ports.ts';
import { fakePipeline, ScriptedDescriber } from '../../helpers/fakes.ts';
import { OutcomeSpy } from '../../helpers/outcomeSpy.ts';
import { pollUntil } from '../../helpers/system.ts';
import { capturingLogger, created, makeS3EventMessage } from './helpers.ts';

/** A describer that answers only when the test says so, or never (until aborted). */
class GatedDescriber implements Describer {
  readonly called: Promise<void>;
  private markCalled: () => void = () => {};
  constructor() {
    this.called = new Promise((resolve) => (this.markCalled = resolve));
  }
  describe(request: DescribeRequest): Promise<DescribeResult> {
    this.markCalled();
    return new Promise((_resolve, reject) => {
      request.signal?.addEventListener('abort', () => reject(request.signal?.reason), { once: true });
    });
  }
}

/** QueueWorker with the real SQS client on fauxqs; the pipeline on in-memory fakes. */
describe('QueueWorker on the SQS stand-in', () => {
  let stack: LocalStack;
  let sqs: SQSClient;
  const visibilityChanges: { VisibilityTimeout?: number }[] = [];
  /** Copies the worker sends back to its queue (a retry, or a hand-back on stop). */
  const copies: { DelaySeconds?: number; MessageAttributes?: Record<string, { StringValue?: string }> }[] = [];
  const workers: QueueWorker[] = [];
  let queues = 0;

  beforeAll(async () => {
    stack = await startLocalStack({ bedrock: false, bridge: false });
    // The worker's own client, so the test can see each visibility change it asks for.
    sqs = new SQSClient({ endpoint: stack.endpoints.sqs, region: stack.region, credentials: stack.credentials });
    sqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ChangeMessageVisibilityCommand') {
          visibilityChanges.push(args.input as { VisibilityTimeout?: number });
        }
        if (context.commandName === 'SendMessageCommand') copies.push(args.input as (typeof copies)[number]);
        return next(args);
      },
      { step: 'initialize', name: 'recordVisibilityChanges' },
    );
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop(1000);
    visibilityChanges.length = 0;
    copies.length = 0;
  });
  afterAll(async () => {
    sqs?.destroy();
    await stack?.close();
  });

  async function newQueue(): Promise<string> {
    // Visibility 60 s: a message seen again within a test came back because the worker released it.
    const { QueueUrl } = await stack.clients.sqs.send(
      new CreateQueueCommand({ QueueName: `qw-${++queues}`, Attributes: { VisibilityTimeout: '60' } }),
    );
    return QueueUrl!;
  }

  function start(
    queueUrl: string,
    describer: Describer,
    over: { retryDelaySeconds?: (n: number) => number; dlqUrl?: string; paused?: boolean; maxAttempts?: number } = {},
  ) {
    const pipeline = fakePipeline({ describer });
    const { logger, lines } = capturingLogger();
    const worker = new QueueWorker({
      queueUrl,
      sqs,
      consumer: {
        consumers: 1,
        batchSize: 5,
        waitTimeSeconds: 1,
        visibilityTimeoutSeconds: 60,
        heartbeatSeconds: 20,
        handlerTimeoutSeconds: 30,
        shutdownTimeoutSeconds: 5,
        messageMaxAttempts: over.maxAttempts ?? 5,
        maxInflightBytes: 256 * 1024 * 1024,
      },
      handler: {
        pipeline: pipeline.deps,
        deadLetters: new SqsDeadLetterSink(stack.clients.sqs, over.dlqUrl ?? stack.dlqUrl),
        logger,
        retryDelaySeconds: over.retryDelaySeconds,
      },
      logger,
    });
    const spy = new OutcomeSpy().attach(worker);
    workers.push(worker);
    if (over.paused) worker.pause();
    worker.start();
    return { worker, spy, lines, ...pipeline };
  }

  const send = (queueUrl: string, body: string) =>
    stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));

  async function queueDepth(queueUrl: string): Promise<number> {
    const { Attributes } = await stack.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
  }

  it('handles each message, counts its outcomes and tokens, and deletes it', async () => {
    const queueUrl = await newQueue();
    const { worker, spy, bucket } = start(queueUrl, new ScriptedDescriber());
    for (const key of ['1.jpg', '2.jpg', '3.jpg']) {
      const body = Buffer.from(`img:10x10 ${key}`);
      bucket.put(key, body);
      await send(queueUrl, makeS3EventMessage([created('b', key, body, '0A')]));
    }
    const outcomes = await spy.waitForOutcomes(3);
    expect(outcomes.map((o) => o.outcome)).toEqual(['catalogued', 'catalogued', 'catalogued']);
    await spy.waitForMessages(3, (m) => m.action === 'ack');
    expect(worker.stats).toMatchObject({ messages: 3, poison: 0, inputTokens: 300, outputTokens: 60 });
    expect(worker.stats.outcomes.catalogued).toBe(3);
    // (Deletion emits nothing the worker forwards: the queue itself says when the messages are gone.)
    await pollUntil(async () => (await queueDepth(queueUrl)) === 0, 'the handled messages deleted');
  });

  it('puts a message with a record to retry back after the delay the handler chose, one failed attempt more, and handles it again', async () => {
    const queueUrl = await newQueue();
    const describer = new ScriptedDescriber([new ThrottledError('429')]);
    const { worker, spy, bucket } = start(queueUrl, describer, { retryDelaySeconds: () => 1 });
    const body = Buffer.from('img:10x10');
    bucket.put('t.jpg', body);
    await send(queueUrl, makeS3EventMessage([created('b', 't.jpg', body, '0A')]));
    // Back within 30 s although the visibility timeout is 60 s: released, not merely abandoned.
    const done = await spy.waitForOutcome('t.jpg', (o) => o.outcome === 'catalogued', { timeoutMs: 30_000 });
    expect(done.outcome).toBe('catalogued');
    expect(spy.outcomes.map((o) => o.outcome)).toEqual(['retry', 'catalogued']);
    // A copy with the delay and the count of failed attempts; the original is deleted (not left to count a receive).
    expect(copies).toEqual([
      expect.objectContaining({
        DelaySeconds: 1,
        MessageAttributes: expect.objectContaining({
          'catalogue-attempts': expect.objectContaining({ StringValue: '1' }),
        }),
      }),
    ]);
    expect(visibilityChanges).toEqual([]);
    expect(worker.stats.outcomes).toMatchObject({ retry: 1, catalogued: 1 });
    expect(worker.stats.retried).toBe(1);
    expect(describer.calls).toBe(2);
  });

  it('counts a poison message, which the DLQ keeps', async () => {
    const queueUrl = await newQueue();
    const { worker, spy } = start(queueUrl, new ScriptedDescriber());
    await send(queueUrl, 'not json at all');
    const [handled] = await spy.waitForMessages(1, () => true);
    expect(handled?.deadLettered).toMatch(/not JSON/);
    expect(worker.stats.poison).toBe(1);
    const dead = await stack.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 }),
    );
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['not json at all']);
  });

  it('on stop, aborts what is still running at the deadline and hands it back at once, this receive uncounted', async () => {
    const queueUrl = await newQueue();
    const describer = new GatedDescriber();
    const { worker, bucket } = start(queueUrl, describer);
    const body = Buffer.from('img:10x10');
    bucket.put('slow.jpg', body);
    await send(queueUrl, makeS3EventMessage([created('b', 'slow.jpg', body, '0A')]));
    await describer.called;
    expect(worker.stats.inFlight).toBe(1);
    const { released } = await worker.stop(200);
    expect(released).toBe(1);
    expect(worker.stats.inFlight).toBe(0);
    expect(copies).toEqual([expect.objectContaining({ DelaySeconds: 0 })]);
    const again = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        WaitTimeSeconds: 10,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    // A fresh copy: the receive the stop cut short does not count toward maxReceiveCount.
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(again.Messages).toHaveLength(1);
  });

  it('puts a message whose handler crashed (DLQ unreachable) back after the retry delay, as a failed attempt', async () => {
    const queueUrl = await newQueue();
    const { spy, lines } = start(queueUrl, new ScriptedDescriber(), {
      retryDelaySeconds: () => 7,
      dlqUrl: `${stack.endpoints.sqs}/000000000000/no-such-dlq`,
    });
    await send(queueUrl, 'poison that cannot be dead-lettered');
    await pollUntil(() => copies.length > 0, 'the message put back');
    expect(copies).toEqual([
      expect.objectContaining({
        DelaySeconds: 7,
        MessageAttributes: expect.objectContaining({
          'catalogue-attempts': expect.objectContaining({ StringValue: '1' }),
        }),
      }),
    ]);
    // A failed attempt like any other, with why.
    expect(spy.messages).toEqual([
      expect.objectContaining({ action: 'release', failure: expect.objectContaining({ code: 'TRANSIENT' }) }),
    ]);
    expect(lines.some((l) => l.msg === 'message handler failed; message released')).toBe(true);
  });

  it('a message of a stopped worker stays on the queue', async () => {
    const queueUrl = await newQueue();
    const { worker, spy } = start(queueUrl, new ScriptedDescriber());
    expect(await worker.stop(1000)).toEqual({ released: 0 });
    await send(queueUrl, makeS3EventMessage([created('b', 'late.jpg', Buffer.from('img:1x1'), '01')]));
    const left = await stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 }));
    expect(left.Messages).toHaveLength(1);
    expect(spy.outcomes).toEqual([]);
  });

  it('a paused worker takes no message until it is resumed, then handles it', async () => {
    const queueUrl = await newQueue();
    const { worker, spy, bucket } = start(queueUrl, new ScriptedDescriber(), { paused: true });
    expect(worker.isPaused()).toBe(true);
    worker.pause();
    const body = Buffer.from('img:10x10 paused');
    bucket.put('p.jpg', body);
    await send(queueUrl, makeS3EventMessage([created('b', 'p.jpg', body, '0A')]));
    // Nobody else took it: the test receives it itself, then puts it straight back.
    const seen = await stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 }));
    expect(seen.Messages).toHaveLength(1);
    await stack.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: seen.Messages?.[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    expect(spy.outcomes).toEqual([]);
    worker.resume();
    expect(worker.isPaused()).toBe(false);
    const done = await spy.waitForOutcome('p.jpg', (o) => o.outcome === 'catalogued', { timeoutMs: 30_000 });
    expect(done.outcome).toBe('catalogued');
    // Resuming twice starts nothing twice.
    worker.resume();
    expect(worker.isPaused()).toBe(false);
  });

  it('a worker resumed before it was started only starts taking messages with start()', async () => {
    const queueUrl = await newQueue();
    const { worker, spy, bucket } = start(queueUrl, new ScriptedDescriber(), { paused: true });
    await worker.stop(1000);
    worker.resume();
    const body = Buffer.from('img:10x10 stopped');
    bucket.put('s.jpg', body);
    await send(queueUrl, makeS3EventMessage([created('b', 's.jpg', body, '0A')]));
    const left = await stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 }));
    expect(left.Messages).toHaveLength(1);
    expect(spy.outcomes).toEqual([]);
  });

  it('after the last allowed attempt, dead-letters the message naming the key, the reason and its code', async () => {
    const queueUrl = await newQueue();
    const { QueueUrl: dlqUrl } = await stack.clients.sqs.send(
      new CreateQueueCommand({ QueueName: `qw-dlq-${queues}` }),
    );
    const describer = new ScriptedDescriber([new ThrottledError('429 from Bedrock')]);
    const { worker, spy, bucket } = start(queueUrl, describer, { maxAttempts: 1, dlqUrl });
    const body = Buffer.from('img:10x10 doomed');
    bucket.put('d.jpg', body);
    await send(queueUrl, makeS3EventMessage([created('b', 'd.jpg', body, '0A')]));
    const [o] = await spy.waitForOutcomes(1);
    expect(o?.outcome).toBe('retry');
    const dead = await stack.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 10, MessageAttributeNames: ['All'] }),
    );
    const attributes = dead.Messages?.[0]?.MessageAttributes ?? {};
    expect(attributes['catalogue-reason']?.StringValue).toBe(`gave up after 1 failed attempts: d.jpg: ${o?.reason}`);
    expect(attributes['catalogue-error-code']?.StringValue).toBe(o?.reasonCode);
    expect(attributes['catalogue-failed-attempts']?.StringValue).toBe('1');
    expect(worker.stats).toMatchObject({ gaveUp: 1, retried: 0 });
    expect(copies).toEqual([]);
  });

  it('a record waiting for a paused model hands its message back at once, not counted as a failed attempt', async () => {
    const queueUrl = await newQueue();
    const describer = new ScriptedDescriber([new ModelPausedError('model calls paused')]);
    const { worker, spy, bucket } = start(queueUrl, describer, { retryDelaySeconds: () => 60 });
    const body = Buffer.from('img:10x10 waits');
    bucket.put('w.jpg', body);
    await send(queueUrl, makeS3EventMessage([created('b', 'w.jpg', body, '0A')]));
    const done = await spy.waitForOutcome('w.jpg', (x) => x.outcome === 'catalogued', { timeoutMs: 30_000 });
    expect(done.outcome).toBe('catalogued');
    expect(spy.outcomes[0]).toMatchObject({ outcome: 'retry', reasonCode: 'MODEL_PAUSED' });
    // A fresh copy at once with no attempt added, not the 60 s retry delay.
    expect(copies).toEqual([expect.objectContaining({ DelaySeconds: 0 })]);
    expect(copies[0]?.MessageAttributes?.['catalogue-attempts']?.StringValue).toBe('0');
    expect(worker.stats).toMatchObject({ handedBack: 1, retried: 0 });
  });
});
