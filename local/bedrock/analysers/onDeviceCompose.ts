/**
 * Pure functions that turn what the on-device engines found into a catalogue entry. Everything here is
 * deterministic, so it is tested without loading a model.
 */
import { ImageDescription, type NormalisedBox } from '../../../shared/catalogue.ts';

/** Every answer starts with this, so nobody mistakes it for Claude's. */
export const SUMMARY_PREFIX = 'On-device analysis (low confidence):';
/** Every sensitive-content reason starts with this. */
export const REASON_PREFIX = 'On-device classifiers (low confidence):';

/** One detected thing with its box in normalised coordinates. */
export interface Detection {
  name: string;
  score: number;
  box: NormalisedBox;
}

/** nsfwjs's five class probabilities, 0..1. */
export interface NsfwScores {
  drawing: number;
  hentai: number;
  neutral: number;
  porn: number;
  sexy: number;
}

/** One recognised word, as tesseract reports it (confidence 0..100). */
export interface OcrWord {
  text: string;
  confidence: number;
}

/** What the engines found in one image. `undefined` means the engine was unavailable (see `unavailable`). */
export interface Findings {
  objects?: Detection[];
  faces?: Detection[];
  nsfw?: NsfwScores;
  /** Kept words, line by line. */
  textLines?: string[][];
  /** Engines that did not answer for this image, each as "what: why". */
  unavailable: string[];
}

/** Scores at or above which nsfwjs's verdict makes an image sensitive. */
export interface NsfwThresholds {
  porn: number;
  hentai: number;
  sexy: number;
}

/** Defaults of {@link NsfwThresholds}: porn 0.5, hentai 0.5, sexy 0.7 ("sexy" fires on beach photos). */
export const DEFAULT_NSFW_THRESHOLDS: NsfwThresholds = { porn: 0.5, hentai: 0.5, sexy: 0.7 };

const VEHICLES = new Set(['bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat']);
const ANIMALS = new Set(['bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe']);
// Tableware counts as food: on its own a cup or bowl is nearly always a food or drink photo.
const FOOD = new Set([
  'banana',
  'apple',
  'sandwich',
  'orange',
  'broccoli',
  'carrot',
  'hot dog',
  'pizza',
  'donut',
  'cake',
  'cup',
  'bowl',
  'wine glass',
]);

const PLURALS: Record<string, string> = {
  person: 'people',
  bus: 'buses',
  knife: 'knives',
  mouse: 'mice',
  sheep: 'sheep',
  skis: 'skis',
  'wine glass': 'wine glasses',
  'hair drier': 'hair driers',
  toothbrush: 'toothbrushes',
  couch: 'couches',
  sandwich: 'sandwiches',
  'sports ball': 'sports balls',
  broccoli: 'broccoli',
  scissors: 'scissors',
};

const round4 = (n: number): number => Math.round(n * 10_000) / 10_000;
const clamp01 = (n: number): number => (Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0);

/**
 * Clamps a normalised box [x, y, w, h] (detectors happily return a box that starts at -0.01 or runs past the edge)
 * into the image. Undefined when nothing of it is left inside.
 */
export function clampBox(x: number, y: number, w: number, h: number): NormalisedBox | undefined {
  const left = clamp01(x);
  const top = clamp01(y);
  const right = clamp01(x + w);
  const bottom = clamp01(y + h);
  if (right - left < 1e-3 || bottom - top < 1e-3) return undefined;
  // Rounding must not push left + width past 1, which the schema refuses.
  const l = round4(left);
  const t = round4(top);
  return {
    left: l,
    top: t,
    width: Math.min(round4(right - left), 1 - l),
    height: Math.min(round4(bottom - top), 1 - t),
  };
}

const ALNUM = /[\p{L}\p{N}]/gu;

const alnumCount = (text: string): number => text.match(ALNUM)?.length ?? 0;

/**
 * The words worth keeping from tesseract's sparse-text pass over a photo, which reads shapes as letters: at least
 * `minConfidence` (0..100), at least two letters or digits, and mostly letters or digits. A line left with one
 * short word ("NE", "11" on a rocket's gantry) is dropped too: real text rarely stands alone that short.
 */
export function keepWords(lines: readonly (readonly OcrWord[])[], minConfidence: number): string[][] {
  const kept: string[][] = [];
  for (const line of lines) {
    const words = line
      .map((w) => ({ text: w.text.trim(), confidence: w.confidence }))
      .filter((w) => {
        const alnum = alnumCount(w.text);
        return w.confidence >= minConfidence && alnum >= 2 && alnum / w.text.length >= 0.5;
      })
      .map((w) => w.text);
    if (words.length > 1 || (words.length === 1 && alnumCount(words[0]!) >= 3)) kept.push(words);
  }
  return kept;
}

/** The visible text as the catalogue stores it: lines of words, at most `max` characters. */
function textOf(lines: readonly (readonly string[])[], max = 4000): string {
  const text = lines.map((l) => l.join(' ')).join('\n');
  return text.length <= max ? text : text.slice(0, max);
}

