/**
 * The Pulumi program (Pulumi.yaml: `main: infra/`). Reads the stack config, builds the ImageCatalogue component and
 * exports what a user needs: `pulumi stack output queueUrl`, and so on. Everything else lives in the modules.
 */
import { createStack } from './stack.ts';

const outputs = createStack();

export const imageBucketName = outputs.imageBucketName;
export const thumbnailBucketName = outputs.thumbnailBucketName;
export const queueUrl = outputs.queueUrl;
export const dlqUrl = outputs.dlqUrl;
export const tableName = outputs.tableName;
export const ecrRepositoryUrl = outputs.ecrRepositoryUrl;
export const workerImage = outputs.workerImage;
export const clusterName = outputs.clusterName;
export const serviceName = outputs.serviceName;
export const workerLogGroupName = outputs.workerLogGroupName;
export const alarmTopicArn = outputs.alarmTopicArn;
export const vpcId = outputs.vpcId;
export const redisUrl = outputs.redisUrl;
export const galleryUrl = outputs.galleryUrl;
export const batchBucketName = outputs.batchBucketName;
export const batchRoleArn = outputs.batchRoleArn;
export const batchOperatorPolicyArn = outputs.batchOperatorPolicyArn;
export const browserDistributionDomain = outputs.browserDistributionDomain;
export const browserUserPoolId = outputs.browserUserPoolId;
