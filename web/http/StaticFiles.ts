import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { HttpRequest, HttpResponse } from './types.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

interface Entry {
  file: string;
  type: string;
  body?: Buffer;
  etag?: string;
  mtimeMs?: number;
}

/**
 * The page's files. The folder is listed once, at start-up, and only those URL paths are ever served: a request
 * path is a key into that list, never joined onto a file-system path, so `..`, encoded slashes or symlink tricks
 * cannot reach anything else. Files are re-read when they change on disk (editing the page needs no restart) and
 * revalidated by ETag (`no-cache`: no build step gives the names content hashes, so nothing may be cached blind).
 */
export class StaticFiles {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly root: string) {
    for (const file of walk(root)) {
      const type = TYPES[extname(file).toLowerCase()];
      if (!type) continue;
      const url = `/${relative(root, file).split(sep).join('/')}`;
      this.entries.set(url, { file, type });
    }
  }

  /** URL paths served, for tests and logs. */
  paths(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** The response for a GET/HEAD of `request.path`, or undefined when no such file exists. */
  serve(request: HttpRequest): HttpResponse | undefined {
    let path: string;
    try {
      path = decodeURIComponent(request.path);
    } catch {
      return undefined;
    }
    if (path === '/' || path === '') path = '/index.html';
    const entry = this.entries.get(path);
    if (!entry) return undefined;
    const stat = statSync(entry.file, { throwIfNoEntry: false });
    if (!stat) return undefined;
    if (entry.mtimeMs !== stat.mtimeMs || !entry.body) {
      entry.body = readFileSync(entry.file);
      entry.etag = `"${createHash('sha256').update(entry.body).digest('base64url').slice(0, 22)}"`;
      entry.mtimeMs = stat.mtimeMs;
    }
    const headers: Record<string, string> = {
      'content-type': entry.type,
      'cache-control': 'no-cache',
      etag: entry.etag!,
    };
    if (request.headers['if-none-match'] === entry.etag) return { status: 304, headers, body: '' };
    return { status: 200, headers, body: entry.body };
  }
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Dot-files (editor swap files, .DS_Store) are never part of the page.
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}
