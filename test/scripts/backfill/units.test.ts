import { describe, expect, it } from 'vitest';
import { emptyCounts } from '../../../scripts/backfill/counts.ts';
import { claudeSize, imageTokens, preparedSize, relativeMargin95 } from '../../../scripts/backfill/estimate.ts';
import { objectFilter } from '../../../scripts/backfill/filter.ts';
import { backfillMessageBody } from '../../../scripts/backfill/messageBody.ts';
import {
  BackfillOptions,
  defaultCheckpointFile,
  normalisePrefixes,
  parseByteSize,
  selectionHash,
} from '../../../scripts/backfill/options.ts';
import { type Decision, decideCatalogued, toUnits } from '../../../scripts/backfill/pagePlan.ts';
import { Semaphore } from '../../../scripts/backfill/Semaphore.ts';
import { ShardProgress } from '../../../scripts/backfill/ShardProgress.ts';
import { compareKeys, pickBoundaries } from '../../../scripts/backfill/shards.ts';
import { parseQueueMessage } from '../../../shared/messages.ts';
import { costOf, priceOf } from '../../../shared/models.ts';

const obj = (key: string, size = 10, eTag = 'e1') => ({ key, size, eTag });

describe('options', () => {
  it('merges overlapping prefixes so the listed key sets are disjoint', () => {
    expect(normalisePrefixes(['a/b/', 'a/', 'c/', 'a/', 'cd/'])).toEqual(['a/', 'c/', 'cd/']);
    expect(normalisePrefixes(['', 'x/'])).toEqual(['']);
  });

  it('parses byte sizes in powers of 1024', () => {
    expect(parseByteSize('0')).toBe(0);
    expect(parseByteSize('64k')).toBe(65_536);
    expect(parseByteSize('10MB')).toBe(10 * 1024 ** 2);
    expect(parseByteSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(() => parseByteSize('ten')).toThrow(RangeError);
  });

  it('names the checkpoint by the selection, not by speed settings or the limit', () => {
    const a = BackfillOptions.parse({ bucket: 'photos', prefixes: ['b/', 'a/'] });
    const b = BackfillOptions.parse({ bucket: 'photos', prefixes: ['a/', 'b/'], concurrency: 3, limit: 5 });
    const c = BackfillOptions.parse({ bucket: 'photos', prefixes: ['a/'] });
    const d = BackfillOptions.parse({ bucket: 'photos', prefixes: ['a/', 'b/'], reprocessStale: true });
    expect(selectionHash(a)).toBe(selectionHash(b));
    expect(selectionHash(a)).not.toBe(selectionHash(c));
    expect(selectionHash(a)).not.toBe(selectionHash(d));
    expect(defaultCheckpointFile(a, '/w')).toBe(`/w/.local/backfill/photos-${selectionHash(a)}.json`);
  });

  it('refuses a max size under the min size', () => {
    expect(BackfillOptions.safeParse({ bucket: 'photos', minSize: 10, maxSize: 5 }).success).toBe(false);
  });
});

describe('objectFilter', () => {
  const filter = objectFilter(BackfillOptions.parse({ bucket: 'photos', maxSize: 1000 }));

  it('takes image suffixes whatever their case, and says why it skips the rest', () => {
    expect(filter(obj('a/IMG_1.JPG'))).toEqual({ take: true });
    expect(filter(obj('b.HeIc'))).toEqual({ take: true });
    expect(filter(obj('notes.txt'))).toEqual({ take: false, reason: 'suffix' });
    expect(filter(obj('jpg'))).toEqual({ take: false, reason: 'suffix' });
    expect(filter(obj('empty.jpg', 0))).toEqual({ take: false, reason: 'empty' });
    expect(filter(obj('big.png', 1001))).toEqual({ take: false, reason: 'tooLarge' });
  });

  it("takes every key with the suffix ''", () => {
    const any = objectFilter(BackfillOptions.parse({ bucket: 'photos', suffixes: [''], minSize: 0 }));
    expect(any(obj('README', 0))).toEqual({ take: true });
  });
});

describe('decideCatalogued', () => {
  const o = obj('k.jpg', 5, 'etag-1');
  it('skips what the worker would skip: same eTag and analysis version, not a tombstone', () => {
    expect(decideCatalogued(o, undefined, 'all', 'v2')).toBeUndefined();
    expect(
      decideCatalogued(o, { id: 'b/k', status: 'catalogued', eTag: 'etag-1', analysisVersion: 'v2' }, 'all', 'v2'),
    ).toBe('catalogued');
    expect(
      decideCatalogued(o, { id: 'b/k', status: 'rejected', eTag: 'etag-1', analysisVersion: 'v2' }, 'all', 'v2'),
    ).toBe('catalogued');
    expect(
      decideCatalogued(o, { id: 'b/k', status: 'catalogued', eTag: 'etag-0', analysisVersion: 'v2' }, 'all', 'v2'),
    ).toBeUndefined();
    expect(
      decideCatalogued(o, { id: 'b/k', status: 'catalogued', eTag: 'etag-1', analysisVersion: 'v1' }, 'all', 'v2'),
    ).toBeUndefined();
    expect(
      decideCatalogued(o, { id: 'b/k', status: 'removed', eTag: 'etag-1', analysisVersion: 'v2' }, 'all', 'v2'),
    ).toBeUndefined();
  });

  it('with reprocess-stale takes exactly the items of another analysis version', () => {
    expect(decideCatalogued(o, undefined, 'reprocess-stale', 'v2')).toBe('notCatalogued');
    expect(decideCatalogued(o, { id: 'b/k', status: 'removed', analysisVersion: 'v1' }, 'reprocess-stale', 'v2')).toBe(
      'notCatalogued',
    );
    expect(
      decideCatalogued(
        o,
        { id: 'b/k', status: 'catalogued', eTag: 'x', analysisVersion: 'v2' },
        'reprocess-stale',
        'v2',
      ),
    ).toBe('current');
    expect(
      decideCatalogued(
        o,
        { id: 'b/k', status: 'catalogued', eTag: 'etag-1', analysisVersion: 'v1' },
        'reprocess-stale',
        'v2',
      ),
    ).toBeUndefined();
    expect(decideCatalogued(o, { id: 'b/k', status: 'rejected' }, 'reprocess-stale', 'v2')).toBeUndefined();
  });
});

describe('toUnits', () => {
  const decisions = (n: number, skipEvery = 0): Decision[] =>
    Array.from({ length: n }, (_, i) => {
      const skip = skipEvery > 0 && i % skipEvery === 0;
      return {
        obj: obj(`k${String(i).padStart(3, '0')}`),
        matched: !skip,
        ...(skip ? { skip: 'suffix' as const } : {}),
      };
    });

  it('cuts a page into batches of 10 in key order, skipped keys riding with the next batch', () => {
    const { units, truncated } = toUnits(decisions(25, 5), Number.POSITIVE_INFINITY);
    expect(truncated).toBe(false);
    expect(units.map((u) => u.take.length)).toEqual([10, 10]);
    expect(units.at(-1)?.lastKey).toBe('k024');
    expect(units.reduce((a, u) => a + u.counts.listed, 0)).toBe(25);
    expect(units.reduce((a, u) => a + u.counts.skipped.suffix, 0)).toBe(5);
  });

  it('stops at the limit, right after the last allowed object', () => {
    const { units, truncated } = toUnits(decisions(30), 12);
    expect(truncated).toBe(true);
    expect(units.map((u) => u.take.length)).toEqual([10, 2]);
    expect(units.at(-1)?.lastKey).toBe('k011');
  });
});

describe('ShardProgress', () => {
  it('moves the cursor only over units finished in key order', () => {
    const committed = emptyCounts();
    const shard = { id: 0, prefix: '', done: false } as { id: number; prefix: string; done: boolean; cursor?: string };
    const progress = new ShardProgress(shard, committed);
    const unit = (lastKey: string) => ({ lastKey, take: [], counts: { ...emptyCounts(), listed: 1, enqueued: 1 } });
    const [a, b, c] = [progress.add(unit('a')), progress.add(unit('b')), progress.add(unit('c'))];
    expect(progress.finish(b)).toBe(false);
    expect(progress.finish(c)).toBe(false);
    expect(shard.cursor).toBeUndefined();
    expect(progress.finish(a)).toBe(true);
    expect(shard.cursor).toBe('c');
    expect(committed.enqueued).toBe(3);
    expect(progress.pending).toBe(0);
  });
});

describe('key ranges', () => {
  it('orders keys as S3 does, by UTF-8 bytes', () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (4 bytes, F0 ...), though not in UTF-16.
    expect('😀' < '～').toBe(true);
    expect(compareKeys('～', '😀')).toBeLessThan(0);
    expect(compareKeys('B', 'a')).toBeLessThan(0);
  });

  it('spreads at most max - 1 cut points evenly over the folders', () => {
    const folders = Array.from({ length: 100 }, (_, i) => `f${String(i).padStart(3, '0')}/`);
    expect(pickBoundaries(folders.slice(0, 3), 8)).toEqual(folders.slice(0, 3));
    const cuts = pickBoundaries(folders, 5);
    expect(cuts).toEqual(['f020/', 'f040/', 'f060/', 'f080/']);
  });
});

