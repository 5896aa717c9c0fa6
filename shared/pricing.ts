/**
 * On-demand prices of the Claude models on Amazon Bedrock, in US dollars per million tokens, with the hidden system
 * prompt that Claude adds to every request that defines tools (its size depends on the model and on `tool_choice`;
 * the worker forces one tool, so the "any/tool" figure applies). Prices change: check the Bedrock pricing page for
 * your region before relying on a figure, and pass your own with the backfill's `--price-input/--price-output`.
 */
export interface ModelPrice {
  /** A readable name for reports. */
  name: string;
  /** USD per million input tokens, on demand. */
  inputPerMillion: number;
  /** USD per million output tokens, on demand. */
  outputPerMillion: number;
  /** Price of batch inference as a fraction of on-demand (Bedrock: about half). */
  batchFactor: number;
  /** Tokens of the system prompt Claude adds when `tool_choice` forces a tool. */
  toolUseSystemTokens: number;
}

interface PriceRow extends ModelPrice {
  /** Matches the model part of a Bedrock model id, inference profile id or ARN. */
  pattern: RegExp;
}

const BATCH = 0.5;

/** First match wins: the more specific patterns come first. */
const PRICES: readonly PriceRow[] = [
  {
    pattern: /claude-3-haiku/,
    name: 'Claude 3 Haiku',
    inputPerMillion: 0.25,
    outputPerMillion: 1.25,
    batchFactor: BATCH,
    toolUseSystemTokens: 340,
  },
  {
    pattern: /claude-3-5-haiku/,
    name: 'Claude 3.5 Haiku',
    inputPerMillion: 0.8,
    outputPerMillion: 4,
    batchFactor: BATCH,
    toolUseSystemTokens: 340,
  },
  {
    pattern: /claude-haiku-4-5/,
    name: 'Claude Haiku 4.5',
    inputPerMillion: 1,
    outputPerMillion: 5,
    batchFactor: BATCH,
    toolUseSystemTokens: 313,
  },
  {
    pattern: /claude-3-sonnet/,
    name: 'Claude 3 Sonnet',
    inputPerMillion: 3,
    outputPerMillion: 15,
    batchFactor: BATCH,
    toolUseSystemTokens: 235,
  },
  {
    pattern: /claude-3-5-sonnet/,
    name: 'Claude 3.5 Sonnet',
    inputPerMillion: 3,
    outputPerMillion: 15,
    batchFactor: BATCH,
    toolUseSystemTokens: 313,
  },
  {
    pattern: /claude-3-7-sonnet/,
    name: 'Claude 3.7 Sonnet',
    inputPerMillion: 3,
    outputPerMillion: 15,
    batchFactor: BATCH,
    toolUseSystemTokens: 313,
  },
  {
    pattern: /claude-sonnet-4/,
    name: 'Claude Sonnet 4.x',
    inputPerMillion: 3,
    outputPerMillion: 15,
    batchFactor: BATCH,
    toolUseSystemTokens: 313,
  },
  {
    pattern: /claude-3-opus/,
    name: 'Claude 3 Opus',
    inputPerMillion: 15,
    outputPerMillion: 75,
    batchFactor: BATCH,
    toolUseSystemTokens: 281,
  },
  {
    pattern: /claude-opus-4-5/,
    name: 'Claude Opus 4.5',
    inputPerMillion: 5,
    outputPerMillion: 25,
    batchFactor: BATCH,
    toolUseSystemTokens: 313,
  },
  {
    pattern: /claude-opus-4/,
    name: 'Claude Opus 4/4.1',
    inputPerMillion: 15,
    outputPerMillion: 75,
    batchFactor: BATCH,
    toolUseSystemTokens: 313,
  },
];

/** The price of a model, from its Bedrock id (`anthropic.claude-3-haiku-20240307-v1:0`, `us.anthropic...`, an ARN). */
export function priceOf(modelId: string): ModelPrice | undefined {
  const id = modelId.toLowerCase();
  const row = PRICES.find((p) => p.pattern.test(id));
  if (!row) return undefined;
  const { pattern: _pattern, ...price } = row;
  return price;
}

/** Dollars for a number of tokens at a price. */
export function costOf(
  tokens: { input: number; output: number },
  price: Pick<ModelPrice, 'inputPerMillion' | 'outputPerMillion'>,
): number {
  return (tokens.input * price.inputPerMillion + tokens.output * price.outputPerMillion) / 1_000_000;
}
