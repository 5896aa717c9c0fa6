import type { ImageDescription } from '../../../shared/catalogue.ts';

/** What the Bedrock stand-in knows of one image it was sent. */
export interface AnalyserInput {
  /** The image bytes exactly as sent in the Converse/InvokeModel request. */
  image: Buffer;
  format: 'jpeg' | 'png' | 'gif' | 'webp';
  width: number;
  height: number;
  /** The text parts of the request (system + user), for analysers that care. */
  prompt: string;
  /** The `toolChoice`'s tool name and input JSON schema, when the request forces a tool. */
  tool?: { name: string; inputSchema: Record<string, unknown> };
  /** The caller's app id (AWS_SDK_UA_APP_ID, sent as `app/<id>` in the user agent), when it set one. */
  caller?: string;
}

/**
 * The pluggable brain of the Bedrock stand-in. It answers as the model would, with a catalogue entry
 * ({@link ImageDescription}). Implementations say what they are in `name`; the on-device one marks its answers as
 * on-device and low-confidence, never as Claude's.
 */
export interface Analyser {
  readonly name: string;
  /** Loads models etc. Called once before the first `analyse`. */
  init?(): Promise<void>;
  analyse(input: AnalyserInput): Promise<ImageDescription>;
  close?(): Promise<void>;
}
