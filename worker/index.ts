/**
 * The worker's public entry for the operator commands in scripts/: what they may use of the worker, so that no
 * command reaches into the worker's internals.
 */
export { discoverDeadLetterQueue } from './adapters/SqsDeadLetterSink.ts';
export { type AwsClients, createClients, destroyClients } from './clients.ts';
export { loadPrompt } from './model/prompt.ts';
