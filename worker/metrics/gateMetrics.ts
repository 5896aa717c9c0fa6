import type { ModelGate } from '../model/ModelGate.ts';
import type { MetricsRegistry } from './MetricsRegistry.ts';

/** Whether model calls are paused, and why: the metric an alarm watches. */
export function registerGateMetrics(registry: MetricsRegistry, gate: ModelGate): void {
  registry.register(
    'catalogue_model_paused',
    'Model calls paused (1) by a configuration fault or a spent daily budget, by reason',
    'gauge',
    () =>
      (['configuration', 'daily-quota'] as const).map((reason) => ({
        labels: { reason },
        value: gate.paused?.kind === reason ? 1 : 0,
      })),
  );
  registry.register('catalogue_model_pauses_total', 'Times model calls were paused', 'counter', () => [
    { value: gate.pauses },
  ]);
}

/** `/health`: unhealthy while paused, with what is wrong and what to do. */
export function healthOf(gate: ModelGate): { healthy: boolean; detail?: Record<string, unknown> } {
  const paused = gate.paused;
  if (!paused) return { healthy: true };
  return {
    healthy: false,
    detail: {
      paused: paused.kind,
      code: paused.code,
      fault: paused.fault,
      message: paused.message,
      since: paused.since.toISOString(),
      probes: paused.probes,
    },
  };
}