function wordCount(lines: readonly (readonly string[])[] | undefined): number {
  return lines?.reduce((n, l) => n + l.length, 0) ?? 0;
}

/** Enough recognised words to call the image a document when nothing else is in it. */
function isTextHeavy(lines: readonly (readonly string[])[] | undefined): boolean {
  return wordCount(lines) >= 4 && textOf(lines ?? []).length >= 20;
}

/** A short, general category by simple rules: people, vehicle, animal, food, document, else scene. */
export function categoryOf(findings: Findings): string {
  const names = new Set((findings.objects ?? []).map((o) => o.name));
  if (names.has('person') || (findings.faces?.length ?? 0) > 0) return 'people';
  if ([...names].some((n) => VEHICLES.has(n))) return 'vehicle';
  if ([...names].some((n) => ANIMALS.has(n))) return 'animal';
  if ([...names].some((n) => FOOD.has(n))) return 'food';
  if (isTextHeavy(findings.textLines)) return 'document';
  return 'scene';
}

function counted(name: string, n: number): string {
  if (n === 1) return `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name}`;
  return `${n} ${PLURALS[name] ?? `${name}s`}`;
}

function listed(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function quoted(text: string, max = 160): string {
  const flat = text.replace(/\s*\n\s*/g, ' / ').replace(/'/g, '’');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** "On-device analysis (low confidence): a person and a face; text reads '...'." plus any engine that failed. */
export function summaryOf(findings: Findings): string {
  const counts = new Map<string, number>();
  for (const o of findings.objects ?? []) counts.set(o.name, (counts.get(o.name) ?? 0) + 1);
  if (findings.faces?.length) counts.set('face', findings.faces.length);
  const things = [...counts].map(([name, n]) => counted(name, n));
  const looked = findings.objects !== undefined || findings.faces !== undefined;
  const parts = [things.length > 0 ? listed(things) : looked ? 'no objects recognised' : 'objects not checked'];
  const text = textOf(findings.textLines ?? []);
  if (text) parts.push(`text reads '${quoted(text)}'`);
  let summary = `${SUMMARY_PREFIX} ${parts.join('; ')}.`;
  if (findings.unavailable.length > 0) summary += ` Not checked: ${findings.unavailable.join('; ')}.`;
  return summary.length <= 2000 ? summary : `${summary.slice(0, 1999)}…`;
}

const f2 = (n: number): string => n.toFixed(2);

/**
 * Sensitive when a face is found (identifiable people are sensitive information) or nsfwjs scores porn, hentai or
 * sexy at or above its threshold. When the face detector or the nudity classifier is unavailable the image counts as
 * sensitive: unchecked is not the same as harmless.
 */
export function sensitiveOf(
  findings: Findings,
  thresholds: NsfwThresholds = DEFAULT_NSFW_THRESHOLDS,
): ImageDescription['sensitive'] {
  const reasons: string[] = [];
  let sensitive = false;
  const faces = findings.faces?.length ?? 0;
  if (findings.faces === undefined) {
    sensitive = true;
    reasons.push('face detector unavailable, so faces were not checked');
  } else if (faces > 0) {
    sensitive = true;
    reasons.push(`face detector found ${faces} face${faces === 1 ? '' : 's'} (identifiable people)`);
  } else reasons.push('face detector found no faces');
  const s = findings.nsfw;
  if (s === undefined) {
    sensitive = true;
    reasons.push('nsfwjs unavailable, so nudity was not checked');
  } else {
    const over = (['porn', 'hentai', 'sexy'] as const).filter((k) => s[k] >= thresholds[k]);
    if (over.length > 0) sensitive = true;
    const scores = `porn ${f2(s.porn)}, hentai ${f2(s.hentai)}, sexy ${f2(s.sexy)}, neutral ${f2(s.neutral)}`;
    reasons.push(
      over.length > 0
        ? `nsfwjs scores ${scores}: ${over.join(' and ')} at or above threshold`
        : `nsfwjs scores ${scores}: below thresholds`,
    );
  }
  const reason = `${REASON_PREFIX} ${reasons.join('; ')}.`;
  return { verdict: sensitive ? 'sensitive' : 'none', reason: reason.length <= 500 ? reason : reason.slice(0, 500) };
}

/** The catalogue entry for these findings: labels by score (objects, then faces), at most 50; validated. */
export function describe(findings: Findings, thresholds?: NsfwThresholds): ImageDescription {
  const labels = [
    ...[...(findings.objects ?? [])].sort((a, b) => b.score - a.score),
    ...[...(findings.faces ?? [])].sort((a, b) => b.score - a.score),
  ]
    .slice(0, 50)
    .map((d) => ({ name: d.name, box: d.box }));
  return ImageDescription.parse({
    summary: summaryOf(findings),
    category: categoryOf(findings),
    labels,
    sensitive: sensitiveOf(findings, thresholds),
    text: textOf(findings.textLines ?? []),
  });
}
