import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { catalogueCreateTableInput } from '../../shared/table.ts';
import { childOptions } from './childOptions.ts';

/**
 * The table's keys and indexes in the provider's shape, derived from the same `CreateTable` input the local stack
 * gives dynalite, so the deployed table and the local one cannot drift apart.
 */
function catalogueTableSchema(): Pick<
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

export interface CatalogueTableArgs {
  /** DynamoDB deletion protection. */
  deletionProtection: boolean;
}

/**
 * The catalogue table: on-demand, point-in-time recovery, encrypted with the AWS-managed KMS key, deletion
 * protection as configured.
 */
export class CatalogueTable extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;

  constructor(name: string, args: CatalogueTableArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('image-catalogue:index:CatalogueTable', name, {}, opts);
    this.table = new aws.dynamodb.Table(
      name,
      {
        ...catalogueTableSchema(),
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true },
        deletionProtectionEnabled: args.deletionProtection,
      },
      childOptions(this, opts),
    );
    this.registerOutputs({ tableName: this.table.name, tableArn: this.table.arn });
  }
}
