import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.ts';
import { parseQueueMessage } from '../../shared/messages.ts';
import { createClients, destroyClients } from '../../worker/clients.ts';
import { createPipeline } from '../../worker/createWorker.ts';
import type { PipelineDeps } from '../../worker/pipeline/deps.ts';
import { processEvent } from '../../worker/pipeline/processEvent.ts';
import type { CatalogueStore, Describer } from '../../worker/ports.ts';
import { fixture, pollUntil, type System, startSystem } from '../helpers/system.ts';

/**
 * No double payment across processes: two workers that receive the same content at the same moment make one model
 * call. Each worker is built as its own process builds it (createPipeline with its own AWS clients); they share only
 * the local stack's DynamoDB table, S3 and the Bedrock stand-in, whose latency keeps the two calls overlapping.
 */
describe('end to end: two workers, same content, one model call', () => {
  let system: System;
  const workers: { deps: PipelineDeps; close: () => void }[] = [];

  beforeAll(async () => {
    system = await startSystem({ bedrock: { faults: { latencyMs: 600 } } });
  });
  afterAll(async () => {
    for (const w of workers.splice(0)) w.close();
    await system?.close();
  });

  async function worker(over: Record<string, string> = {}, wrapStore?: (s: CatalogueStore) => CatalogueStore) {
    const config = system.config(over);
    const clients = createClients(config);
    const deps = await createPipeline(
      config,
      clients,
      createLogger({ level: 'silent', format: 'json' }),
      (d: Describer) => d,
    );
    if (wrapStore) deps.store = wrapStore(deps.store);
    const w = { deps, close: () => destroyClients(clients) };
    workers.push(w);
    return deps;
  }

  /** The S3 event of an upload, taken from the bridge instead of the queue. */
  async function eventOf(key: string, body: Buffer) {
    system.stack.bridge.pause();
    await system.put(key, body);
    const [message] = system.stack.bridge.drain();
    system.stack.bridge.resume();
    const parsed = parseQueueMessage(message);
    if (parsed.kind !== 'events') throw new Error('expected an S3 event');
    return parsed.events[0]!;
  }

  const modelCalls = () => system.stack.bedrock!.stats().totals.accepted;

  it('the same event delivered to two workers at once: one model call, the other waits and skips', async () => {
    const [a, b] = [await worker(), await worker()];
    const event = await eventOf('same/one.jpg', fixture('rocket.jpg'));
    const before = modelCalls();
    const outcomes = await Promise.all([processEvent(event, a), processEvent(event, b)]);
    expect(modelCalls() - before).toBe(1);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['catalogued', 'skipped']);
    const item = (await system.items()).find((i) => i.key === 'same/one.jpg');
    expect(item?.status).toBe('catalogued');
  });

  it('identical bytes under two keys at once, with SKIP_SAME_CONTENT: one model call, the other reuses it', async () => {
    const on = { SKIP_SAME_CONTENT: 'true' };
    const [a, b] = [await worker(on), await worker(on)];
    const e1 = await eventOf('same/two-a.jpg', fixture('grace_hopper.jpg'));
    const e2 = await eventOf('same/two-b.jpg', fixture('grace_hopper.jpg'));
    const before = modelCalls();
    const outcomes = await Promise.all([processEvent(e1, a), processEvent(e2, b)]);
    expect(modelCalls() - before).toBe(1);
    expect(outcomes.every((o) => o.outcome === 'catalogued')).toBe(true);
    expect(outcomes.filter((o) => o.reused)).toHaveLength(1);
  });

  it('without the lease (claims always granted), the same two workers pay twice: the test can tell', async () => {
    const always = (s: CatalogueStore): CatalogueStore =>
      Object.assign(Object.create(s) as CatalogueStore, { claim: async () => true, release: async () => {} });
    const [a, b] = [await worker({}, always), await worker({}, always)];
    const event = await eventOf('same/three.jpg', fixture('coffee.png'));
    const before = modelCalls();
    await Promise.all([processEvent(event, a), processEvent(event, b)]);
    expect(modelCalls() - before).toBe(2);
  });

  it('leaves no lease behind', async () => {
    await pollUntil(async () => {
      const out = await system.stack.clients.ddbDoc.send(new ScanCommand({ TableName: system.stack.tableName }));
      return (out.Items ?? []).every((i) => !String(i.id).startsWith('claim#'));
    }, 'no claim# items');
  });
});
