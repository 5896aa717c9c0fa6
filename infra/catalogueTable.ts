import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import { catalogueCreateTableInput } from '../shared/table.ts';

/**
 * The table's keys and indexes in the provider's shape, derived from the same `CreateTable` input the local stack
 * gives dynalite, so the deployed table and the local one cannot drift apart.
 */
export function catalogueTableSchema(): Pick<
  aws.dynamodb.TableArgs,
  'attributes' | 'hashKey' | 'rangeKey' | 'globalSecondaryIndexes' | 'billingMode'
> {
  const input = catalogueCreateTableInput('unused');
  const keys: ReadonlyArray<{ AttributeName: string; KeyType: string }> = input.KeySchema;
  const keyOf = (type: 'HASH' | 'RANGE') => keys.find((k) => k.KeyType === type)?.AttributeName;
  return {
    billingMode: input.BillingMode,
    attributes: input.AttributeDefinitions.map((a) => ({ name: a.AttributeName, type: a.AttributeType })),
    hashKey: keyOf('HASH'),
    rangeKey: keyOf('RANGE'),
    globalSecondaryIndexes: input.GlobalSecondaryIndexes.map((ix) => ({
      name: ix.IndexName,
      keySchemas: ix.KeySchema.map((k) => ({ attributeName: k.AttributeName, keyType: k.KeyType })),
      projectionType: ix.Projection.ProjectionType,
    })),
  };
}

/**
 * The catalogue table: on-demand, point-in-time recovery, encrypted with the AWS-managed KMS key, deletion
 * protection as configured.
 */
export function catalogueTable(
  name: string,
  args: { deletionProtection: boolean },
  opts: pulumi.CustomResourceOptions,
): aws.dynamodb.Table {
  return new aws.dynamodb.Table(
    name,
    {
      ...catalogueTableSchema(),
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: args.deletionProtection,
    },
    opts,
  );
}
