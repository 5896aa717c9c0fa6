import { z } from 'zod';

/** One model's on-demand quota, as Bedrock enforces it per account, region and model. */
export const ModelQuota = z.object({
  /** Requests per minute. */
  rpm: z.number().int().positive(),
  /** Tokens per minute (input + output × outputBurndown once settled; input + max_tokens while in flight). */
  tpm: z.number().int().positive(),
  /** Quota weight of an output token: 1 on Claude 3 models, 5 on newer ones. */
  outputBurndown: z.number().min(1).max(10),
  /** Tokens per day (rolling 1,440 quota minutes, settled as per minute); unset: not limited. */
  tpd: z.number().int().positive().optional(),
});
export type ModelQuota = z.infer<typeof ModelQuota>;

/**
 * 1,000 requests/min, 2,000,000 tokens/min. The burndown here applies only when set explicitly (option, flag or
 * admin route); otherwise each model counts output with its own burndown from the model table.
 */
export const DEFAULT_QUOTA: ModelQuota = { rpm: 1000, tpm: 2_000_000, outputBurndown: 1 };
