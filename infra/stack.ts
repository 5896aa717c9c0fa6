import { ImageCatalogue, type ImageCatalogueOutputs } from './ImageCatalogue.ts';
import { readStackConfig } from './readStackConfig.ts';
import type { StackConfig } from './stackConfigSchema.ts';

/**
 * Builds the stack: reads and validates the config (unless given), creates the {@link ImageCatalogue} component and
 * returns its outputs. `infra/index.ts` exports them; tests and `npm run infra:graph` call this under mocks.
 */
export function createStack(config: StackConfig = readStackConfig()): ImageCatalogueOutputs {
  return new ImageCatalogue('catalogue', config).outputs;
}
