import { describe, expect, it } from 'vitest';
import type { PaidCall } from '../../bench/chaos/countingAnalyser.ts';
import { payments } from '../../bench/chaos/verify.ts';

// The chaos benchmark's accounting of payments. The benchmark itself (npm run bench:chaos) takes minutes and is
// never run here.

const call = (content: string, at: number, extra: Partial<PaidCall> = {}): PaidCall => ({
  content,
  at,
  malformed: false,
  probe: false,
  ...extra,
});

describe('payments', () => {
  it('counts a second good answer for a content as paid twice', () => {
    const p = payments([call('a', 0), call('a', 10_000), call('b', 0)], []);
    expect(p).toMatchObject({ modelCalls: 3, distinctContents: 2, duplicateGoodAnswers: 1, paidTwice: 1 });
    expect(p.callsPerContent).toBeCloseTo(1.5);
  });

  it('does not count a malformed answer and its retry as paying twice', () => {
    const p = payments([call('a', 0, { malformed: true }), call('a', 500)], []);
    expect(p).toMatchObject({ malformedAnswers: 1, duplicateGoodAnswers: 0, paidTwice: 0 });
  });

  it('sets apart an answer whose own worker was killed around it, before the next answer began', () => {
    const calls = [
      // w1 killed after asking for a: the retry by w2 is explained.
      call('a', 1000, { caller: 'w1' }),
      call('a', 30_000, { caller: 'w2' }),
      // b's first answer came from w3, which lived: w1's death explains nothing.
      call('b', 1000, { caller: 'w3' }),
      call('b', 30_000, { caller: 'w2' }),
      // c was answered twice before its first worker died: two workers paid at once.
      call('c', 1000, { caller: 'w4' }),
      call('c', 1200, { caller: 'w2' }),
      // d's worker was killed just before the stand-in read its request (sent before the kill): explained.
      call('d', 5000, { caller: 'w5' }),
      call('d', 30_000, { caller: 'w2' }),
      // e's worker lived on for a minute after its answer: it stored it, so e was paid twice.
      call('e', 5000, { caller: 'w6' }),
      call('e', 90_000, { caller: 'w2' }),
    ];
    const kills = [
      { at: 2500, name: 'w1' },
      { at: 2500, name: 'w4' },
      { at: 4200, name: 'w5' },
      { at: 65_000, name: 'w6' },
    ];
    expect(payments(calls, kills)).toMatchObject({ duplicateGoodAnswers: 5, inFlightAtKill: 2, paidTwice: 3 });
  });

  it("counts the workers' startup probes apart from the images' calls", () => {
    const calls = [call('probe', 0, { probe: true }), call('probe', 100, { probe: true }), call('a', 200)];
    const p = payments(calls, []);
    expect(p).toMatchObject({ modelCalls: 1, probeCalls: 2, distinctContents: 1, paidTwice: 0 });
  });
});
