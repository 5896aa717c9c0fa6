import { createHash } from 'node:crypto';
import { createDeterministicAnalyser } from '../../local/bedrock/analysers/deterministic.ts';
import type { Analyser, AnalyserInput } from '../../local/bedrock/analysers/types.ts';
import type { ImageDescription } from '../../shared/catalogue.ts';

/** One model call that reached the model (the stand-in charges it), as the benchmark records it. */
export interface PaidCall {
  /** sha256 of the image bytes the worker sent: identical source bytes give identical prepared bytes. */
  content: string;
  at: number;
  /** The answer was made invalid on purpose (the worker must reject it and retry). */
  malformed: boolean;
  /**
   * The worker's startup probe (worker/model/probe.ts: a 1 × 1 image), made once per process start: a real, tiny
   * payment, but not for any image of the bucket.
   */
  probe: boolean;
  /** The worker process that asked (its AWS_SDK_UA_APP_ID, which the fleet sets per process). */
  caller?: string;
}

/**
 * The deterministic analyser, counting every call by content, and making `malformedRate` of its answers invalid (a
 * box outside the image), so the benchmark knows which answers were good: the stand-in's own malformed-output fault
 * is applied after the analyser and cannot be told apart here.
 */
export function countingAnalyser(malformedRate: number, random: () => number) {
  const inner = createDeterministicAnalyser();
  const calls: PaidCall[] = [];
  const analyser: Analyser = {
    name: `${inner.name} (counted)`,
    init: () => inner.init?.() ?? Promise.resolve(),
    close: () => inner.close?.() ?? Promise.resolve(),
    async analyse(input: AnalyserInput): Promise<ImageDescription> {
      const content = createHash('sha256').update(input.image).digest('hex');
      const probe = input.width === 1 && input.height === 1;
      const malformed = !probe && random() < malformedRate;
      calls.push({ content, at: Date.now(), malformed, probe, caller: input.caller });
      const description = await inner.analyse(input);
      if (!malformed) return description;
      return { ...description, labels: [{ name: 'nowhere', box: { left: 1.5, top: 0, width: 0.5, height: 0.5 } }] };
    },
  };
  return { analyser, calls };
}
