import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { Config } from '../../shared/config.ts';
import { DailyQuotaExhaustedError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { faultFromTable } from '../../shared/modelFaults.ts';
import { resolveModel, usabilityProblem } from '../../shared/models.ts';
import { isBlocking, type ProbeResult, probeModel } from './probe.ts';

export interface StartupCheck {
  /** The probe's result when the model was called. */
  probe?: ProbeResult;
  /** The daily budget is spent: start, but paused. */
  dailyQuotaSpent?: DailyQuotaExhaustedError;
}

/**
 * Before the first message (worker, `analyze`, backfill dry run): the model exists, is not past its end of life,
 * and this role may invoke it with the worker's parameters. Throws ModelConfigurationError (the command exits 3 with
 * its one-line explanation) when it cannot be used. The model table answers first what it can without a call (a
 * bare id of a profile-only model); then one cheap real call (worker/model/probe.ts) answers the rest, because only
 * a call made with this role proves access, lifecycle in this region and the parameters at once (the control plane's
 * GetFoundationModel needs another permission and says nothing about the profile, IAM on it, or the parameters).
 * A model past its end of life in the table is still called: a few regions keep it longer.
 */
export async function checkModelAtStartup(
  config: Pick<Config, 'model'>,
  bedrock: BedrockRuntimeClient,
  logger: Logger,
  prompt: string,
): Promise<StartupCheck> {
  const modelId = config.model.id;
  const model = resolveModel(modelId);
  if (!model.row) {
    logger.warn(
      { modelId },
      'MODEL_ID is not in the model table (docs/models.md): requests are sent without sampling or thinking parameters, and the quota uses QUOTA_* (QUOTA_OUTPUT_BURNDOWN defaults to 5)',
    );
  }
  const problem = usabilityProblem(model);
  if (problem && problem.kind !== 'end-of-life') throw faultFromTable(modelId, problem);
  const probe = await probeModel(bedrock, {
    modelId,
    prompt,
    categories: config.model.categories,
    timeoutMs: config.model.timeoutMs,
  });
  if (probe.ok) {
    if (problem?.kind === 'end-of-life') {
      logger.warn(
        { modelId, endOfLife: problem.date, replacement: problem.replacement },
        'MODEL_ID is past its end of life in most regions but still answers here; move to the replacement soon',
      );
    }
    return { probe };
  }
  if (probe.error instanceof DailyQuotaExhaustedError) return { probe, dailyQuotaSpent: probe.error };
  if (isBlocking(probe.error)) {
    // The table's explanation (the date and the replacement) is the clearest one for an end-of-life model.
    throw problem?.kind === 'end-of-life' ? faultFromTable(modelId, problem) : probe.error;
  }
  logger.warn({ err: probe.error, modelId }, 'model check inconclusive (a passing fault); starting anyway');
  return { probe };
}
