import { PutObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { batchDeps, controlPlaneClient } from '../../../../scripts/backfill/batch/command.ts';
import type { BatchModeOptionsInput } from '../../../../scripts/backfill/batch/options.ts';
import { runBatchBackfill } from '../../../../scripts/backfill/batch/runBatch.ts';
import type { BatchSummary } from '../../../../scripts/backfill/batch/summary.ts';
import type { BackfillOptionsInput } from '../../../../scripts/backfill/options.ts';
import { createClients, destroyClients, loadPrompt } from '../../../../worker/index.ts';
import type { System } from '../../../helpers/system.ts';

/**
 * Small distinct images: each its own size and colour, and the first pixels spell the key, so no two images of any
 * prefix share bytes (identical bytes would be reused from the catalogue instead of described).
 */
export async function makeImages(prefix: string, count: number, scale = 1): Promise<{ key: string; body: Buffer }[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const key = `${prefix}img-${String(i).padStart(4, '0')}.png`;
      const width = Math.round((40 + ((i * 37) % 160)) * scale);
      const height = Math.round((30 + ((i * 53) % 120)) * scale);
      const pixels = Buffer.alloc(width * height * 3);
      for (let p = 0; p < pixels.length; p += 3) {
        pixels[p] = (i * 17) % 256;
        pixels[p + 1] = (i * 89) % 256;
        pixels[p + 2] = (i * 151) % 256;
      }
      Buffer.from(key, 'utf8').copy(pixels, 0, 0, Math.min(pixels.length, 3 * width));
      const body = await sharp(pixels, { raw: { width, height, channels: 3 } })
        .png()
        .toBuffer();
      return { key, body };
    }),
  );
}

/** Puts images with the S3 event bridge off: they were in the bucket before the catalogue. */
export async function putQuietly(system: System, images: readonly { key: string; body: Buffer }[]): Promise<void> {
  const bridge = system.stack.bridge;
  const was = bridge.enabled;
  bridge.enabled = false;
  try {
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < images.length; i = next++) {
        const o = images[i]!;
        await system.stack.clients.s3.send(
          new PutObjectCommand({ Bucket: system.stack.bucket, Key: o.key, Body: o.body }),
        );
      }
    };
    await Promise.all(Array.from({ length: 16 }, lane));
  } finally {
    bridge.enabled = was;
  }
}

/** Fast polls and the test stack's staging bucket and role; limits as given. */
const FAST_BATCH: Partial<BatchModeOptionsInput> = { pollMs: 20, prepareConcurrency: 4 };

/** Runs `backfill --mode batch` in-process, as the CLI wires it, on the system's stack. */
export async function runBatch(
  system: System,
  backfill: Partial<BackfillOptionsInput>,
  batch: Partial<BatchModeOptionsInput> = {},
  signal?: AbortSignal,
): Promise<BatchSummary> {
  const config = system.config();
  const clients = createClients(config);
  const bedrock = controlPlaneClient(config);
  try {
    return await runBatchBackfill(
      { bucket: system.stack.bucket, ...backfill },
      {
        stagingBucket: config.batch.bucket as string,
        roleArn: config.batch.roleArn as string,
        ...FAST_BATCH,
        ...batch,
      },
      batchDeps(config, clients, loadPrompt(config), config.queueUrl as string, bedrock, undefined, signal),
    );
  } finally {
    bedrock.destroy();
    destroyClients(clients);
  }
}
