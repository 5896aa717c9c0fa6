import { z } from 'zod';

/**
 * Messages between the benchmark (parent) and its worker processes over Node's IPC channel, checked with zod on
 * both sides: a malformed message is a bug in the benchmark, so it throws.
 */

/** The four strategies compared; see bench/quota.ts --help. */
const STRATEGIES = ['naive', 'adaptive', 'two-bucket', 'ours'] as const;
export const Strategy = z.enum(STRATEGIES);
export type Strategy = z.infer<typeof Strategy>;

/** One record outcome as the worker emitted it, stamped with the child's wall clock (same machine). */
export const OutcomeRecord = z.object({
  key: z.string(),
  outcome: z.string(),
  modelCalls: z.number().int().min(0),
  /** Input + output tokens the model reported (0 when it was not called). */
  tokens: z.number().min(0),
  at: z.number(),
});
export type OutcomeRecord = z.infer<typeof OutcomeRecord>;

export const ChildStats = z.object({
  throttles: z.number().int().min(0),
  admitted: z.number().int().min(0),
  storeSwitches: z.number().int().min(0),
  released: z.number().int().min(0),
  /** Share of 100 ms samples in which the limiter had no call waiting for its turn (the pipeline starved it). */
  idleFraction: z.number().min(0).max(1),
  /** Mean and lowest AIMD factor sampled. */
  meanFactor: z.number(),
  minFactor: z.number(),
});
export type ChildStats = z.infer<typeof ChildStats>;

export const ChildMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number().int() }),
  z.object({ type: z.literal('outcomes'), records: z.array(OutcomeRecord) }),
  z.object({ type: z.literal('stopped'), stats: ChildStats }),
]);
export type ChildMessage = z.infer<typeof ChildMessage>;

export const ParentMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start') }),
  /** Graceful stop: in-flight work gets `deadlineMs`, the rest is released to the queue. */
  z.object({ type: z.literal('stop'), deadlineMs: z.number().int().min(0) }),
]);
export type ParentMessage = z.infer<typeof ParentMessage>;
