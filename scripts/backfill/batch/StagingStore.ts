import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { errorName, httpStatusOf, transient } from '../../../shared/awsErrors.ts';

/** The staging bucket: private, encrypted, expiring (infra/batch.ts). Text and JSON in, files up. */
export class StagingStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  uri(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await out.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (httpStatusOf(error) === 404 || errorName(error) === 'NoSuchKey') return undefined;
      throw transient('S3 GetObject (staging)', error, { bucket: this.bucket, key });
    }
  }

  async putText(key: string, body: string, contentType = 'application/json'): Promise<void> {
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (error) {
      throw transient('S3 PutObject (staging)', error, { bucket: this.bucket, key });
    }
  }

  /** Uploads a local file (a JSONL part up to 1 GiB: one PutObject, which takes up to 5 GB). */
  async putFile(key: string, path: string): Promise<void> {
    const { size } = await stat(path);
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: createReadStream(path),
          ContentLength: size,
          ContentType: 'application/jsonl',
        }),
      );
    } catch (error) {
      throw transient('S3 PutObject (staging file)', error, { bucket: this.bucket, key });
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }
}
