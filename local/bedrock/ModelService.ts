import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ImageDescription } from '../../shared/catalogue.ts';
import { CatalogueError } from '../../shared/errors.ts';
import type { Analyser } from './analysers/types.ts';
import { parseConverse } from './converseRequest.ts';
import { BedrockError } from './errors.ts';
import { type FaultInjector, type FaultKind, malformToolInput } from './faults.ts';
import { type CheckedImage, checkImage } from './images.ts';
import { parseInvoke } from './invokeRequest.ts';
import { type AccessList, checkModelRules, modelInfoOf } from './modelRules.ts';
import type { QuotaKeeper } from './quota.ts';
import type { ModelCall, ModelInfo } from './requests.ts';
import { type Answer, chosenTool, converseResponse, invokeResponse, type StopReason, type Usage } from './responses.ts';
import { inputTokensOf, outputTokensOf } from './tokens.ts';

export type Api = 'converse' | 'invoke';

export type Outcome =
  | { type: 'ok'; body: unknown; headers: Record<string, string> }
  | { type: 'error'; error: BedrockError }
  | { type: 'drop' };

/** What the stand-in answered, beyond the quota's own counters. */
export interface ServiceCounters {
  /** Requests refused before the quota (400 ValidationException: bad model id, body or image). */
  invalid: number;
  /** 200 answers, malformed ones included. */
  completed: number;
  /** Injected faults by kind, and 200 answers with a deliberately malformed tool input. */
  faults: Record<FaultKind | 'malformedOutput' | 'contentFiltered', number>;
  /** The analyser threw. */
  analyserErrors: number;
  /** Batch inference records answered, and their tokens (billed at the batch price, outside the quota). */
  batchRecords: number;
  batchTokens: { input: number; output: number };
}

export function emptyServiceCounters(): ServiceCounters {
  return {
    invalid: 0,
    completed: 0,
    faults: {
      serviceUnavailable: 0,
      internalError: 0,
      modelNotReady: 0,
      modelTimeout: 0,
      dropConnection: 0,
      malformedOutput: 0,
      contentFiltered: 0,
    },
    analyserErrors: 0,
    batchRecords: 0,
    batchTokens: { input: 0, output: 0 },
  };
}

const PRE_MODEL_FAULTS: Partial<Record<FaultKind, BedrockError>> = {
  serviceUnavailable: new BedrockError('ServiceUnavailableException', 'The service is unavailable. Please try again.'),
  internalError: new BedrockError('InternalServerException', 'The server encountered an internal error.'),
  modelNotReady: new BedrockError(
    'ModelNotReadyException',
    'The model is not ready to serve inference requests. Please try again later.',
  ),
};

const NO_IMAGE: ImageDescription = {
  summary: 'No image was sent with this request (stand-in answer).',
  category: 'none',
  labels: [],
  sensitive: { verdict: 'none', reason: 'Not assessed: there was no image.' },
  text: '',
};

/**
 * One model call, in Bedrock's order: check the request (400), admit it under the quota (429), draw its fault, ask
 * the analyser, wait the latency, settle the quota to the real usage, answer.
 */
export class ModelService {
  counters = emptyServiceCounters();

  constructor(
    private readonly analyser: Analyser,
    private readonly quota: QuotaKeeper,
    private readonly faults: FaultInjector,
    private readonly signal: AbortSignal,
    private readonly logger?: Logger,
    private readonly access?: AccessList,
  ) {}

