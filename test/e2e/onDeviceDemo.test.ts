import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnDeviceAnalyser } from '../../local/bedrock/analysers/onDevice.ts';
import { fixture, type System, startSystem } from '../helpers/system.ts';

/**
 * Issue 3: the demo's answers are genuine on-device output, through the whole path `npm start` uses: upload → event →
 * worker → Bedrock stand-in (on-device analyser) → catalogue.
 */
describe('end to end with the on-device analyser (the demo)', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem({ bedrock: { analyser: createOnDeviceAnalyser() } });
    await system.startWorker();
  });
  afterAll(() => system?.close());

  it('catalogues the astronaut with a person label whose box covers her, marked on-device', async () => {
    await system.put('demo/astronaut.png', fixture('astronaut.png'));
    await system.spy.waitForOutcome('demo/astronaut.png', (o) => o.outcome === 'catalogued', { timeoutMs: 90_000 });
    const item = (await system.items()).find((i) => i.key === 'demo/astronaut.png');
    if (!item) throw new Error('the astronaut was catalogued, yet is not in the table');
    expect(item.summary).toMatch(/^On-device analysis \(low confidence\)/);
    expect(item.sensitive?.reason).toMatch(/^On-device classifiers \(low confidence\)/);
    const person = item.labels?.find((l) => l.name === 'person');
    expect(person, JSON.stringify(item.labels)).toBeDefined();
    const b = person!.box;
    // She stands left of centre and fills most of the frame: the box holds her face (~x 0.3-0.45, y 0.15-0.4)
    // and her suited body, and covers a large share of the image.
    expect(b.left).toBeLessThan(0.3);
    expect(b.top).toBeLessThan(0.2);
    expect(b.left + b.width).toBeGreaterThan(0.5);
    expect(b.top + b.height).toBeGreaterThan(0.85);
    expect(b.width * b.height).toBeGreaterThan(0.4);
    // The same box in pixels of the 512 × 512 original.
    expect(person!.boxPx.width).toBeCloseTo(b.width * 512, -1);
  });
});
