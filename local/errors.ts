import { CatalogueError } from '../shared/errors.ts';

/** Which stand-in a port belongs to, and the command-line option of `npm start` that chooses it. */
export const STAND_IN_PORTS = {
  s3sqs: { service: 'S3/SQS stand-in', option: '--port-s3sqs' },
  dynamodb: { service: 'DynamoDB stand-in', option: '--port-dynamodb' },
  bedrock: { service: 'Bedrock stand-in', option: '--port-bedrock' },
} as const;

export type StandInPort = keyof typeof STAND_IN_PORTS;

/** The local stack could not start or stop. Not retryable: the cause (a taken port, a bad data folder) needs a human. */
export class LocalStackError extends CatalogueError {
  readonly code: string = 'LOCAL_STACK';
  readonly retryable = false;
}

/** A configured port is taken by another process. */
export class PortInUseError extends LocalStackError {
  override readonly code = 'PORT_IN_USE';

  constructor(
    readonly port: number,
    readonly which: StandInPort,
    options: { cause?: unknown } = {},
  ) {
    const { service, option } = STAND_IN_PORTS[which];
    super(`port ${port} is already in use (${service}); choose another with ${option} or free it`, {
      cause: options.cause,
      context: { port, service, option },
    });
  }
}
