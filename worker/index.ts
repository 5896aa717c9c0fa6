/**
 * The worker's public entry: the parts the operator commands in scripts/ may use (the `analyze` command describes
 * one image exactly as the worker would; the backfill builds the worker's SDK clients and analysis version). The
 * dependency rules (.dependency-cruiser.cjs, `scripts-use-worker-entry`) let scripts/ import the worker only through
 * this file, so what is exported here is the worker's API to them and everything else may change freely.
 */
export { BedrockDescriber, translateBedrockError } from './adapters/BedrockDescriber.ts';
export { S3ImageSource } from './adapters/S3ImageSource.ts';
export { type AwsClients, createClients, destroyClients } from './clients.ts';
export { prepareImage } from './image/prepare.ts';
export { prepareOptionsFromConfig } from './image/prepareOptions.ts';
export { loadPrompt } from './model/prompt.ts';
export { RetryingDescriber } from './model/RetryingDescriber.ts';
export { checkModelAtStartup } from './model/startupCheck.ts';
