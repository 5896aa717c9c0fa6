import type { AddressInfo } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config.ts';
import { ConfigError } from '../../../shared/errors.ts';
import { MetricsRegistry } from '../../../worker/metrics/MetricsRegistry.ts';
import { resolveMetricsHost, startMetricsServer } from '../../../worker/metrics/metricsServer.ts';

const BASE = { QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/q', TABLE_NAME: 'catalogue' };
const nic = (address: string, internal = false) => ({ address, family: 'IPv4', internal }) as NetworkInterfaceInfo;

describe('metrics endpoint address', () => {
  it('listens on loopback by default, never on every interface', async () => {
    expect(loadConfig(BASE).metricsHost).toBe('127.0.0.1');
    for (const everywhere of ['0.0.0.0', '::']) {
      expect(() => loadConfig({ ...BASE, METRICS_HOST: everywhere })).toThrow(ConfigError);
    }
    const server = await startMetricsServer(new MetricsRegistry(), 0);
    try {
      expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      server.close();
    }
  });

  it('resolves `private` to the task’s private IPv4 address, not a public one', () => {
    const task = { lo: [nic('127.0.0.1', true)], eth0: [nic('54.1.2.3'), nic('10.42.1.17')] };
    expect(resolveMetricsHost('private', task)).toBe('10.42.1.17');
    expect(resolveMetricsHost('private', { eth0: [nic('172.20.0.5')] })).toBe('172.20.0.5');
    expect(() => resolveMetricsHost('private', { eth0: [nic('54.1.2.3')], lo: [nic('127.0.0.1', true)] })).toThrow(
      /no private IPv4/,
    );
    expect(resolveMetricsHost('10.0.0.9', {})).toBe('10.0.0.9');
  });
});
