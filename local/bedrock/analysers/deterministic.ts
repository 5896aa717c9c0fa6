import sharp from 'sharp';
import type { ImageDescription } from '../../../shared/catalogue.ts';
import { validationError } from '../errors.ts';
import type { Analyser, AnalyserInput } from './types.ts';

/** Side of the thumbnail the statistics are taken on: small enough to be fast, large enough for quadrants. */
const SAMPLE = 64;

const HUES: ReadonlyArray<[name: string, upTo: number]> = [
  ['red', 15],
  ['orange', 45],
  ['yellow', 70],
  ['green', 170],
  ['cyan', 200],
  ['blue', 260],
  ['purple', 300],
  ['pink', 345],
  ['red', 360],
];

const QUADRANTS = [
  { name: 'top-left', left: 0, top: 0 },
  { name: 'top-right', left: 0.5, top: 0 },
  { name: 'bottom-left', left: 0, top: 0.5 },
  { name: 'bottom-right', left: 0.5, top: 0.5 },
] as const;

/** Pixel facts of one image: all the deterministic analyser knows. */
interface PixelFacts {
  /** Mean luma, 0-1. */
  brightness: number;
  /** Share of clearly coloured pixels (saturation ≥ 0.25, value ≥ 0.2), 0-1. */
  colourful: number;
  /** Colour names by share of the coloured pixels, largest first. */
  hues: Array<{ name: string; share: number }>;
  /** Share of side-by-side sample pixels of (nearly) the same colour: high for drawings and flat graphics. */
  flatShare: number;
  /** The quadrant with the most luma spread, or undefined when the image is flat. */
  busiestQuadrant?: (typeof QUADRANTS)[number];
}

/** Reads the pixel facts from a 64×64 thumbnail (JPEG shrink-on-load keeps this fast). */
async function pixelFacts(image: Buffer): Promise<PixelFacts> {
  let data: Buffer;
  try {
    data = await sharp(image, { failOn: 'error', pages: 1 })
      .resize(SAMPLE, SAMPLE, { fit: 'fill', kernel: 'linear' })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer();
  } catch {
    // Bedrock reads the header first and fails on the pixels later, with this message.
    throw validationError('The model returned the following errors: Could not process image');
  }
  const hueCounts = new Map<string, number>();
  let flat = 0;
  const quadrant = QUADRANTS.map(() => ({ sum: 0, sumSq: 0, n: 0 }));
  let lumaSum = 0;
  let coloured = 0;
  const pixels = SAMPLE * SAMPLE;
  for (let i = 0; i < pixels; i++) {
    const r = data[i * 3]! / 255;
    const g = data[i * 3 + 1]! / 255;
    const b = data[i * 3 + 2]! / 255;
    const luma = 0.299 * r + 0.587 * g + 0.114 * b;
    lumaSum += luma;
    const x = i % SAMPLE;
    if (x > 0) {
      const d =
        Math.abs(data[i * 3]! - data[i * 3 - 3]!) +
        Math.abs(data[i * 3 + 1]! - data[i * 3 - 2]!) +
        Math.abs(data[i * 3 + 2]! - data[i * 3 - 1]!);
      if (d <= 3) flat++;
    }
    const y = Math.floor(i / SAMPLE);
    const q = quadrant[(y < SAMPLE / 2 ? 0 : 2) + (x < SAMPLE / 2 ? 0 : 1)]!;
    q.sum += luma;
    q.sumSq += luma * luma;
    q.n++;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    if (max < 0.2 || (max - min) / max < 0.25) continue;
    coloured++;
    const name = hueName(hueOf(r, g, b, max, min));
    hueCounts.set(name, (hueCounts.get(name) ?? 0) + 1);
  }
  const spreads = quadrant.map((q) => Math.sqrt(Math.max(0, q.sumSq / q.n - (q.sum / q.n) ** 2)));
  const best = spreads.indexOf(Math.max(...spreads));
  return {
    brightness: lumaSum / pixels,
    colourful: coloured / pixels,
    hues: [...hueCounts]
      .map(([name, n]) => ({ name, share: n / Math.max(1, coloured) }))
      .sort((a, b) => b.share - a.share || a.name.localeCompare(b.name)),
    flatShare: flat / (SAMPLE * (SAMPLE - 1)),
    busiestQuadrant: (spreads[best] ?? 0) >= 0.02 ? QUADRANTS[best] : undefined,
  };
}

