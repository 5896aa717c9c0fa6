import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { QueueWorker } from '../consumer/QueueWorker.ts';
import { OUTCOME_KINDS } from '../pipeline/outcome.ts';
import { type MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from './MetricsRegistry.ts';

/** The worker's own metrics: outcomes, tokens, in-flight messages, poison messages. Read at scrape time. */
export function registerWorkerMetrics(registry: MetricsRegistry, worker: QueueWorker): void {
  const s = worker.stats;
  registry.register('catalogue_records_total', 'Records handled, by outcome', 'counter', () =>
    OUTCOME_KINDS.map((outcome) => ({ labels: { outcome }, value: s.outcomes[outcome] })),
  );
  registry.register('catalogue_messages_total', 'Queue messages handled', 'counter', () => [{ value: s.messages }]);
  registry.register('catalogue_poison_messages_total', 'Messages moved to the DLQ as poison', 'counter', () => [
    { value: s.poison },
  ]);
  registry.register(
    'catalogue_model_tokens_total',
    'Model tokens reported by the model, by direction',
    'counter',
    () => [
      { labels: { direction: 'input' }, value: s.inputTokens },
      { labels: { direction: 'output' }, value: s.outputTokens },
    ],
  );
  registry.register('catalogue_messages_in_flight', 'Messages being handled now', 'gauge', () => [
    { value: s.inFlight },
  ]);
}

/** What `/health` reports: healthy, or why not (a paused model: configuration fault or daily budget). */
export type HealthCheck = () => { healthy: boolean; detail?: Record<string, unknown> };

const PRIVATE_V4 = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/;

/**
 * The address to listen on: `private` is the first private (RFC 1918) IPv4 address of this host, the one a Fargate
 * task's scraper in the VPC reaches; anything else is taken as given.
 * @throws Error when `private` is asked and the host has no private IPv4 address
 */
export function resolveMetricsHost(host: string, interfaces = networkInterfaces()): string {
  if (host !== 'private') return host;
  for (const list of Object.values(interfaces)) {
    const found = list?.find((i) => i.family === 'IPv4' && !i.internal && PRIVATE_V4.test(i.address));
    if (found) return found.address;
  }
  throw new Error('METRICS_HOST=private: this host has no private IPv4 address');
}

/**
 * `GET /metrics` in the Prometheus text format, `GET /healthz` for liveness (the process runs), `GET /health` for
 * readiness: 503 with the reason while the model is paused.
 * @param host one interface (default loopback; see {@link resolveMetricsHost}), never every interface
 */
export async function startMetricsServer(
  registry: MetricsRegistry,
  port: number,
  host = '127.0.0.1',
  health?: HealthCheck,
): Promise<Server & { url: string }> {
  const address = resolveMetricsHost(host);
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      const h = health?.() ?? { healthy: true };
      res
        .writeHead(h.healthy ? 200 : 503, { 'content-type': 'application/json' })
        .end(`${JSON.stringify({ status: h.healthy ? 'ok' : 'unhealthy', ...h.detail })}\n`);
    } else if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(registry.render());
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, resolve);
  });
  const bound = server.address() as AddressInfo;
  const shown = address.includes(':') ? `[${address}]` : address;
  return Object.assign(server, { url: `http://${shown}:${bound.port}` });
}
