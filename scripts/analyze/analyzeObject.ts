import { type BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import type { ImageDescription } from '../../shared/catalogue.ts';
import type { Config } from '../../shared/config.ts';
import { PoisonMessageError } from '../../shared/errors.ts';
import {
  type AwsClients,
  BedrockDescriber,
  loadPrompt,
  prepareImage,
  prepareOptionsFromConfig,
  RetryingDescriber,
  S3ImageSource,
  translateBedrockError,
} from '../../worker/index.ts';

/** `s3://bucket/key` → bucket and key (the key as written, not URL-encoded). */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new PoisonMessageError(`not an S3 URI: ${JSON.stringify(uri)} (expected s3://bucket/key)`);
  return { bucket: m[1]!, key: m[2]! };
}

export type AnalyzeResult =
  | { kind: 'catalogue'; description: ImageDescription; usage: { inputTokens: number; outputTokens: number } }
  | { kind: 'text'; text: string; usage: { inputTokens: number; outputTokens: number } };

/**
 * The first design's ad-hoc use: one image in S3, one prompt, the model's answer. With no prompt it is the catalogue
 * entry (forced tool, validated); with a prompt of your own it is the model's text answer.
 */
export async function analyzeObject(
  uri: string,
  options: { prompt?: string; config: Config; clients: AwsClients },
): Promise<AnalyzeResult> {
  const { bucket, key } = parseS3Uri(uri);
  const { config, clients } = options;
  const fetched = await new S3ImageSource(clients.s3).fetch({ bucket, key }, { maxBytes: config.image.maxBytes });
  if (fetched.status === 'missing') throw new Error(`no such object: ${uri}`);
  if (fetched.status === 'too-large') throw new Error(`${uri} is ${fetched.size} bytes, over IMAGE_MAX_BYTES`);
  if (fetched.status !== 'ok') throw new Error(`could not read ${uri}`);
  const prepared = await prepareImage(fetched.body, { ...prepareOptionsFromConfig(config), thumbnailEdge: undefined });
  if (options.prompt === undefined) {
    const describer = new RetryingDescriber(
      new BedrockDescriber(clients.bedrock, {
        modelId: config.model.id,
        maxTokens: config.model.maxTokens,
        categories: config.model.categories,
        timeoutMs: config.model.timeoutMs,
      }),
      {
        maxAttempts: config.model.maxAttempts,
        outputMaxAttempts: config.model.outputMaxAttempts,
        baseMs: config.model.retryBaseMs,
        maxMs: config.model.retryMaxMs,
      },
    );
    const r = await describer.describe({ image: prepared.image, prompt: loadPrompt(config).text });
    return { kind: 'catalogue', description: r.description, usage: r.usage };
  }
  return askFreely(clients.bedrock, config, prepared.image, options.prompt);
}

async function askFreely(
  bedrock: BedrockRuntimeClient,
  config: Config,
  image: { body: Buffer; format: 'jpeg' | 'webp' | 'png' | 'gif' },
  prompt: string,
): Promise<AnalyzeResult> {
  try {
    const out = await bedrock.send(
      new ConverseCommand({
        modelId: config.model.id,
        messages: [
          {
            role: 'user',
            content: [{ image: { format: image.format, source: { bytes: image.body } } }, { text: prompt }],
          },
        ],
        inferenceConfig: { maxTokens: config.model.maxTokens },
      }),
    );
    const text = (out.output?.message?.content ?? []).map((c) => c.text ?? '').join('');
    return {
      kind: 'text',
      text,
      usage: { inputTokens: out.usage?.inputTokens ?? 0, outputTokens: out.usage?.outputTokens ?? 0 },
    };
  } catch (error) {
    throw translateBedrockError(error, config.model.id);
  }
}