function hueOf(r: number, g: number, b: number, max: number, min: number): number {
  const d = max - min;
  let h: number;
  if (max === r) h = ((g - b) / d) % 6;
  else if (max === g) h = (b - r) / d + 2;
  else h = (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

function hueName(hue: number): string {
  for (const [name, upTo] of HUES) if (hue < upTo) return name;
  return 'red';
}

function brightnessWord(brightness: number): string {
  if (brightness < 0.25) return 'dark';
  if (brightness < 0.45) return 'dim';
  if (brightness < 0.65) return 'mid-toned';
  return 'bright';
}

function colourPhrase(facts: PixelFacts): string {
  const [first, second] = facts.hues;
  if (facts.colourful < 0.25 || !first) {
    if (facts.brightness > 0.8) return 'mostly white';
    if (facts.brightness < 0.2) return 'mostly black';
    return 'mostly grey';
  }
  if (first.share >= 0.5 || !second) return `mostly ${first.name}`;
  return `mostly ${first.name} and ${second.name}`;
}

function categoryOf(facts: PixelFacts, width: number, height: number): string {
  if (facts.flatShare >= 0.6) return 'graphic';
  if (facts.brightness < 0.15) return 'dark image';
  if (facts.colourful < 0.05) return 'monochrome';
  const aspect = width / height;
  if (aspect >= 2 || aspect <= 0.5) return 'panorama';
  return 'photo';
}

/** When the tool's schema restricts the category to a list, stays inside it. */
function fitCategory(category: string, inputSchema: Record<string, unknown> | undefined): string {
  const properties = inputSchema?.properties as Record<string, { enum?: unknown[] }> | undefined;
  const allowed = properties?.category?.enum?.filter((v): v is string => typeof v === 'string');
  if (!allowed?.length || allowed.includes(category)) return category;
  return allowed.includes('other') ? 'other' : allowed[0]!;
}

/**
 * A fast deterministic analyser for tests and benchmarks: it describes only pixel facts (brightness, dominant
 * colours, size, the busiest quadrant) and says so. Same bytes, same answer. No recognition, no sensitivity check.
 */
export class DeterministicAnalyser implements Analyser {
  readonly name = 'deterministic';

  async analyse(input: AnalyserInput): Promise<ImageDescription> {
    const facts = await pixelFacts(input.image);
    const size = `${input.width}×${input.height}`;
    const where = facts.busiestQuadrant
      ? ` Its highest-contrast area is the ${facts.busiestQuadrant.name} quarter.`
      : ' It is nearly uniform.';
    const box = facts.busiestQuadrant
      ? { left: facts.busiestQuadrant.left, top: facts.busiestQuadrant.top, width: 0.5, height: 0.5 }
      : { left: 0, top: 0, width: 1, height: 1 };
    return {
      summary:
        `A ${brightnessWord(facts.brightness)}, ${colourPhrase(facts)} ${size} image ` +
        `(deterministic stand-in analysis: pixel statistics only, no recognition).${where}`,
      category: fitCategory(categoryOf(facts, input.width, input.height), input.tool?.inputSchema),
      labels: [{ name: 'region', box }],
      sensitive: {
        verdict: 'none',
        reason: 'Not assessed: deterministic stand-in analysis of pixel statistics; no model looked at this image.',
      },
      text: '',
    };
  }
}

/** The deterministic analyser (see {@link DeterministicAnalyser}). */
export function createDeterministicAnalyser(): Analyser {
  return new DeterministicAnalyser();
}
