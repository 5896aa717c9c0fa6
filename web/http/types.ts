/** A request as both transports (node:http and Lambda function URLs) present it to the app. */
export interface HttpRequest {
  method: string;
  /** The path as sent, still percent-encoded (an item id may hold an encoded `/`). */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export function jsonResponse(status: number, body: unknown, cacheControl = 'no-store'): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': cacheControl },
    body: JSON.stringify(body),
  };
}
