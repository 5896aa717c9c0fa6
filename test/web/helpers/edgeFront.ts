import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFrontEvent, EdgeResult } from '../../../web/edge.ts';
import type { WebApp } from '../../../web/http/app.ts';

/**
 * CloudFront's part, played on loopback: every viewer request becomes a Lambda@Edge viewer-request event for the
 * edge handler; a response it generates goes back as is (status, header lists, one Set-Cookie header per entry),
 * and a request it lets through goes on to the origin, here the browser app. Nothing is cached, so every request
 * meets the edge function, as on the distribution.
 */
export async function startEdgeFront(
  edge: (event: unknown) => Promise<EdgeResult>,
  origin: WebApp,
  port = 0,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(req)
      .then(({ status, headers, body }) => {
        res.writeHead(status, headers);
        res.end(req.method === 'HEAD' ? undefined : body);
      })
      .catch((error: unknown) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`edge failed: ${String(error)}\n`);
      });
  });

  async function handle(req: IncomingMessage) {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const uri = q === -1 ? raw : raw.slice(0, q);
    const querystring = q === -1 ? '' : raw.slice(q + 1);
    const cfHeaders: Record<string, Array<{ key: string; value: string }>> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const key = req.rawHeaders[i]!;
      const list = cfHeaders[key.toLowerCase()] ?? [];
      list.push({ key, value: req.rawHeaders[i + 1]! });
      cfHeaders[key.toLowerCase()] = list;
    }
    const event: CloudFrontEvent = {
      Records: [
        {
          cf: {
            request: { method: req.method ?? 'GET', uri, querystring, headers: cfHeaders, clientIp: '127.0.0.1' },
          },
        },
      ],
    };
    const result = await edge(event);
    if ('status' in result) {
      const headers: Record<string, string | string[]> = {};
      for (const [name, values] of Object.entries(result.headers)) {
        headers[name] = values.length === 1 ? values[0]!.value : values.map((v) => v.value);
      }
      return { status: Number(result.status), headers, body: result.body ?? '' };
    }
    const lower: Record<string, string> = {};
    for (const [name, values] of Object.entries(result.headers)) lower[name] = values.map((v) => v.value).join(', ');
    const response = await origin.handle({
      method: result.method,
      path: result.uri,
      query: new URLSearchParams(result.querystring),
      headers: lower,
    });
    return { status: response.status, headers: response.headers, body: response.body };
  }

  const actual = await new Promise<number>((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  return {
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
