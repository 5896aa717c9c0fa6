/**
 * S3 event sequencers order the events of one key. They are hexadecimal strings of varying length: the current AWS
 * documentation says to right-pad the shorter one with zeros and compare lexicographically (an older revision said
 * left-pad; right-padding is what S3 does today). We store the padded form (`seq`), so DynamoDB's own string `<`
 * in a condition expression compares sequencers correctly.
 */
export const SEQ_WIDTH = 40;

/** The sequence of a write that carries no S3 sequencer (a backfill message): older than any event. */
export const NO_SEQUENCE = '0'.repeat(SEQ_WIDTH);

/**
 * True when `sequencer` can be ordered: hexadecimal and at most {@link SEQ_WIDTH} digits. A record whose sequencer
 * fails this is poison (no retry makes it readable), so messages are checked with this at parse time.
 */
export function isS3Sequencer(sequencer: string): boolean {
  const hex = sequencer.trim();
  return /^[0-9A-Fa-f]+$/.test(hex) && hex.length <= SEQ_WIDTH;
}

export function normaliseSequencer(sequencer: string | undefined): string {
  if (!sequencer) return NO_SEQUENCE;
  const hex = sequencer.trim().toUpperCase();
  if (!isS3Sequencer(hex)) {
    throw new RangeError(`not an S3 sequencer: ${JSON.stringify(sequencer)}`);
  }
  return hex.padEnd(SEQ_WIDTH, '0');
}

/** Negative when `a` is older than `b`, zero when equal, positive when newer. */
export function compareSequencers(a: string | undefined, b: string | undefined): number {
  const x = normaliseSequencer(a);
  const y = normaliseSequencer(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
