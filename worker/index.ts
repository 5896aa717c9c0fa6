/**
 * The worker's public entry: the parts the operator commands in scripts/ may use (the `analyze` command describes
 * one image exactly as the worker would; the backfill builds the worker's SDK clients and analysis version, and its
 * batch mode prepares images and writes items exactly as the worker does). The dependency rules
 * (.dependency-cruiser.cjs, `scripts-use-worker-entry`) let scripts/ import the worker only through this file, so
 * what is exported here is the worker's API to them and everything else may change freely.
 */
export { BedrockDescriber, translateBedrockError } from './adapters/BedrockDescriber.ts';
export { DynamoCatalogueStore } from './adapters/DynamoCatalogueStore.ts';
export { S3ImageSource } from './adapters/S3ImageSource.ts';
export { S3ThumbnailStore } from './adapters/S3ThumbnailStore.ts';
export { discoverDeadLetterQueue } from './adapters/SqsDeadLetterSink.ts';
export { type AwsClients, createClients, destroyClients } from './clients.ts';
export { type PreparedResult, prepareImage, toPixelBox } from './image/prepare.ts';
export { prepareOptionsFromConfig } from './image/prepareOptions.ts';
export { type LoadedPrompt, loadPrompt } from './model/prompt.ts';
export { RetryingDescriber } from './model/RetryingDescriber.ts';
export { checkModelAtStartup } from './model/startupCheck.ts';
export { imageFacts } from './pipeline/catalogueObject.ts';
export type { CatalogueStore, ImageSource, PreparedImage, ThumbnailStore } from './ports.ts';
