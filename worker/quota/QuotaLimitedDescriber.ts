import { z } from 'zod';
import { CatalogueError, ModelOutputError, ThrottledError } from '../../shared/errors.ts';
import type { ModelTraits } from '../../shared/models.ts';
import type { DescribeRequest, DescribeResult, Describer, ModelUsage } from '../ports.ts';
import { estimateTokens, type FixedPartCalibration, settledTokens } from './estimate.ts';
import type { QuotaLimiter } from './QuotaLimiter.ts';

export interface QuotaLimitedDescriberOptions {
  /** `max_tokens` of each call (`MAX_TOKENS`): Bedrock reserves it in full at the start. */
  maxTokens: number;
  /** Quota weight of an output token (`QUOTA_OUTPUT_BURNDOWN`). Default 1. */
  outputBurndown?: number;
  /** Characters of the forced tool's JSON schema, when it differs from the default (a category list). */
  toolSchemaChars?: number;
  /** The model's image rule, hidden tool-use prompt and tokenizer (the model table); default: Claude 3/4. */
  traits?: Pick<ModelTraits, 'image' | 'toolUseSystemTokens' | 'textTokenFactor'>;
  /** Learns the fixed part of each request from the usage answers report (see estimate.ts). */
  calibration?: FixedPartCalibration;
}

const Usage = z.object({ inputTokens: z.number().min(0), outputTokens: z.number().min(0) });

/**
 * The quota decorator of the model port: every attempt passes the limiter, so it sits under the retrying layer:
 * `Retrying(QuotaLimited(Bedrock))`. It estimates each call, waits for the quota to admit it, and settles to the
 * usage the answer reports. A throttle slows the whole limiter down and is rethrown for the layer above to retry.
 */
export class QuotaLimitedDescriber implements Describer {
  constructor(
    private readonly inner: Describer,
    private readonly limiter: QuotaLimiter,
    private readonly options: QuotaLimitedDescriberOptions,
  ) {}

  /** The estimate this decorator reserves for a request. */
  estimate(request: DescribeRequest): number {
    return estimateTokens({
      width: request.image.width,
      height: request.image.height,
      promptChars: request.prompt.length,
      maxTokens: request.maxTokens ?? this.options.maxTokens,
      toolSchemaChars: this.options.toolSchemaChars,
      traits: this.options.traits,
      fixedTokens: this.options.calibration?.fixedTokens(),
    });
  }

  describe(request: DescribeRequest): Promise<DescribeResult> {
    const burndown = this.options.outputBurndown ?? 1;
    const estimate = this.estimate(request);
    return this.limiter.schedule(
      estimate,
      async () => {
        try {
          const result = await this.inner.describe(request);
          this.options.calibration?.observe(request.image, result.usage.inputTokens);
          return { result, usedTokens: settledTokens(result.usage, burndown) };
        } catch (error) {
          if (error instanceof ThrottledError) await this.limiter.onThrottle();
          throw error;
        }
      },
      {
        signal: request.signal,
        // The model answered, so its tokens were spent even though the answer was unusable: settle to the usage the
        // adapter attached (`context.usage`), or keep the whole reservation when it attached none.
        usedOnError: (error) => {
          if (!(error instanceof CatalogueError)) return 0;
          const usage = Usage.safeParse(error.context.usage);
          if (usage.success) return settledTokens(usage.data as ModelUsage, burndown);
          return error instanceof ModelOutputError ? estimate : 0;
        },
      },
    );
  }
}
