import { MODEL_TABLE, type ModelRow, type ProfileScope, type SamplingRule } from './modelTable.ts';

export type { ModelRow, ProfileScope } from './modelTable.ts';
export { DEFAULT_MODEL_ID, MODEL_TABLE } from './modelTable.ts';

/**
 * What a `MODEL_ID` (a foundation-model id, an inference-profile id or either's ARN) names: the table's row when it
 * is known, and how it is called (bare id, geographic or global profile).
 */
export interface ResolvedModel {
  /** The id as configured. */
  id: string;
  /** The foundation-model id inside it (`anthropic.claude-...`), or the id itself when it cannot be told. */
  foundationId: string;
  /** `bare` (foundation id or its ARN), a profile scope, or `application` (an application inference profile ARN). */
  via: 'bare' | ProfileScope | 'application';
  /** The table's row; undefined for an id the table does not know (it still works, with a warning). */
  row?: ModelRow;
}

const SCOPES: readonly ProfileScope[] = ['us', 'eu', 'apac', 'jp', 'au', 'global'];
const ARN =
  /^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d*:(foundation-model|inference-profile|application-inference-profile)\/(.+)$/;

/** Resolves a model id, profile id or ARN against the table. Never throws. */
export function resolveModel(id: string): ResolvedModel {
  let rest = id.trim();
  const arn = ARN.exec(rest);
  if (arn) {
    if (arn[1] === 'application-inference-profile') return { id, foundationId: rest, via: 'application' };
    rest = arn[2] ?? rest;
  }
  let via: ResolvedModel['via'] = 'bare';
  const dot = rest.indexOf('.');
  const prefix = dot > 0 ? rest.slice(0, dot) : '';
  if ((SCOPES as readonly string[]).includes(prefix) && rest.slice(dot + 1).includes('.')) {
    via = prefix as ProfileScope;
    rest = rest.slice(dot + 1);
  }
  const row = MODEL_TABLE.find((r) => r.modelId === rest);
  return { id, foundationId: rest, via, row };
}

/** The row of a key (`claude-haiku-5-5`); throws for an unknown key (a programming error). */
export function rowByKey(key: string): ModelRow {
  const row = MODEL_TABLE.find((r) => r.key === key);
  if (!row) throw new Error(`no model row ${key}`);
  return row;
}

/** The id to call a row by: its profile of the given scope (default global, else the first it has). */
export function profileIdOf(row: ModelRow, scope?: ProfileScope): string {
  const chosen = scope ?? (row.profiles.includes('global') ? 'global' : row.profiles[0]);
  return chosen ? `${chosen}.${row.modelId}` : row.modelId;
}

/** What a model's lifecycle and the way it is called say about using it today (`on`: YYYY-MM-DD, default today). */
export type UsabilityProblem =
  | { kind: 'end-of-life'; date: string; replacement?: string }
  | { kind: 'profile-required'; profileId: string }
  | { kind: 'profile-not-offered'; scope: ProfileScope; offered: readonly ProfileScope[] };

/** Problems that the table alone can tell, before any call: end of life, bare id of a profile-only model. */
export function usabilityProblem(
  model: ResolvedModel,
  on = new Date().toISOString().slice(0, 10),
): UsabilityProblem | undefined {
  const row = model.row;
  if (!row) return undefined;
  if (row.lifecycle === 'end-of-life' || (row.endOfLife !== undefined && row.endOfLife <= on)) {
    const replacement = row.replacement ? profileIdOf(rowByKey(row.replacement)) : undefined;
    return { kind: 'end-of-life', date: row.endOfLife ?? 'unknown', replacement };
  }
  if (model.via === 'bare' && !row.bareIdOnDemand) return { kind: 'profile-required', profileId: profileIdOf(row) };
  if (model.via !== 'bare' && model.via !== 'application' && !row.profiles.includes(model.via)) {
    return { kind: 'profile-not-offered', scope: model.via, offered: row.profiles };
  }
  return undefined;
}

/** The facts the worker uses for a model, with safe guesses for an id the table does not know. */
export interface ModelTraits {
  name: string;
  known: boolean;
  outputBurndown: number;
  maxOutputTokens: number;
  sampling: SamplingRule;
  thinkingOff?: { type: 'disabled' };
  strictTool: boolean;
  toolUseSystemTokens: number;
  textTokenFactor: number;
  image: ModelRow['image'];
}

/**
 * Traits of a model. An unknown id gets the cautious guess: no sampling parameters (newer models refuse them), no
 * thinking parameter, no strict tools, burndown 5 (newer models; `QUOTA_OUTPUT_BURNDOWN` overrides it), the
 * 1568 px image rule and the largest tool-use prompt of the table.
 */
export function traitsOf(model: ResolvedModel): ModelTraits {
  const row = model.row;
  if (row) {
    return {
      name: row.name,
      known: true,
      outputBurndown: row.outputBurndown,
      maxOutputTokens: row.maxOutputTokens,
      sampling: row.sampling,
      thinkingOff: row.thinking.defaultOn ? row.thinking.off : undefined,
      strictTool: row.output.strictTool,
      toolUseSystemTokens: row.toolUseSystemTokens,
      textTokenFactor: row.textTokenFactor,
      image: row.image,
    };
  }
  const base = rowByKey('claude-haiku-4-5');
  return {
    name: model.foundationId,
    known: false,
    outputBurndown: 5,
    maxOutputTokens: 4096,
    sampling: 'none',
    strictTool: false,
    toolUseSystemTokens: Math.max(...MODEL_TABLE.map((r) => r.toolUseSystemTokens)),
    textTokenFactor: 1.3,
    image: base.image,
  };
}

/** Claude's image tokens for a model: the image scaled to the model's limits, × its tokens per pixel. */
export function imageTokensFor(image: ModelRow['image'], width: number, height: number): number {
  if (!(width > 0 && height > 0)) return 0;
  const scale = Math.min(1, image.maxLongEdge / Math.max(width, height), Math.sqrt(image.maxPixels / (width * height)));
  const w = Math.max(1, Math.floor(width * scale + 1e-9));
  const h = Math.max(1, Math.floor(height * scale + 1e-9));
  return Math.ceil(w * h * image.tokensPerPixel);
}

/** A price as the backfill's cost preview and the batch planner use it. */
export interface ModelPrice {
  name: string;
  /** USD per million input tokens for the way this id is called (global, geographic or in-region). */
  inputPerMillion: number;
  outputPerMillion: number;
  /** Batch price as a fraction of on demand. */
  batchFactor: number;
  toolUseSystemTokens: number;
  /** Date the price page was read. */
  read: string;
}

/** The on-demand price of an id, with the geographic-profile premium where it applies; undefined when unknown. */
export function priceOf(modelId: string): ModelPrice | undefined {
  const model = resolveModel(modelId);
  const row = model.row;
  if (!row) return undefined;
  const factor = model.via === 'global' ? 1 : 1 + row.price.geoPremium;
  return {
    name: row.name,
    inputPerMillion: round(row.price.inputPerMillion * factor),
    outputPerMillion: round(row.price.outputPerMillion * factor),
    batchFactor: row.price.batchFactor,
    toolUseSystemTokens: row.toolUseSystemTokens,
    read: row.price.read,
  };
}

/** Dollars for a number of tokens at a price. */
export function costOf(
  tokens: { input: number; output: number },
  price: Pick<ModelPrice, 'inputPerMillion' | 'outputPerMillion'>,
): number {
  return (tokens.input * price.inputPerMillion + tokens.output * price.outputPerMillion) / 1_000_000;
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
