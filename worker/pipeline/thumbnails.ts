import type { CatalogueItem } from '../../shared/catalogue.ts';
import type { PipelineDeps } from './deps.ts';

/**
 * Deletes the derived copies (thumbnail and display copy) of an item just tombstoned, unless other items show the
 * same bytes: both are named by content hash and shared by identical images. Best effort: a copy left behind is only
 * storage (never served: no item points at it), and the removal itself is already recorded.
 */
export async function dropThumbnail(removed: CatalogueItem | undefined, deps: PipelineDeps): Promise<boolean> {
  const keys = [removed?.thumbnailKey, removed?.displayKey].filter((k): k is string => Boolean(k));
  if (keys.length === 0 || !removed?.contentHash || !deps.thumbnails) return false;
  const store = deps.thumbnails;
  try {
    if (await deps.store.contentInUse(removed.contentHash, removed.id)) return false;
    await Promise.all(keys.map((key) => store.delete(key)));
    return true;
  } catch {
    return false;
  }
}