  async handle(api: Api, rawModelId: string, body: Buffer, caller?: string): Promise<Outcome> {
    const started = performance.now();
    let call: ModelCall;
    let images: CheckedImage[];
    let model: ModelInfo;
    try {
      model = modelInfoOf(rawModelId);
      this.access?.check(model);
      call = api === 'converse' ? parseConverse(body, model) : parseInvoke(body, model);
      checkModelRules(call, model.row);
      images = await Promise.all(call.images.map(checkImage));
    } catch (error) {
      if (!(error instanceof BedrockError)) throw error;
      this.counters.invalid++;
      return { type: 'error', error };
    }
    const inputTokens = inputTokensOf(call, images, model.row);
    const admission = this.quota.admit(model.id, inputTokens + call.maxTokens, model.row.outputBurndown);
    if (!admission.ok) return { type: 'error', error: new BedrockError('ThrottlingException', admission.message) };
    const { ticket } = admission;
    const plan = this.faults.plan();
    const early = plan.fault ? PRE_MODEL_FAULTS[plan.fault] : undefined;
    if (plan.fault && early) {
      this.counters.faults[plan.fault]++;
      this.quota.release(ticket);
      return { type: 'error', error: early };
    }
    let description: ImageDescription;
    try {
      description = await this.describe(call, images, caller);
    } catch (error) {
      this.quota.release(ticket);
      this.counters.analyserErrors++;
      if (error instanceof BedrockError) return { type: 'error', error };
      // An analyser's final image error (e.g. the on-device one's ON_DEVICE_IMAGE_UNDECODABLE): the bytes are bad.
      if (error instanceof CatalogueError && !error.retryable && error.code.includes('IMAGE')) {
        const message = `The model returned the following errors: Could not process image (${error.message})`;
        return { type: 'error', error: new BedrockError('ValidationException', message) };
      }
      this.logger?.error({ err: error }, 'analyser failed');
      const message = `The stand-in's analyser failed: ${(error as Error).message}`;
      return { type: 'error', error: new BedrockError('InternalServerException', message) };
    }
    let { answer, stopReason, outputTokens } = plan.contentFiltered
      ? { answer: { kind: 'text', text: '' } as Answer, stopReason: 'content_filtered' as StopReason, outputTokens: 1 }
      : this.answerOf(call, description);
    if (plan.contentFiltered) this.counters.faults.contentFiltered++;
    if (plan.malformed && answer.kind === 'tool') {
      this.counters.faults.malformedOutput++;
      answer = { ...answer, input: malformToolInput(answer.input, plan.malformed) };
    }
    const usage = { inputTokens, outputTokens };
    const wait = this.faults.latencyOf(plan, outputTokens) - (performance.now() - started);
    if (wait > 0) {
      try {
        await sleep(wait, undefined, { signal: this.signal });
      } catch {
        this.quota.release(ticket);
        return { type: 'drop' };
      }
    }
    if (plan.fault === 'modelTimeout') {
      this.counters.faults.modelTimeout++;
      this.quota.settle(ticket, { inputTokens, outputTokens: 0 });
      const message = 'Model has timed out in processing the request. Try your request again.';
      return { type: 'error', error: new BedrockError('ModelTimeoutException', message) };
    }
    // The model ran; a dropped connection does not give the tokens back.
    this.quota.settle(ticket, usage);
    if (plan.fault === 'dropConnection') {
      this.counters.faults.dropConnection++;
      return { type: 'drop' };
    }
    this.counters.completed++;
    const latencyMs = Math.round(performance.now() - started);
    if (api === 'converse')
      return { type: 'ok', body: converseResponse(answer, stopReason, usage, latencyMs), headers: {} };
    return {
      type: 'ok',
      body: invokeResponse(model.id, answer, stopReason, usage),
      headers: {
        'x-amzn-bedrock-input-token-count': String(inputTokens),
        'x-amzn-bedrock-output-token-count': String(outputTokens),
        'x-amzn-bedrock-invocation-latency': String(latencyMs),
      },
    };
  }

  /**
   * One record of a batch inference job: the same checks, analyser and answer as InvokeModel, outside the on-demand
   * quota (batch runs on capacity of its own) and without the on-demand fault injection (the job has its own).
   */
  async handleBatchRecord(
    rawModelId: string,
    modelInput: unknown,
  ): Promise<{ ok: true; body: unknown; usage: Usage } | { ok: false; error: BedrockError }> {
    try {
      const model = modelInfoOf(rawModelId);
      this.access?.check(model);
      const call = parseInvoke(Buffer.from(JSON.stringify(modelInput)), model);
      checkModelRules(call, model.row);
      const images = await Promise.all(call.images.map(checkImage));
      const inputTokens = inputTokensOf(call, images, model.row);
      const { answer, stopReason, outputTokens } = this.answerOf(call, await this.describe(call, images));
      const usage = { inputTokens, outputTokens };
      this.counters.batchRecords++;
      this.counters.batchTokens.input += inputTokens;
      this.counters.batchTokens.output += outputTokens;
      return { ok: true, body: invokeResponse(model.id, answer, stopReason, usage), usage };
    } catch (error) {
      if (error instanceof BedrockError) return { ok: false, error };
      this.logger?.error({ err: error }, 'batch record failed');
      return { ok: false, error: new BedrockError('InternalServerException', (error as Error).message) };
    }
  }

  /** Asks the analyser about the last image of the request (the one a single-image prompt is about). */
  private async describe(call: ModelCall, images: CheckedImage[], caller?: string): Promise<ImageDescription> {
    const image = images.at(-1);
    if (!image) return NO_IMAGE;
    const tool = chosenTool(call);
    return this.analyser.analyse({
      image: image.bytes,
      format: image.format,
      width: image.width,
      height: image.height,
      prompt: [...call.system, ...call.texts].join('\n\n'),
      tool: tool ? { name: tool.name, inputSchema: tool.inputSchema } : undefined,
      ...(caller ? { caller } : {}),
    });
  }

  /** The answer as the model would give it, cut short at max_tokens like a real one. */
  private answerOf(
    call: ModelCall,
    description: ImageDescription,
  ): { answer: Answer; stopReason: StopReason; outputTokens: number } {
    const tool = chosenTool(call);
    const json = JSON.stringify(description);
    const outputTokens = outputTokensOf(json);
    if (outputTokens > call.maxTokens) {
      const answer: Answer = tool
        ? { kind: 'tool', name: tool.name, input: {} }
        : { kind: 'text', text: json.slice(0, call.maxTokens * 4) };
      return { answer, stopReason: 'max_tokens', outputTokens: call.maxTokens };
    }
    if (tool)
      return { answer: { kind: 'tool', name: tool.name, input: description }, stopReason: 'tool_use', outputTokens };
    return { answer: { kind: 'text', text: json }, stopReason: 'end_turn', outputTokens };
  }
}
