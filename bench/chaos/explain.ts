import { createHash } from 'node:crypto';
import { prepareImage } from '../../worker/index.ts';
import type { PaidCall } from './countingAnalyser.ts';
import { contentImage } from './images.ts';
import type { Kill } from './verify.ts';
import type { KeyChange } from './workload.ts';

/**
 * For each content with more than one good answer: when each answer came, and what happened to every key that held
 * the content (from the workload's own history), so a second payment can be told apart from one the traffic caused
 * (the only catalogued copy overwritten or deleted before its twin was described).
 */
export async function explainSecondPayments(
  calls: readonly PaidCall[],
  history: readonly KeyChange[],
  kills: readonly Kill[],
  started: number,
): Promise<string[]> {
  const byHash = new Map<string, number>();
  for (const n of new Set(history.flatMap((h) => (h.content === undefined ? [] : [h.content])))) {
    // The worker's defaults (IMAGE_MAX_EDGE, IMAGE_FORMAT, IMAGE_QUALITY): identical prepared bytes to the calls'.
    const prepared = await prepareImage(await contentImage(n), {
      maxEdge: 1568,
      maxInputPixels: 100_000_000,
      format: 'jpeg',
      quality: 85,
    });
    byHash.set(createHash('sha256').update(prepared.image.body).digest('hex'), n);
  }
  const good = new Map<string, PaidCall[]>();
  for (const c of calls) if (!c.malformed && !c.probe) good.set(c.content, [...(good.get(c.content) ?? []), c]);
  const t = (at: number) => `${((at - started) / 1000).toFixed(2)}s`;
  const killedAt = new Map(kills.map((k) => [k.name, k.at]));
  const answer = (c: PaidCall) => {
    const killed = c.caller === undefined ? undefined : killedAt.get(c.caller);
    return `${t(c.at)} by ${c.caller ?? '?'}${killed === undefined ? '' : ` (killed at ${t(killed)})`}`;
  };
  const lines: string[] = [];
  for (const [hash, answers] of good) {
    if (answers.length < 2) continue;
    const n = byHash.get(hash);
    const keys = new Set(history.filter((h) => h.content === n).map((h) => h.key));
    const story = history
      .filter((h) => keys.has(h.key))
      .map((h) => `${t(h.at)} ${h.kind} ${h.key}${h.content === undefined ? '' : ` #${h.content}`}`);
    lines.push(`content #${n ?? hash.slice(0, 12)}: answers at ${answers.map(answer).join(', ')}; ${story.join('; ')}`);
  }
  return lines;
}
