import { describe, expect, it } from 'vitest';
import { compareSequencers, NO_SEQUENCE, normaliseSequencer, SEQ_WIDTH } from '../../shared/sequencer.ts';

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
    // Hex digits somewhere are not enough: the whole string must be hexadecimal.
    expect(() => normaliseSequencer('0AZ')).toThrow(/not an S3 sequencer/);
    expect(() => normaliseSequencer('Z0A')).toThrow(/not an S3 sequencer/);
    expect(() => normaliseSequencer('0'.repeat(SEQ_WIDTH + 1))).toThrow(/not an S3 sequencer/);
  });

  it('accepts up to the stored width, in either case, around spaces; an empty one is a missing one', () => {
    expect(normaliseSequencer('F'.repeat(SEQ_WIDTH))).toBe('F'.repeat(SEQ_WIDTH));
    expect(normaliseSequencer(' 0a1 ')).toBe(`0A1${'0'.repeat(SEQ_WIDTH - 3)}`);
    expect(normaliseSequencer('')).toBe(NO_SEQUENCE);
    expect(compareSequencers('0a', '0A')).toBe(0);
    expect(compareSequencers('0B', '0A')).toBe(1);
    expect(compareSequencers('0A', '0B')).toBe(-1);
  });
});
