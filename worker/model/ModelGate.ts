import { EventEmitter } from 'node:events';
import { type DailyQuotaExhaustedError, ModelConfigurationError, ModelPausedError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { DescribeRequest, DescribeResult, Describer } from '../ports.ts';
import { isBlocking, type ProbeResult } from './probe.ts';

/** Why model calls are paused. */
export interface PauseState {
  kind: 'configuration' | 'daily-quota';
  /** The error's code (MODEL_CONFIGURATION, QUOTA_DAILY_EXHAUSTED) and, for a configuration fault, its kind. */
  code: string;
  fault?: string;
  /** What is wrong and what to do (our text, no ARN or account id). */
  message: string;
  since: Date;
  probes: number;
}

export interface ModelGateOptions {
  /** One cheap real call (worker/model/probe.ts). */
  probe: () => Promise<ProbeResult>;
  /** Time between probes while paused, ms. */
  probeMs: number;
  logger: Logger;
}

/**
 * The fleet's answer to faults that are no image's fault: a configuration fault (no access, end of life, an id that
 * needs a profile, a refused parameter) or a spent daily budget. The first such error pauses the gate: one error
 * line, 'paused' for the queue worker (it stops taking messages and releases what it holds), and a probe every
 * `probeMs` until the model answers again, then 'resumed'. While paused no call reaches the model.
 */
export class ModelGate extends EventEmitter {
  private state: PauseState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Pause episodes so far, for the metrics. */
  pauses = 0;

  constructor(private readonly options: ModelGateOptions) {
    super();
  }

  get paused(): PauseState | undefined {
    return this.state;
  }

  /** The pause in force now (a method, so a caller's earlier check of `paused` does not narrow it). */
  current(): PauseState | undefined {
    return this.state;
  }

  /** Pauses on a blocking error; later errors while paused only count. */
  trip(error: ModelConfigurationError | DailyQuotaExhaustedError): void {
    if (this.state || this.closed) return;
    const configuration = error instanceof ModelConfigurationError;
    this.state = {
      kind: configuration ? 'configuration' : 'daily-quota',
      code: error.code,
      fault: configuration ? error.kind : undefined,
      message: configuration ? error.message : 'the model tokens-per-day budget is spent; waiting for it to return',
      since: new Date(),
      probes: 0,
    };
    this.pauses++;
    // One line for the whole episode, whatever the number of messages in flight.
    this.options.logger.error(
      { pause: this.state.kind, code: this.state.code, fault: this.state.fault, probeMs: this.options.probeMs },
      `model calls paused: ${this.state.message}`,
    );
    this.emit('paused', this.state);
    this.schedule();
  }

  /** Stops probing (shutdown). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.runProbe(), this.options.probeMs);
    this.timer.unref?.();
  }

  private async runProbe(): Promise<void> {
    const state = this.state;
    if (!state || this.closed) return;
    state.probes++;
    let result: ProbeResult;
    try {
      result = await this.options.probe();
    } catch (error) {
      result = { ok: false, error: error as Error };
    }
    if (result.ok) {
      const pausedMs = Date.now() - state.since.getTime();
      this.state = undefined;
      this.options.logger.info({ pause: state.kind, pausedMs, probes: state.probes }, 'model calls resumed');
      this.emit('resumed', state);
      return;
    }
    if (isBlocking(result.error) && result.error.code !== state.code) {
      // Another blocking fault now (access granted, but the daily budget is spent): say so once.
      this.state = undefined;
      this.trip(result.error);
      return;
    }
    this.options.logger.debug({ err: result.error, probes: state.probes }, 'model still unavailable');
    this.schedule();
  }
}

/**
 * The gate around the model port: no call while paused (ModelPausedError: the message waits, nothing is spent),
 * and a configuration fault or a spent daily budget pauses the gate instead of reaching the image.
 */
export class GatedDescriber implements Describer {
  constructor(
    private readonly inner: Describer,
    private readonly gate: ModelGate,
  ) {}

  async describe(request: DescribeRequest): Promise<DescribeResult> {
    const paused = this.gate.paused;
    if (paused)
      throw new ModelPausedError(`model calls are paused: ${paused.message}`, { context: { pause: paused.kind } });
    try {
      return await this.inner.describe(request);
    } catch (error) {
      if (error instanceof Error && isBlocking(error)) {
        this.gate.trip(error);
        const state = this.gate.current();
        throw new ModelPausedError(`model calls are paused: ${state?.message ?? 'the model is unavailable'}`, {
          cause: error,
        });
      }
      throw error;
    }
  }
}
