import { ThrottledError } from '../../../shared/errors.ts';
import type { DescribeRequest, DescribeResult, Describer, ModelUsage } from '../../../worker/ports.ts';
import { settledTokens } from '../../../worker/quota/estimate.ts';

/**
 * What {@link testRequest} costs: 1,000 image tokens + 100 of prompt + 685 of tool definition (the limiter's own
 * estimate of the input), and 200 output tokens.
 */
export const TEST_USAGE: ModelUsage = { inputTokens: 1785, outputTokens: 200 };

/** One call the fake served: when it was sent, and what it finally cost. */
export interface Served {
  at: number;
  tokens: number;
}

export interface FakeBedrockOptions {
  /** Quotas the fake enforces, per `minuteMs`. */
  rpm: number;
  tpm: number;
  minuteMs: number;
  /** max_tokens of each call (Bedrock reserves input + max_tokens at the start). */
  maxTokens: number;
  /** Time each call takes, ms. */
  latencyMs: number;
  /** What a call uses; default {@link TEST_USAGE}. */
  usage?: (request: DescribeRequest) => ModelUsage;
  outputBurndown?: number;
}

/**
 * A model port that enforces requests/min and tokens/min the way Bedrock does (and the way the Bedrock stand-in
 * models it): over a rolling minute, a call is admitted only if the calls started in the last minute stay within
 * `rpm`, and their tokens plus its reservation (input + max_tokens) within `tpm`; when it ends, its reservation is
 * settled to the real usage. Records every served call for the tests' measurements.
 */
export class FakeBedrock implements Describer {
  readonly served: Served[] = [];
  throttles = 0;
  inFlight = 0;
  private rpm: number;
  private tpm: number;
  private readonly window: { at: number; tokens: number }[] = [];

  constructor(private readonly options: FakeBedrockOptions) {
    this.rpm = options.rpm;
    this.tpm = options.tpm;
  }

  /** Changes the enforced quotas (as if another client of the account came and went). */
  setQuota(rpm: number, tpm: number): void {
    this.rpm = rpm;
    this.tpm = tpm;
  }

  async describe(request: DescribeRequest): Promise<DescribeResult> {
    const now = Date.now();
    while (this.window.length > 0 && this.window[0]!.at <= now - this.options.minuteMs) this.window.shift();
    const usage = this.options.usage?.(request) ?? TEST_USAGE;
    const reserved = usage.inputTokens + this.options.maxTokens;
    const windowTokens = this.window.reduce((sum, e) => sum + e.tokens, 0);
    if (this.window.length + 1 > this.rpm || windowTokens + reserved > this.tpm) {
      this.throttles += 1;
      throw new ThrottledError('Too many tokens, please wait before trying again.');
    }
    const entry = { at: now, tokens: reserved };
    this.window.push(entry);
    const used = settledTokens(usage, this.options.outputBurndown ?? 1);
    this.served.push({ at: now, tokens: used });
    this.inFlight += 1;
    await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    this.inFlight -= 1;
    entry.tokens = used;
    return {
      description: {
        summary: 'a test image',
        category: 'test',
        labels: [],
        sensitive: { verdict: 'none', reason: 'none' },
        text: '',
      },
      usage,
      modelId: 'fake',
      attempts: 1,
    };
  }

  /** Tokens (as settled) of the calls sent in [from, to). */
  tokensBetween(from: number, to: number): number {
    return this.served.filter((s) => s.at >= from && s.at < to).reduce((sum, s) => sum + s.tokens, 0);
  }

  /** Calls sent in [from, to). */
  callsBetween(from: number, to: number): number {
    return this.served.filter((s) => s.at >= from && s.at < to).length;
  }

  /** The most tokens sent within any window of `windowMs`, windows starting at each send. */
  maxTokensInWindow(windowMs: number, from = Number.NEGATIVE_INFINITY): number {
    let best = 0;
    const served = this.served.filter((s) => s.at >= from);
    let j = 0;
    let sum = 0;
    for (let i = 0; i < served.length; i++) {
      while (j < served.length && served[j]!.at < served[i]!.at + windowMs) sum += served[j++]!.tokens;
      best = Math.max(best, sum);
      sum -= served[i]!.tokens;
    }
    return best;
  }
}

/** A request for a 1000×750 image (1,000 image tokens) and a 400-character prompt. */
export function testRequest(signal?: AbortSignal): DescribeRequest {
  return {
    image: { body: Buffer.alloc(0), format: 'jpeg', width: 1000, height: 750 },
    prompt: 'x'.repeat(400),
    signal,
  };
}

/**
 * Closed-loop load: `consumers` loops each calling `describer` back to back (after a throttle, waiting `backoffMs`)
 * until `stop()`. Resolves `stop()` once every loop has finished its call.
 */
export function drive(describer: Describer, consumers: number, backoffMs = 100) {
  let running = true;
  let completed = 0;
  let failed = 0;
  const loops = Array.from({ length: consumers }, async () => {
    while (running) {
      try {
        await describer.describe(testRequest());
        completed += 1;
      } catch {
        failed += 1;
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
      }
    }
  });
  return {
    completed: () => completed,
    failed: () => failed,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