describe('token estimate', () => {
  it('follows the worker resize, then Claude own downscale', () => {
    expect(preparedSize(4000, 3001, 1568)).toEqual({ width: 1568, height: 1176 });
    expect(preparedSize(800, 600, 1568)).toEqual({ width: 800, height: 600 });
    expect(claudeSize(1568, 1176).width * claudeSize(1568, 1176).height).toBeLessThanOrEqual(1_150_000);
    expect(imageTokens(750, 1, 1568)).toBe(1);
    expect(imageTokens(1000, 750, 1568)).toBe(1000);
    // Past ~1.15 MP no image costs more than about 1,600 tokens.
    expect(imageTokens(8000, 6000, 8000)).toBeLessThanOrEqual(1534);
  });

  it('gives no margin when the sample is the population, and a shrinking one as the sample grows', () => {
    const values = [100, 200, 300, 400];
    expect(relativeMargin95(values, 4)).toBe(0);
    expect(relativeMargin95(values, 1000)).toBeGreaterThan(relativeMargin95([...values, ...values, ...values], 1000));
  });
});

describe('pricing', () => {
  it('prices the Claude models by any form of Bedrock id, geographic profiles with their premium', () => {
    expect(priceOf('anthropic.claude-3-haiku-20240307-v1:0')?.inputPerMillion).toBe(0.25);
    expect(priceOf('us.anthropic.claude-3-5-haiku-20241022-v1:0')?.outputPerMillion).toBe(4);
    expect(priceOf('global.anthropic.claude-haiku-4-5-20251001-v1:0')?.inputPerMillion).toBe(1);
    expect(priceOf('eu.anthropic.claude-haiku-4-5-20251001-v1:0')?.inputPerMillion).toBe(1.1);
    expect(
      priceOf('arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-haiku-5-5')?.name,
    ).toBe('Claude Haiku 5.5');
    expect(priceOf('amazon.nova-lite-v1:0')).toBeUndefined();
    expect(
      costOf({ input: 2_000_000, output: 1_000_000 }, { inputPerMillion: 0.25, outputPerMillion: 1.25 }),
    ).toBeCloseTo(1.75);
  });
});

describe('backfillMessageBody', () => {
  it('is ASCII and parses back to the exact key', () => {
    const key = 'ü/日本 😀 +%2B\uFFFF.jpg';
    const body = backfillMessageBody({ bucket: 'photos', key, eTag: 'abc', size: 3 });
    expect(/^[\x20-\x7e]*$/.test(body)).toBe(true);
    const parsed = parseQueueMessage(body);
    expect(parsed.kind === 'events' && parsed.events[0]?.key).toBe(key);
  });
});

describe('Semaphore', () => {
  it('hands slots over in arrival order, and gives up a wait when its signal aborts', async () => {
    const gate = new Semaphore(1);
    expect(await gate.acquire()).toBe(true);
    const controller = new AbortController();
    const aborted = gate.acquire(controller.signal);
    const next = gate.acquire();
    controller.abort();
    expect(await aborted).toBe(false);
    gate.release();
    expect(await next).toBe(true);
    expect(gate.inUse).toBe(1);
    gate.release();
    expect(gate.inUse).toBe(0);
  });
});
