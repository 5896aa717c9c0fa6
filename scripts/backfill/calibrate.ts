import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { CATALOGUE_TABLE } from '../../shared/table.ts';
import { imageTokensOfPrepared, meanAndSd, type RequestModel } from './estimate.ts';

const Measured = z.object({
  analysisVersion: z.string(),
  inputTokens: z.number().int().min(1),
  outputTokens: z.number().int().min(1),
  image: z.object({ preparedWidth: z.number().int().min(1), preparedHeight: z.number().int().min(1) }),
});

export interface Calibration extends RequestModel {
  /** Catalogued items the figures come from. */
  items: number;
}

/**
 * The request model measured on the catalogue: the most recent catalogued items of this analysis version (the same
 * model, prompt and schema) tell what Claude really counted. Per item, the input tokens minus the image's tokens
 * (from its prepared size) is the request overhead; the output tokens are the answer. Undefined when fewer than
 * `minItems` such items exist.
 */
export async function calibrateFromCatalogue(
  doc: DynamoDBDocumentClient,
  tableName: string,
  analysisVersion: string,
  options: { maxItems?: number; minItems?: number } = {},
): Promise<Calibration | undefined> {
  const maxItems = options.maxItems ?? 500;
  const minItems = options.minItems ?? 3;
  const ix = CATALOGUE_TABLE.byStatusIndex;
  const overheads: number[] = [];
  const outputs: number[] = [];
  let startKey: Record<string, unknown> | undefined;
  let pages = 0;
  do {
    const out = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: ix.name,
        KeyConditionExpression: '#s = :s',
        FilterExpression: '#av = :av',
        ExpressionAttributeNames: {
          '#s': ix.partitionKey,
          '#av': 'analysisVersion',
          '#in': 'inputTokens',
          '#out': 'outputTokens',
          '#img': 'image',
        },
        ExpressionAttributeValues: { ':s': 'catalogued', ':av': analysisVersion },
        ProjectionExpression: '#av, #in, #out, #img',
        ScanIndexForward: false,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const raw of out.Items ?? []) {
      const m = Measured.safeParse(raw);
      if (!m.success) continue;
      overheads.push(
        m.data.inputTokens - imageTokensOfPrepared(m.data.image.preparedWidth, m.data.image.preparedHeight),
      );
      outputs.push(m.data.outputTokens);
      if (outputs.length >= maxItems) break;
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey && outputs.length < maxItems && ++pages < 20);
  if (outputs.length < minItems) return undefined;
  return {
    items: outputs.length,
    overheadTokens: Math.max(0, Math.round(meanAndSd(overheads).mean)),
    outputTokens: Math.round(meanAndSd(outputs).mean),
  };
}
