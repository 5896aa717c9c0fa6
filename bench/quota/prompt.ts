import { readFileSync } from 'node:fs';
import { DEFAULT_PROMPT_FILE } from '../../worker/model/prompt.ts';

const GUIDE = [
  'portrait: one or a few people are the subject; note the setting and what they do.',
  'landscape: open scenery, mountains, coast, fields or skies, with no single subject.',
  'food: dishes, ingredients or drinks; name the dish when it is recognisable.',
  'document: pages, receipts, forms or screens whose text is the point of the image.',
  'animal: pets, wildlife or livestock; name the species when it is clear.',
  'vehicle: cars, trains, aircraft, boats or bicycles as the subject.',
  'street: urban scenes with buildings, traffic or passers-by.',
  'interior: rooms, furniture and indoor spaces without a single subject.',
];

/**
 * The benchmark's prompt: the default one, plus `padChars` characters of a category guide, so that each call weighs
 * what a full-size photo does against the tokens quota while the images stay small (cheap for the CPU).
 */
export function benchPrompt(padChars: number): string {
  const base = readFileSync(DEFAULT_PROMPT_FILE, 'utf8').trim();
  if (padChars <= 0) return base;
  const lines: string[] = ['', 'Category guide (benchmark padding, it weighs what a full-size photo does):'];
  let length = 0;
  for (let i = 0; length < padChars; i++) {
    const line = `- ${GUIDE[i % GUIDE.length]} (${i + 1})`;
    lines.push(line);
    length += line.length + 1;
  }
  return `${base}\n${lines.join('\n')}\n`;
}
