import { describe, expect, it } from 'vitest';
import {
  capacityForBacklog,
  fargateMemoryOptions,
  overlappingSuffixes,
  parseAssignments,
  queueVisibilityTimeoutSeconds,
  scaleOutSteps,
} from '../../infra/rules.ts';
import { DEFAULT_SUFFIXES } from '../../infra/stackConfigSchema.ts';

describe('scaleOutSteps', () => {
  it('runs ceil(backlog / backlogPerWorker) tasks, capped at the maximum', () => {
    const steps = scaleOutSteps(4, 500);
    expect(steps).toEqual([
      { lowerBound: 0, upperBound: 500, capacity: 1 },
      { lowerBound: 500, upperBound: 1000, capacity: 2 },
      { lowerBound: 1000, upperBound: 1500, capacity: 3 },
      { lowerBound: 1500, capacity: 4 },
    ]);
    const expected: Array<[number, number | undefined]> = [
      [0, undefined],
      [1, 1],
      [500, 1],
      [501, 2],
      [1500, 3],
      [1501, 4],
      [1_000_000, 4],
    ];
    for (const [backlog, tasks] of expected)
      expect(capacityForBacklog(steps, backlog), `backlog ${backlog}`).toBe(tasks);
  });

  it('covers every backlog exactly once, also when thinned to 20 steps', () => {
    for (const [max, per] of [
      [1, 10],
      [7, 3],
      [20, 50],
      [21, 50],
      [1000, 7],
    ] as const) {
      const steps = scaleOutSteps(max, per);
      expect(steps.length).toBeLessThanOrEqual(20);
      expect(steps[0]?.lowerBound).toBe(0);
      expect(steps.at(-1)?.capacity).toBe(max);
      expect(steps.at(-1)?.upperBound).toBeUndefined();
      steps.slice(1).forEach((step, i) => {
        expect(step.lowerBound).toBe(steps[i]?.upperBound);
      });
      for (let backlog = 1; backlog < max * per + 5; backlog += Math.max(1, Math.floor(per / 3))) {
        const tasks = capacityForBacklog(steps, backlog) ?? 0;
        // Never fewer tasks than the backlog needs, never more than the maximum.
        expect(tasks).toBeGreaterThanOrEqual(Math.min(max, Math.ceil(backlog / per)));
        expect(tasks).toBeLessThanOrEqual(max);
      }
    }
  });

  it('returns no steps for nonsense input', () => {
    expect(scaleOutSteps(0, 10)).toEqual([]);
    expect(scaleOutSteps(3, 0)).toEqual([]);
  });
});

describe('limits', () => {
  it('knows the Fargate memory sizes of each CPU size', () => {
    expect(fargateMemoryOptions(256)).toEqual([512, 1024, 2048]);
    expect(fargateMemoryOptions(1024)).toEqual([2048, 3072, 4096, 5120, 6144, 7168, 8192]);
    expect(fargateMemoryOptions(16_384).at(-1)).toBe(122_880);
    expect(fargateMemoryOptions(300)).toEqual([]);
  });

  it('puts the visibility timeout at six times the handler timeout', () => {
    expect(queueVisibilityTimeoutSeconds(240)).toBe(1440);
  });

  it('finds suffixes S3 would reject as overlapping, and none among the defaults', () => {
    expect(overlappingSuffixes(DEFAULT_SUFFIXES)).toEqual([]);
    expect(overlappingSuffixes(['.jpg', 'jpg', '.png', '.png'])).toEqual([
      ['.jpg', 'jpg'],
      ['.png', '.png'],
    ]);
  });

  it('parses NAME=value assignments and names the malformed ones', () => {
    expect(parseAssignments(['A=1', 'B_2= x=y ', 'lower=1', 'NOEQUALS', 'A=2'])).toEqual({
      values: { A: '2', B_2: 'x=y' },
      problems: ['"lower=1" is not NAME=value', '"NOEQUALS" is not NAME=value', 'A is given twice'],
    });
  });
});
