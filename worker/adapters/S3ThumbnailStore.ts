import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { transient } from '../../shared/awsErrors.ts';
import type { ThumbnailStore } from '../ports.ts';

/** Thumbnails in a private bucket beside the catalogue (never the image bucket: that would fire new events). */
export class S3ThumbnailStore implements ThumbnailStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          CacheControl: 'private, max-age=31536000, immutable',
        }),
      );
    } catch (error) {
      throw transient('S3 PutObject (thumbnail)', error, { bucket: this.bucket, key });
    }
  }

  async delete(key: string): Promise<void> {
    try {
      // S3 answers 204 whether or not the key exists.
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      throw transient('S3 DeleteObject (thumbnail)', error, { bucket: this.bucket, key });
    }
  }
}
