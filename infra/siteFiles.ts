import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** One file of the static page: its S3 key (POSIX path relative to the folder), path on disk and content type. */
interface SiteFile {
  key: string;
  path: string;
  contentType: string;
}

/** Lists the files under `dir`, sorted by key; none when the folder does not exist (yet). */
function listSiteFiles(dir: string): SiteFile[] {
  if (!existsSync(dir)) return [];
  const files: SiteFile[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder)) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const key = relative(dir, path).split(sep).join('/');
        files.push({
          key,
          path,
          contentType: CONTENT_TYPES[extname(entry).toLowerCase()] ?? 'application/octet-stream',
        });
      }
    }
  };
  walk(dir);
  return files.sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Uploads the static page to its bucket, one object per file, so `pulumi up` deploys a page change. HTML is
 * revalidated on every load; other files may be cached for an hour.
 */
export function siteObjects(
  name: string,
  args: { bucket: aws.s3.Bucket; dir: string },
  opts: pulumi.CustomResourceOptions,
): aws.s3.BucketObjectv2[] {
  const files = listSiteFiles(args.dir);
  if (files.length === 0) {
    pulumi.log.warn(`no files in ${args.dir}: the catalogue page will be empty (run the web build first)`);
  }
  return files.map(
    (file) =>
      new aws.s3.BucketObjectv2(
        `${name}-${file.key}`,
        {
          bucket: args.bucket.id,
          key: file.key,
          source: new pulumi.asset.FileAsset(file.path),
          contentType: file.contentType,
          cacheControl: file.contentType.startsWith('text/html') ? 'no-cache' : 'public, max-age=3600',
        },
        opts,
      ),
  );
}
