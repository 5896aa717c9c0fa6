import { randomBytes } from 'node:crypto';
import type { ModelCall } from './requests.ts';

/** What the "model" answered: a call of one tool, or text. */
export type Answer = { kind: 'tool'; name: string; input: Record<string, unknown> } | { kind: 'text'; text: string };

export type StopReason = 'tool_use' | 'end_turn' | 'max_tokens' | 'content_filtered';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

function randomId(prefix: string, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let id = prefix;
  for (const b of bytes) id += alphabet[b % alphabet.length];
  return id;
}

/** The model part of a Claude model id: `us.anthropic.claude-3-haiku-20240307-v1:0` → `claude-3-haiku-20240307`. */
function anthropicModelName(modelId: string): string {
  return modelId.replace(/^(?:[a-z-]+\.)?anthropic\./, '').replace(/-v\d+(?::\d+)?$/, '');
}

/** The body of a Converse answer. */
export function converseResponse(answer: Answer, stopReason: StopReason, usage: Usage, latencyMs: number): unknown {
  const content =
    answer.kind === 'tool'
      ? [{ toolUse: { toolUseId: randomId('tooluse_', 22), name: answer.name, input: answer.input } }]
      : [{ text: answer.text }];
  return {
    output: { message: { role: 'assistant', content } },
    stopReason,
    usage: {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      totalTokens: usage.inputTokens + usage.outputTokens,
    },
    metrics: { latencyMs },
  };
}

/** The body of an InvokeModel answer in Anthropic's Messages format. */
export function invokeResponse(modelId: string, answer: Answer, stopReason: StopReason, usage: Usage): unknown {
  const content =
    answer.kind === 'tool'
      ? [{ type: 'tool_use', id: randomId('toolu_bdrk_', 24), name: answer.name, input: answer.input }]
      : [{ type: 'text', text: answer.text }];
  return {
    id: randomId('msg_bdrk_', 24),
    type: 'message',
    role: 'assistant',
    model: anthropicModelName(modelId),
    content,
    // The Messages API calls a withheld answer a refusal.
    stop_reason: stopReason === 'content_filtered' ? 'refusal' : stopReason,
    stop_sequence: null,
    usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens },
  };
}

/**
 * The tool the model answers with: the one `toolChoice` names; with `any`, or `auto` and tools offered, the first
 * tool (the stand-in always takes the tool it is offered); none without tools.
 */
export function chosenTool(call: ModelCall): ModelCall['tools'][number] | undefined {
  const choice = call.toolChoice;
  if (choice?.type === 'tool') return call.tools.find((t) => t.name === choice.name);
  return call.tools[0];
}
