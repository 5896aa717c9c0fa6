import { z } from 'zod';

const optionalUrl = z.url().optional();

/** The variables of `backfill --mode batch` (docs/batch.md), part of the one configuration (config.ts). */
export const BATCH_VARIABLES = {
  BEDROCK_CONTROL_ENDPOINT: {
    schema: optionalUrl,
    doc: 'Bedrock control-plane endpoint override (local stand-in), for batch inference jobs',
  },
  BATCH_BUCKET: {
    schema: z.string().min(3).optional(),
    doc: 'private staging bucket of backfill --mode batch (JSONL input, job output, run manifest)',
  },
  BATCH_ROLE_ARN: {
    schema: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/)
      .optional(),
    doc: 'IAM role Bedrock assumes to read the batch input and write its output',
  },
} as const;
