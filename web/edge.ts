import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AuthGate, type GateResponse } from './auth/AuthGate.ts';
import { parseAuthConfig } from './auth/config.ts';

/**
 * The deployed browser's sign-in, as a Lambda@Edge viewer-request function on every behaviour of the distribution:
 * it runs before CloudFront looks in its cache or calls an origin, so no page, API answer or image URL is served to
 * a viewer without a valid session. Lambda@Edge has no environment variables: the settings are `auth.json` beside
 * this bundle, written by the Pulumi program. `npm run build:web` bundles this file as web/dist-edge/index.mjs.
 */

/** The fields of a CloudFront viewer-request event this handler reads. */
const HeaderList = z.array(z.object({ key: z.string().optional(), value: z.string() }));
const CloudFrontRequest = z.object({
  method: z.string(),
  uri: z.string(),
  querystring: z.string().default(''),
  headers: z.record(z.string(), HeaderList).default({}),
});
const CloudFrontEvent = z.object({
  Records: z.array(z.object({ cf: z.object({ request: CloudFrontRequest.passthrough() }) })).length(1),
});
export type CloudFrontEvent = z.input<typeof CloudFrontEvent>;
type CloudFrontHeaders = Record<string, Array<{ key?: string; value: string }>>;

/** What the function returns: the request, unchanged, to let it through; or a response CloudFront sends as is. */
export type EdgeResult =
  | z.output<typeof CloudFrontRequest>
  | { status: string; statusDescription?: string; headers: CloudFrontHeaders; body?: string };

/** Makes the handler around a gate; tests pass their own (issuer on loopback, a movable clock). */
export function createEdgeHandler(gate: AuthGate): (event: unknown) => Promise<EdgeResult> {
  return async (rawEvent) => {
    const parsed = CloudFrontEvent.safeParse(rawEvent);
    if (!parsed.success) return toCloudFront({ status: 400, headers: {}, cookies: [], body: 'bad request\n' });
    const request = parsed.data.Records[0]!.cf.request;
    const headers: Record<string, string> = {};
    for (const [name, values] of Object.entries(request.headers)) {
      // CloudFront may split a header over several entries; cookies join with "; ", others with ", ".
      headers[name.toLowerCase()] = values.map((v) => v.value).join(name.toLowerCase() === 'cookie' ? '; ' : ', ');
    }
    const result = await gate.handle({
      method: request.method,
      path: request.uri,
      query: new URLSearchParams(request.querystring),
      headers,
    });
    return result.allow ? request : toCloudFront(result.response);
  };
}

/** A gate response as Lambda@Edge's generated-response shape (header lists keyed by lower-case name). */
function toCloudFront(response: GateResponse): EdgeResult {
  const headers: CloudFrontHeaders = {};
  for (const [name, value] of Object.entries(response.headers)) headers[name.toLowerCase()] = [{ key: name, value }];
  if (response.cookies.length > 0) {
    headers['set-cookie'] = response.cookies.map((value) => ({ key: 'Set-Cookie', value }));
  }
  return { status: String(response.status), headers, body: response.body };
}

let handle: ((event: unknown) => Promise<EdgeResult>) | undefined;

/** The Lambda@Edge entry point (`index.handler`); the gate (and its key cache) lives as long as the container. */
export async function handler(event: unknown): Promise<EdgeResult> {
  if (!handle) {
    const here = dirname(fileURLToPath(import.meta.url));
    const config = parseAuthConfig(JSON.parse(readFileSync(join(here, 'auth.json'), 'utf8')));
    handle = createEdgeHandler(new AuthGate(config));
  }
  return handle(event);
}
