import { type BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { descriptionJsonSchema } from '../../shared/catalogue.ts';
import {
  DailyQuotaExhaustedError,
  ImageRejectedError,
  ModelConfigurationError,
  ThrottledError,
} from '../../shared/errors.ts';
import { buildConverseInput } from '../../shared/modelRequest.ts';
import { translateBedrockError } from '../adapters/bedrockErrors.ts';

/** A 1 × 1 PNG: the smallest image the model takes (about one image token). */
const PROBE_IMAGE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC',
  'base64',
);

export interface ProbeOptions {
  modelId: string;
  /** The system prompt the worker sends (a probe shaped like the real requests finds the same faults). */
  prompt: string;
  categories?: readonly string[];
  timeoutMs?: number;
}

/** What a probe found: the model answers, or why it cannot be used. */
export type ProbeResult = { ok: true; throttled: boolean } | { ok: false; error: Error };

/**
 * One cheap real call, shaped exactly like the worker's requests (same id, system prompt, tool, sampling and
 * thinking fields) but with a 1 × 1 image and `max_tokens` 16: about a thousand input tokens. It proves what the
 * control plane cannot: that this role may invoke this id (profile and model), that the model is not past its end
 * of life here, and that it takes these parameters. A per-minute throttle proves the model answers; a per-day one
 * and configuration faults do not.
 */
export async function probeModel(client: BedrockRuntimeClient, options: ProbeOptions): Promise<ProbeResult> {
  const input = buildConverseInput({
    modelId: options.modelId,
    system: options.prompt,
    image: { format: 'png', bytes: PROBE_IMAGE },
    maxTokens: 16,
    toolSchema: descriptionJsonSchema(options.categories),
  });
  try {
    await client.send(new ConverseCommand(input), { abortSignal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
    return { ok: true, throttled: false };
  } catch (error) {
    const translated = translateBedrockError(error, options.modelId);
    if (translated instanceof ThrottledError) return { ok: true, throttled: true };
    // The service answered about the probe's tiny image: it takes calls of this shape from this role.
    if (translated instanceof ImageRejectedError) return { ok: true, throttled: false };
    return { ok: false, error: translated };
  }
}

/** True when a probe's failure means the model cannot be used as configured (as opposed to a passing fault). */
export function isBlocking(error: Error): error is ModelConfigurationError | DailyQuotaExhaustedError {
  return error instanceof ModelConfigurationError || error instanceof DailyQuotaExhaustedError;
}
