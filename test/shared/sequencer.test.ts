import { describe, expect, it } from 'vitest';
import { compareSequencers, NO_SEQUENCE, normaliseSequencer } from '../../shared/sequencer.ts';

describe('sequencers', () => {
  it('right-pads the shorter one with zeros before comparing (current AWS documentation)', () => {
    // Left-padding would call the first older; right-padding (what S3 does) calls it newer.
    expect(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E')).toBeGreaterThan(0);
    expect(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E50')).toBe(0);
    expect(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E6')).toBeLessThan(0);
    expect(compareSequencers('617f08299329d189', '617F0837B476E463')).toBeLessThan(0);
  });

  it('orders a missing sequencer (backfill) before any event', () => {
    expect(normaliseSequencer(undefined)).toBe(NO_SEQUENCE);
    expect(compareSequencers(undefined, '01')).toBeLessThan(0);
  });

  it('stores a fixed-width form whose string order is the sequencer order', () => {
    const a = normaliseSequencer('0055AED6DCD90281E5');
    const b = normaliseSequencer('0055AED6DCD90281E6000');
    expect(a.length).toBe(b.length);
    expect(a < b).toBe(true);
  });

  it('refuses what is not a sequencer', () => {
    expect(() => normaliseSequencer('xyz')).toThrow(/not an S3 sequencer/);
  });
});
