import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Every regular file under `folder` (recursively, hidden files skipped), with its S3 key: the relative path. */
export function listFolder(folder: string): { path: string; key: string; bytes: number }[] {
  const out: { path: string; key: string; bytes: number }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile())
        out.push({ path, key: relative(folder, path).split(sep).join('/'), bytes: statSync(path).size });
    }
  };
  walk(folder);
  return out;
}

const TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  heic: 'image/heic',
  heif: 'image/heif',
  avif: 'image/avif',
  bmp: 'image/bmp',
};

/** A Content-Type for the upload; the worker never trusts it (it reads the real format from the bytes). */
export function contentTypeOf(key: string): string {
  return TYPES[key.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream';
}
