import type { FleetKind } from './plan.ts';
import type { ScenarioResult } from './runScenario.ts';

/** The floors for our limiter, at every fleet shape. */
const TARGETS = { utilisation: 0.95, throttled: 0.01, lost: 0, dlq: 0 } as const;

/** Fleet shapes where ours must meet every target. */
const REQUIRED_FLEETS: readonly FleetKind[] = ['1', '4', '1→4→2', '4 + Redis restart'];

interface TargetCheck {
  id: string;
  fleet: FleetKind;
  utilisation: number;
  throttled: number;
  lost: number;
  dlq: number;
  met: boolean;
  missed: string[];
}

export interface TargetReport {
  lines: string[];
  summary: { met: boolean; measured: number; required: number; checks: TargetCheck[]; warnings: string[] };
}

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;

/** One line per required fleet (PASS, FAIL or NOT MEASURED), then warnings about the machine or the feeder. */
export function checkTargets(results: readonly ScenarioResult[]): TargetReport {
  const lines: string[] = [];
  const checks: TargetCheck[] = [];
  for (const fleet of REQUIRED_FLEETS) {
    const r = results.find((x) => x.strategy === 'ours' && x.fleet === fleet);
    if (!r) {
      lines.push(`NOT MEASURED ours at fleet "${fleet}"`);
      continue;
    }
    const missed: string[] = [];
    if (!(r.utilisation.value >= TARGETS.utilisation)) {
      missed.push(`utilisation ${pct(r.utilisation.value)} < ${pct(TARGETS.utilisation, 0)}`);
    }
    if (!(r.throttledFraction <= TARGETS.throttled)) {
      missed.push(`throttled ${pct(r.throttledFraction, 2)} > ${pct(TARGETS.throttled, 0)}`);
    }
    if (r.lost > TARGETS.lost) missed.push(`${r.lost} lost`);
    if (r.dlq > TARGETS.dlq) missed.push(`${r.dlq} in the DLQ`);
    const met = missed.length === 0;
    checks.push({
      id: r.id,
      fleet,
      utilisation: r.utilisation.value,
      throttled: r.throttledFraction,
      lost: r.lost,
      dlq: r.dlq,
      met,
      missed,
    });
    const figures =
      `utilisation ${pct(r.utilisation.value)} of ${r.utilisation.binding} (>= ${pct(TARGETS.utilisation, 0)}), ` +
      `throttled ${pct(r.throttledFraction, 2)} (<= ${pct(TARGETS.throttled, 0)}), lost ${r.lost}, DLQ ${r.dlq}`;
    lines.push(met ? `PASS ${r.id}: ${figures}` : `FAIL ${r.id}: ${missed.join('; ')} [${figures}]`);
  }
  const warnings: string[] = [];
  for (const r of results) {
    if (r.cpu.saturatedFraction > 0.1) {
      warnings.push(
        `WARN ${r.id}: the machine was >= 95 % busy ${pct(r.cpu.saturatedFraction, 0)} of the time ` +
          `(mean ${pct(r.cpu.systemMean, 0)}, ours ${pct(r.cpu.ownMean, 0)}): its figures are unreliable`,
      );
    }
    if (r.starved) warnings.push(`WARN ${r.id}: the feeder ran out of objects; the fleet may have starved`);
    if (r.cataloguedInTable !== r.catalogued) {
      warnings.push(`WARN ${r.id}: ${r.catalogued} catalogued outcomes but ${r.cataloguedInTable} items in the table`);
    }
  }
  lines.push(...warnings);
  const met = checks.length === REQUIRED_FLEETS.length && checks.every((c) => c.met);
  lines.push(
    met
      ? 'TARGETS MET: ours held every target at every fleet shape'
      : `TARGETS NOT MET: ${checks.filter((c) => c.met).length} of ${REQUIRED_FLEETS.length} fleet shapes passed`,
  );
  return { lines, summary: { met, measured: checks.length, required: REQUIRED_FLEETS.length, checks, warnings } };
}
