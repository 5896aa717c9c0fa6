import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export interface UrlSignerOptions {
  /** Lifetime of a URL, s. Default 3600. */
  ttlSeconds?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/**
 * Presigned GET URLs for private objects (thumbnails, full images): the browser fetches them straight from S3, no
 * bucket is public, and the API never proxies image bytes.
 *
 * URLs are signed as of the start of a time window (a quarter of the lifetime, at most 15 minutes), so the same
 * object gets the same URL for the whole window: the browser's cache keeps working across pages and reloads, and
 * each URL still stays valid for at least three quarters of its lifetime after it was handed out.
 */
export class UrlSigner {
  private readonly ttlSeconds: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, string>();
  private cacheWindow = -1;

  constructor(
    private readonly s3: S3Client,
    options: UrlSignerOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 3600;
    this.windowMs = Math.min(this.ttlSeconds * 250, 15 * 60_000);
    this.now = options.now ?? Date.now;
  }

  /** A URL that GETs `bucket/key` until at least three quarters of the lifetime from now. */
  async url(bucket: string, key: string): Promise<string> {
    const window = Math.floor(this.now() / this.windowMs);
    if (window !== this.cacheWindow) {
      this.cache.clear();
      this.cacheWindow = window;
    }
    const id = `${bucket}\0${key}`;
    const cached = this.cache.get(id);
    if (cached) return cached;
    const url = await getSignedUrl(this.s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: this.ttlSeconds,
      signingDate: new Date(window * this.windowMs),
    });
    // Bounded: a window's worth of browsing, never the whole catalogue.
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(id, url);
    return url;
  }
}
