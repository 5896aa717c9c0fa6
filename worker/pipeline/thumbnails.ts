import type { CatalogueItem } from '../../shared/catalogue.ts';
import type { PipelineDeps } from './deps.ts';

/**
 * Deletes the thumbnail of an item just tombstoned, unless other items show the same bytes: thumbnails are named by
 * content hash and shared by identical images. Best effort: a thumbnail left behind is only storage, and the removal
 * itself is already recorded.
 */
export async function dropThumbnail(removed: CatalogueItem | undefined, deps: PipelineDeps): Promise<boolean> {
  if (!removed?.thumbnailKey || !removed.contentHash || !deps.thumbnails) return false;
  try {
    if (await deps.store.contentInUse(removed.contentHash, removed.id)) return false;
    await deps.thumbnails.delete(removed.thumbnailKey);
    return true;
  } catch {
    return false;
  }
}
