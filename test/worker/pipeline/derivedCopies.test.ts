import { describe, expect, it } from 'vitest';
import { storeDerivedCopies } from '../../../worker/pipeline/derivedCopies.ts';
import type { ThumbnailStore } from '../../../worker/ports.ts';

class MemoryStore implements ThumbnailStore {
  readonly puts = new Map<string, { body: Buffer; contentType: string }>();
  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    this.puts.set(key, { body, contentType });
  }
  async delete(key: string): Promise<void> {
    this.puts.delete(key);
  }
}

const copies = {
  thumbnail: { body: Buffer.from('thumb'), width: 320, height: 213 },
  display: { body: Buffer.from('display'), format: 'jpeg' as const, width: 1568, height: 1045 },
};

describe('storeDerivedCopies', () => {
  it('stores the thumbnail and the display copy under content-addressed keys with their image types', async () => {
    const store = new MemoryStore();
    const keys = await storeDerivedCopies('abc123', copies, store);
    expect(keys).toEqual({ thumbnailKey: 'thumbnails/abc123.webp', displayKey: 'display/abc123.jpg' });
    expect(store.puts.get('display/abc123.jpg')).toEqual({ body: copies.display.body, contentType: 'image/jpeg' });
    expect(store.puts.get('thumbnails/abc123.webp')?.contentType).toBe('image/webp');
  });

  it('names a WebP display copy as WebP', async () => {
    const store = new MemoryStore();
    const keys = await storeDerivedCopies('h', { display: { ...copies.display, format: 'webp' } }, store);
    expect(keys.displayKey).toBe('display/h.webp');
    expect(store.puts.get('display/h.webp')?.contentType).toBe('image/webp');
  });

  it("reuses a twin's copies and makes only the one it lacks", async () => {
    const store = new MemoryStore();
    const keys = await storeDerivedCopies('h', copies, store, { thumbnailKey: 'thumbnails/h.webp' });
    expect(keys).toEqual({ thumbnailKey: 'thumbnails/h.webp', displayKey: 'display/h.jpg' });
    expect([...store.puts.keys()]).toEqual(['display/h.jpg']);
  });

  it('keeps nothing without a store', async () => {
    expect(await storeDerivedCopies('h', copies, undefined)).toEqual({});
  });
});
