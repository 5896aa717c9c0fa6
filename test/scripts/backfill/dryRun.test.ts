import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDryRun } from '../../../scripts/backfill/dryRun.ts';
import { DEFAULT_OUTPUT_TOKENS } from '../../../scripts/backfill/estimate.ts';
import { runBackfill } from '../../../scripts/backfill/runBackfill.ts';
import { loadConfig } from '../../../shared/config.ts';
import { loadPrompt } from '../../../worker/model/prompt.ts';
import { needsRedelivery, type Outcome } from '../../../worker/pipeline/outcome.ts';
import { fixture, fixtureNames, type System, startSystem } from '../../helpers/system.ts';

/**
 * The dry run's token estimate against what the Bedrock stand-in reports when the real worker catalogues the same
 * images. Calibration and estimate use different images: the catalogue learns the request overhead and output length
 * from one half of the fixture photos; the estimate for the other half is then checked against their real usage.
 */
describe('dry run', () => {
  let system: System;
  const names = fixtureNames();
  const calibration = names.filter((_, i) => i % 2 === 0);
  const estimated = names.filter((_, i) => i % 2 === 1);

  beforeAll(async () => {
    system = await startSystem({ bridge: false });
    for (const name of calibration) await system.put(`cal/${name}`, fixture(name));
    for (const name of estimated) await system.put(`est/${name}`, fixture(name));
    await system.put('est/notes.txt', Buffer.from('not an image'));
    await system.startWorker();
  });

  afterAll(() => system?.close());

  const config = () => system.config();
  const backfillDeps = () => {
    const c = config();
    const { stack } = system;
    return {
      s3: stack.clients.s3,
      sqs: stack.clients.sqs,
      doc: stack.clients.ddbDoc,
      queueUrl: stack.queueUrl,
      tableName: stack.tableName,
      analysisVersion: loadPrompt(c).analysisVersion,
    };
  };
  const dryRunDeps = () => {
    const c = loadConfig(system.stack.env);
    const prompt = loadPrompt(c);
    return {
      s3: system.stack.clients.s3,
      doc: system.stack.clients.ddbDoc,
      tableName: c.tableName,
      analysisVersion: prompt.analysisVersion,
      model: c.model,
      prompt: prompt.text,
      image: c.image,
      quota: c.quota,
    };
  };

  /** Backfills `prefix` through the real worker and returns the outcomes of its keys. */
  async function catalogue(prefix: string, count: number): Promise<Outcome[]> {
    const summary = await runBackfill({ bucket: system.stack.bucket, prefixes: [prefix] }, backfillDeps());
    expect(summary.run.enqueued).toBe(count);
    return system.spy.waitForOutcomes(count, (o) => o.key.startsWith(prefix) && !needsRedelivery(o));
  }

  it('estimates within 10 % of the tokens the stand-in reports, calibrated on other catalogued images', async () => {
    const cal = await catalogue('cal/', calibration.length);
    expect(cal.every((o) => o.outcome === 'catalogued')).toBe(true);

    const report = await runDryRun({ bucket: system.stack.bucket, prefixes: ['est/'] }, dryRunDeps());
    expect(report.counts).toMatchObject({ listed: estimated.length + 1, enqueued: estimated.length });
    expect(report.requestModel).toMatchObject({ source: 'catalogue', items: calibration.length });
    expect(report.sample).toMatchObject({ size: estimated.length, unreadable: 0 });
    // Nothing was enqueued.
    expect(system.outcomes.filter((o) => o.key.startsWith('est/'))).toEqual([]);

    const est = await catalogue('est/', estimated.length);
    expect(est.every((o) => o.outcome === 'catalogued')).toBe(true);
    const actual = est.reduce((a, o) => a + (o.inputTokens ?? 0) + (o.outputTokens ?? 0), 0);
    const error = Math.abs(report.tokens.total - actual) / actual;
    expect(error).toBeLessThan(0.1);

    // Uncalibrated, the request text is counted as the stand-in counts it (with the model's tokenizer factor), and
    // the system prompt Claude adds for tool use (the model table's) as the stand-in reports it too.
    const first = await runDryRun(
      { bucket: system.stack.bucket, prefixes: ['est/'], skipCatalogued: false, calibrate: false },
      dryRunDeps(),
    );
    expect(first.requestModel.source).toBe('defaults');
    expect(Math.abs(first.requestModel.overheadTokens - report.requestModel.overheadTokens)).toBeLessThanOrEqual(2);
    expect(first.perImage.imageTokens).toBe(report.perImage.imageTokens);
  });

  it('prices the estimate and times it at the binding quota', async () => {
    const report = await runDryRun(
      { bucket: system.stack.bucket, prefixes: ['cal/'], skipCatalogued: false, calibrate: false },
      dryRunDeps(),
    );
    expect(report.requestModel).toMatchObject({ source: 'defaults', outputTokens: DEFAULT_OUTPUT_TOKENS });
    // coffee.tif keeps its image directory past the first 64 KB: its header needs the whole object.
    expect(report.sample).toMatchObject({ size: calibration.length, unreadable: 0 });
    expect(report.sample.wholeObjectReads).toBeGreaterThanOrEqual(1);
    const { input, output } = report.tokens;
    // Claude Haiku 5.5 through its global profile, the default MODEL_ID: $0.10 / $0.50 per million; batch half.
    expect(report.cost.onDemandUsd).toBeCloseTo((input * 0.1 + output * 0.5) / 1e6, 10);
    expect(report.cost.batchUsd).toBeCloseTo((report.cost.onDemandUsd ?? 0) / 2, 10);
    // 1000 requests/min and 2M tokens/min at 98 %, output counted 5× (the default model's burndown): tokens bind.
    expect(report.time.binding).toBe('tokens');
    expect(report.time.minutes).toBe(report.time.minutesByTokens);
    expect(report.time.minutes).toBeGreaterThan(calibration.length / (1000 * 0.98));
  });
});
