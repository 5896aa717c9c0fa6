import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeObject, parseS3Uri } from '../../../scripts/analyze/analyzeObject.ts';
import { ImageDescription } from '../../../shared/catalogue.ts';
import { createClients, destroyClients } from '../../../worker/clients.ts';
import { fixture, type System, startSystem } from '../../helpers/system.ts';

describe('npm run analyze', () => {
  let system: System;
  let clients: ReturnType<typeof createClients>;
  beforeAll(async () => {
    system = await startSystem({ bridge: false });
    clients = createClients(system.config());
    await system.put('one photo.jpg', fixture('rocket.jpg'));
  });
  afterAll(async () => {
    if (clients) destroyClients(clients);
    await system?.close();
  });

  it('parses s3:// URIs and refuses others', () => {
    expect(parseS3Uri('s3://b/a/b c.jpg')).toEqual({ bucket: 'b', key: 'a/b c.jpg' });
    expect(() => parseS3Uri('https://b/k')).toThrow(/not an S3 URI/);
  });

  it('prints the catalogue entry with the default prompt', async () => {
    const r = await analyzeObject(`s3://${system.stack.bucket}/one photo.jpg`, { config: system.config(), clients });
    expect(r.kind).toBe('catalogue');
    if (r.kind === 'catalogue') expect(ImageDescription.parse(r.description).summary.length).toBeGreaterThan(10);
  });

  it('answers a prompt of your own with the model text', async () => {
    const r = await analyzeObject(`s3://${system.stack.bucket}/one photo.jpg`, {
      config: system.config(),
      clients,
      prompt: 'Is there a rocket?',
    });
    expect(r.kind).toBe('text');
    expect(r.usage.inputTokens).toBeGreaterThan(0);
  });

  it('says clearly when the object does not exist', async () => {
    await expect(
      analyzeObject(`s3://${system.stack.bucket}/nope.jpg`, { config: system.config(), clients }),
    ).rejects.toThrow(/no such object/);
  });
});
