import type { buildApp } from 'fauxqs';

/**
 * GetObject's response overrides (`response-content-type`, `response-content-disposition` and the other four, set
 * by `ResponseContentType`/`ResponseContentDisposition` in a presigned URL), applied as S3 applies them: the header
 * sent replaces the stored one. fauxqs ignores them; without this the browser's image URLs would be served with the
 * stored type locally and with the signed one on AWS, and a test could not tell which the API asked for.
 */
const OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-disposition': 'content-disposition',
  'response-content-language': 'content-language',
  'response-content-encoding': 'content-encoding',
  'response-cache-control': 'cache-control',
  'response-expires': 'expires',
};

type FauxqsApp = ReturnType<typeof buildApp>;

export function installResponseOverrides(app: FauxqsApp): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.method === 'GET' && reply.statusCode < 300) {
      const query = (request.query ?? {}) as Record<string, unknown>;
      for (const [parameter, headerName] of Object.entries(OVERRIDES)) {
        const value = query[parameter];
        if (typeof value === 'string') reply.header(headerName, value);
      }
    }
    done(null, payload);
  });
}
