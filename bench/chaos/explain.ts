import { createHash } from 'node:crypto';
import { loadConfig } from '../../shared/config.ts';
import { prepareImage, prepareOptionsFromConfig } from '../../worker/index.ts';
import type { PaidCall } from './countingAnalyser.ts';
import { contentImage } from './images.ts';
import { goodAnswersByContent, type Kill } from './verify.ts';
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
  const options = prepareOptionsFromConfig(loadConfig({}));
  const byHash = new Map<string, number>();
  for (const n of new Set(history.flatMap((h) => (h.content === undefined ? [] : [h.content])))) {
    // With the worker's default image settings: the same prepared bytes the calls carried.
    const prepared = await prepareImage(await contentImage(n), options);
    byHash.set(createHash('sha256').update(prepared.image.body).digest('hex'), n);
  }
  const good = goodAnswersByContent(calls);
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
