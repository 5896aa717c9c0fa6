import { expect, it, describe as suite } from 'vitest';
import {
  categoryOf,
  clampBox,
  describe,
  type Findings,
  keepWords,
  REASON_PREFIX,
  SUMMARY_PREFIX,
  sensitiveOf,
  summaryOf,
} from '../../../../local/bedrock/analysers/onDeviceCompose.ts';
import { ImageDescription } from '../../../../shared/catalogue.ts';

const box = { left: 0.1, top: 0.1, width: 0.5, height: 0.5 };
const calm = { drawing: 0.01, hentai: 0.01, neutral: 0.96, porn: 0.01, sexy: 0.01 };
const found = (f: Partial<Findings>): Findings => ({ objects: [], faces: [], nsfw: calm, unavailable: [], ...f });

suite('clampBox', () => {
  it('clamps a box that starts before the edge and runs past the other', () => {
    // Prepare: CenterNet's astronaut box, [-0.005, 0.016, 0.70, 1.01].
    const b = clampBox(-0.005, 0.016, 0.7, 1.01);
    // Assess
    expect(b).toEqual({ left: 0, top: 0.016, width: 0.695, height: 0.984 });
  });

  it('keeps left + width within 1 after rounding, so the schema accepts it', () => {
    const b = clampBox(0.33333, 0.66667, 0.66667, 0.33333)!;
    expect(b.left + b.width).toBeLessThanOrEqual(1);
    expect(b.top + b.height).toBeLessThanOrEqual(1);
  });

  it('drops a box with nothing inside the image, and one with NaN', () => {
    expect(clampBox(1.2, 0.1, 0.3, 0.3)).toBeUndefined();
    expect(clampBox(Number.NaN, 0, Number.NaN, 1)).toBeUndefined();
  });
});

suite('keepWords', () => {
  it('keeps confident words and drops scraps, symbols and lone short words', () => {
    const lines = [
      [
        { text: 'Quarterly', confidence: 95 },
        { text: 'invoice', confidence: 91 },
      ],
      [{ text: 'NE', confidence: 82 }],
      [
        { text: '=', confidence: 81 },
        { text: '><"', confidence: 78 },
      ],
      [
        { text: 'Harbour', confidence: 88 },
        { text: 'Strcet', confidence: 40 },
        { text: '2024', confidence: 90 },
      ],
    ];
    expect(keepWords(lines, 70)).toEqual([
      ['Quarterly', 'invoice'],
      ['Harbour', '2024'],
    ]);
  });
});

suite('categoryOf', () => {
  const obj = (name: string) => ({ name, score: 0.6, box });
  it.each([
    [[obj('dog'), obj('person')], 'people'],
    [[obj('truck'), obj('dog')], 'vehicle'],
    [[obj('cat')], 'animal'],
    [[obj('cup')], 'food'],
    [[obj('chair')], 'scene'],
  ])('%j -> %s', (objects, category) => {
    expect(categoryOf(found({ objects }))).toBe(category);
  });

  it('calls text-heavy images without people, vehicles, animals or food documents', () => {
    const textLines = [
      ['Quarterly', 'invoice'],
      ['Harbour', 'Street', 'Bakery'],
    ];
    expect(categoryOf(found({ textLines }))).toBe('document');
    expect(categoryOf(found({ textLines: [['Exit', 'only']] }))).toBe('scene');
  });

  it('counts a face alone as people', () => {
    expect(categoryOf(found({ faces: [{ name: 'face', score: 0.9, box }] }))).toBe('people');
  });
});

suite('summaryOf', () => {
  it('says it is on-device and low-confidence, counts things and quotes the text', () => {
    const s = summaryOf(
      found({
        objects: [
          { name: 'person', score: 0.7, box },
          { name: 'person', score: 0.6, box },
          { name: 'airplane', score: 0.5, box },
        ],
        faces: [{ name: 'face', score: 0.9, box }],
        textLines: [['Gate', "B12's"], ['Departures']],
      }),
    );
    expect(s).toBe(`${SUMMARY_PREFIX} 2 people, an airplane and a face; text reads 'Gate B12’s / Departures'.`);
  });

  it('names engines that were not checked', () => {
    const s = summaryOf({ unavailable: ['nudity classifier (nsfwjs) disabled'] });
    expect(s).toBe(`${SUMMARY_PREFIX} objects not checked. Not checked: nudity classifier (nsfwjs) disabled.`);
  });
});

suite('sensitiveOf', () => {
  it('is sensitive when a face is found, and says it was the face detector', () => {
    const v = sensitiveOf(found({ faces: [{ name: 'face', score: 0.9, box }] }));
    expect(v.verdict).toBe('sensitive');
    expect(v.reason).toMatch(new RegExp(`^${REASON_PREFIX.replace(/[()]/g, '\\$&')} face detector found 1 face`));
  });

  it('is sensitive when nsfwjs scores porn at or above the threshold, with the scores in the reason', () => {
    const v = sensitiveOf(found({ nsfw: { ...calm, porn: 0.81, neutral: 0.1 } }));
    expect(v).toEqual({
      verdict: 'sensitive',
      reason: expect.stringContaining(
        'nsfwjs scores porn 0.81, hentai 0.01, sexy 0.01, neutral 0.10: porn at or above',
      ),
    });
  });

  it('is none when nothing fires', () => {
    expect(sensitiveOf(found({})).verdict).toBe('none');
  });

  it('is sensitive when a classifier could not check', () => {
    expect(sensitiveOf(found({ nsfw: undefined })).verdict).toBe('sensitive');
    expect(sensitiveOf(found({ faces: undefined })).verdict).toBe('sensitive');
  });
});

suite('describe', () => {
  it('builds a valid catalogue entry, labels by score with faces last, at most 50', () => {
    const objects = Array.from({ length: 60 }, (_, i) => ({ name: 'car', score: i / 100, box }));
    const d = describe(found({ objects }));
    expect(ImageDescription.safeParse(d).success).toBe(true);
    expect(d.labels).toHaveLength(50);
    expect(d.category).toBe('vehicle');
  });
});
