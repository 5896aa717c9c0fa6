/**
 * The worker's public entry: the parts an operator command may reuse (the backfill's batch mode prepares images and
 * writes items exactly as the worker does). Import from here, not from the worker's inner paths.
 */
export { CATALOGUE_TOOL_NAME } from './adapters/BedrockDescriber.ts';
export { DynamoCatalogueStore } from './adapters/DynamoCatalogueStore.ts';
export { S3ImageSource } from './adapters/S3ImageSource.ts';
export { S3ThumbnailStore } from './adapters/S3ThumbnailStore.ts';
export { type AwsClients, createClients, destroyClients } from './clients.ts';
export {
  type PreparedResult,
  PrepareOptions,
  prepareImage,
  prepareOptionsFromConfig,
  stopHeicThreads,
  toPixelBox,
} from './image/prepare.ts';
export { type LoadedPrompt, loadPrompt } from './model/prompt.ts';
export type { CatalogueStore, ImageSource, PreparedImage, ThumbnailStore, WriteResult } from './ports.ts';
