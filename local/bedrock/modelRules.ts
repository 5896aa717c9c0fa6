import { type ModelRow, resolveModel } from '../../shared/models.ts';
import { BedrockError, validationError } from './errors.ts';
import type { ModelCall, ModelInfo } from './requests.ts';

/**
 * The stand-in's model rules, from the same model table the worker uses (shared/modelTable.ts), so it is never
 * kinder than the service: unknown ids are refused, end-of-life ids answer 404, a bare id of a profile-only model
 * answers the ValidationException Bedrock gives, and each model's parameter rules are enforced.
 */

const INVALID_ID = 'The provided model identifier is invalid.';
const END_OF_LIFE =
  'This model version has reached the end of its life. Please refer to the AWS documentation for more details.';
const ACCESS_DENIED = "You don't have access to the model with the specified model ID.";

/** The model of a request path (already URL-decoded): a model id, a profile id or either's ARN. */
export function modelInfoOf(raw: string): ModelInfo {
  const model = resolveModel(raw);
  const row = model.row;
  if (!row || model.via === 'application') throw validationError(INVALID_ID);
  if (row.lifecycle === 'end-of-life') throw new BedrockError('ResourceNotFoundException', END_OF_LIFE);
  if (model.via === 'bare' && !row.bareIdOnDemand) {
    throw validationError(
      `Invocation of model ID ${row.modelId} with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.`,
    );
  }
  if (model.via !== 'bare' && !row.profiles.includes(model.via)) throw validationError(INVALID_ID);
  const id = model.via === 'bare' ? row.modelId : `${model.via}.${row.modelId}`;
  return { id, maxOutputTokens: row.maxOutputTokens, row };
}

/** Models whose access is denied (Model access not granted, or taken away), by row key; `*` denies every model. */
export class AccessList {
  private readonly denied = new Set<string>();

  constructor(deny: readonly string[] = []) {
    this.set({ deny });
  }

  /** Denies and grants by row key (`claude-haiku-5-5`), model id or profile id; `*` for all. */
  set(patch: { deny?: readonly string[]; grant?: readonly string[] }): string[] {
    for (const d of patch.deny ?? []) this.denied.add(keyOf(d));
    for (const g of patch.grant ?? []) {
      if (g === '*') this.denied.clear();
      else this.denied.delete(keyOf(g));
    }
    return [...this.denied];
  }

  check(model: ModelInfo): void {
    if (this.denied.has('*') || this.denied.has(model.row.key)) {
      throw new BedrockError('AccessDeniedException', ACCESS_DENIED);
    }
  }

  list(): string[] {
    return [...this.denied];
  }
}

function keyOf(name: string): string {
  if (name === '*') return name;
  return resolveModel(name).row?.key ?? name;
}

/** Enforces the model's parameter rules on a parsed request. */
export function checkModelRules(call: ModelCall, row: ModelRow): void {
  const p = call.params;
  const sent = (['temperature', 'top_p', 'top_k'] as const).filter(
    (name) => ({ temperature: p.temperature, top_p: p.topP, top_k: p.topK })[name] !== undefined,
  );
  if (row.sampling === 'none' && sent.length > 0) {
    throw validationError(`${sent[0]}: This parameter is not supported by this model; remove it from the request.`);
  }
  if (row.sampling === 'temperature-or-top-p' && p.temperature !== undefined && p.topP !== undefined) {
    throw validationError('`temperature` and `top_p` cannot both be specified for this model. Please use only one.');
  }
  if (p.thinking) {
    if (!row.thinking.off) throw validationError('thinking: Extra inputs are not permitted');
    if (!['disabled', 'enabled', 'adaptive'].includes(p.thinking.type)) {
      throw validationError(`thinking.type: Input should be 'enabled', 'adaptive' or 'disabled'`);
    }
  }
  const thinkingOn = p.thinking ? p.thinking.type !== 'disabled' : row.thinking.defaultOn;
  const forced = call.toolChoice?.type === 'tool' || call.toolChoice?.type === 'any';
  if (thinkingOn && forced) throw validationError('Thinking may not be enabled when tool_choice forces tool use.');
  if (p.strictTools > 0 && !row.output.strictTool) {
    throw validationError('strict: Strict tool use is not supported for this model.');
  }
  if (p.jsonSchemaOutput && !row.output.jsonSchema) {
    throw validationError('output_config.format: Structured outputs are not supported for this model.');
  }
}
