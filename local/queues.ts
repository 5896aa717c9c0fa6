import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** The largest S3 event notification is 64 KB; AWS's default is 256 KB, and the infra sets the same. */
export const MAXIMUM_MESSAGE_SIZE = 262_144;

export interface QueueSettings {
  queueName: string;
  dlqName: string;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
}

/** Creates the queue, or brings an existing one (from a saved state) to these attributes. Returns its URL. */
async function ensureQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    return QueueUrl!;
  } catch (error) {
    const name_ = (error as Error).name;
    if (name_ !== 'QueueDoesNotExist' && name_ !== 'AWS.SimpleQueueService.NonExistentQueue') throw error;
  }
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return QueueUrl!;
}

/** fauxqs' account id. Its queue URLs are `<endpoint>/000000000000/<name>`. */
const ACCOUNT_ID = '000000000000';

/**
 * The main queue with a redrive policy to its dead-letter queue, as the Pulumi stack builds them. The URLs returned
 * name `endpoint`, whatever URL a saved state recorded (fauxqs finds a queue by the name in its URL).
 */
export async function ensureQueues(sqs: SQSClient, endpoint: string, settings: QueueSettings) {
  const dlqUrl = await ensureQueue(sqs, settings.dlqName, {
    MaximumMessageSize: String(MAXIMUM_MESSAGE_SIZE),
    // 14 days, the longest SQS allows: a dead letter is worth keeping.
    MessageRetentionPeriod: '1209600',
  });
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const dlqArn = Attributes?.QueueArn;
  if (!dlqArn) throw new Error(`no QueueArn for ${settings.dlqName}`);
  await ensureQueue(sqs, settings.queueName, {
    MaximumMessageSize: String(MAXIMUM_MESSAGE_SIZE),
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: String(settings.maxReceiveCount) }),
  });
  const urlOf = (name: string) => `${endpoint}/${ACCOUNT_ID}/${name}`;
  return { queueUrl: urlOf(settings.queueName), dlqUrl: urlOf(settings.dlqName), dlqArn };
}
