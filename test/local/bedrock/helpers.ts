import { readFileSync } from 'node:fs';
import {
  BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type ConverseCommandInput,
  type ImageFormat,
} from '@aws-sdk/client-bedrock-runtime';
import sharp from 'sharp';
import { descriptionJsonSchema } from '../../../shared/catalogue.ts';

/** A model the stand-in serves by a profile id, taking the request above as is (no thinking by default). */
export const MODEL_ID = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
export const TOOL_NAME = 'record_catalogue_entry';
export const PROMPT = 'Catalogue this image with the record_catalogue_entry tool.';

export function fixture(name: string): Buffer {
  return readFileSync(new URL(`../../fixtures/images/${name}`, import.meta.url));
}

/**
 * The real client, pointed at the stand-in; no SDK retries, so every error surfaces. `sharedSession` lets requests
 * share one HTTP/2 connection (the Bedrock client's default opens one per request), which halves the client's CPU
 * per request for load tests.
 */
export function bedrockClient(url: string, options: { sharedSession?: boolean } = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
    requestHandler: options.sharedSession ? { disableConcurrentStreams: false } : undefined,
  });
}

/** A Converse request as the worker sends it: one image, the prompt, one forced tool with the catalogue schema. */
export function converseInput(
  image: Buffer,
  format: ImageFormat | string,
  options: { modelId?: string; maxTokens?: number; system?: string; tool?: boolean } = {},
): ConverseCommandInput {
  const content: ContentBlock[] = [
    { image: { format: format as ImageFormat, source: { bytes: image } } },
    { text: PROMPT },
  ];
  return {
    modelId: options.modelId ?? MODEL_ID,
    system: options.system === undefined ? undefined : [{ text: options.system }],
    messages: [{ role: 'user', content }],
    inferenceConfig: { maxTokens: options.maxTokens ?? 1024 },
    toolConfig:
      options.tool === false
        ? undefined
        : {
            tools: [{ toolSpec: { name: TOOL_NAME, inputSchema: { json: descriptionJsonSchema() as never } } }],
            toolChoice: { tool: { name: TOOL_NAME } },
          },
  };
}

export function converse(client: BedrockRuntimeClient, input: ConverseCommandInput) {
  return client.send(new ConverseCommand(input));
}

/** A small, solid-colour JPEG. */
export function solidJpeg(width: number, height: number, colour = '#3366cc'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .jpeg()
    .toBuffer();
}

/** Random pixels compress badly: a PNG of this size is about 3 × width × height bytes. */
export function noisePng(width: number, height: number, seed = 1): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let x = seed;
  for (let i = 0; i < pixels.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    pixels[i] = x >>> 24;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}
