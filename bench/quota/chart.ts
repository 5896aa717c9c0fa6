import sharp from 'sharp';
import type { Strategy } from './ipc.ts';
import { type BenchParams, type FleetKind, strategyLabel } from './plan.ts';
import type { SeriesPoint } from './stats.ts';

/** What the chart needs of a scenario result. */
export interface ChartRun {
  id: string;
  strategy: Strategy;
  fleet: FleetKind;
  minutes: number;
  window: { first: number; last: number };
  series: SeriesPoint[];
  marks: { minute: number; label: string }[];
  utilisation: { value: number };
}

const COLOURS: Record<Strategy, string> = {
  naive: '#d62728',
  adaptive: '#ff7f0e',
  'two-bucket': '#9467bd',
  ours: '#1f77b4',
};

const PANELS: { fleet: FleetKind; title: string }[] = [
  { fleet: '1', title: '1 worker process' },
  { fleet: '4', title: '4 worker processes' },
  { fleet: '1→4→2', title: '1 → 4 → 2 processes' },
  { fleet: '4 + Redis restart', title: '4 processes, Redis restarted' },
];

const W = 1400;
const H = 980;
const FONT = "font-family='DejaVu Sans, Liberation Sans, sans-serif'";

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function panel(runs: readonly ChartRun[], title: string, x0: number, y0: number, pw: number, ph: number) {
  const m = { left: 58, right: 16, top: 34, bottom: 44 };
  const iw = pw - m.left - m.right;
  const ih = ph - m.top - m.bottom;
  const maxMinute = Math.max(1, ...runs.map((r) => r.minutes));
  const yMax = 1.25;
  const sx = (minute: number) => x0 + m.left + (minute / maxMinute) * iw;
  const sy = (v: number) => y0 + m.top + ih - (Math.max(0, Math.min(v, yMax)) / yMax) * ih;
  const text = (x: number, y: number, body: string, attrs = '') =>
    `<text x='${x.toFixed(1)}' y='${y.toFixed(1)}' ${FONT} ${attrs}>${esc(body)}</text>`;
  const line = (x1: number, y1: number, x2: number, y2: number, attrs: string) =>
    `<line x1='${x1.toFixed(1)}' y1='${y1.toFixed(1)}' x2='${x2.toFixed(1)}' y2='${y2.toFixed(1)}' ${attrs}/>`;
  const out: string[] = [text(x0 + m.left, y0 + 22, title, "font-size='17' font-weight='bold'")];
  // The longest run's window (ours runs longer than the baselines).
  const first = [...runs].sort((a, b) => b.minutes - a.minutes)[0];
  if (!first) {
    out.push(
      text(
        x0 + m.left + iw / 2,
        y0 + m.top + ih / 2,
        'not measured in this run',
        "font-size='14' text-anchor='middle' fill='#888'",
      ),
    );
  } else {
    const x1 = sx(first.window.first);
    const x2 = sx(first.window.last + 1);
    out.push(
      `<rect x='${x1.toFixed(1)}' y='${y0 + m.top}' width='${(x2 - x1).toFixed(1)}' height='${ih}' fill='#eef3f9'/>`,
    );
  }
  for (let v = 0; v <= yMax + 1e-9; v += 0.25) {
    out.push(line(x0 + m.left, sy(v), x0 + m.left + iw, sy(v), "stroke='#e2e2e2'"));
    out.push(
      text(x0 + m.left - 6, sy(v) + 4, `${Math.round(v * 100)} %`, "font-size='12' text-anchor='end' fill='#555'"),
    );
  }
  for (let minute = 0; minute <= maxMinute; minute++) {
    out.push(text(sx(minute), y0 + m.top + ih + 18, String(minute), "font-size='12' text-anchor='middle' fill='#555'"));
  }
  out.push(
    text(x0 + m.left + iw / 2, y0 + ph - 6, 'quota minutes since the start', "font-size='12' text-anchor='middle'"),
    line(x0 + m.left, sy(1), x0 + m.left + iw, sy(1), "stroke='#000' stroke-width='1.5' stroke-dasharray='8 4'"),
    text(x0 + m.left + iw - 4, sy(1) - 5, 'quota', "font-size='12' text-anchor='end'"),
    line(x0 + m.left, sy(0.95), x0 + m.left + iw, sy(0.95), "stroke='#2ca02c' stroke-dasharray='2 3'"),
    text(x0 + m.left + iw - 4, sy(0.95) + 14, '95 % target', "font-size='11' text-anchor='end' fill='#2ca02c'"),
  );
  for (const mark of runs.flatMap((r) => r.marks)) {
    out.push(
      line(sx(mark.minute), y0 + m.top, sx(mark.minute), y0 + m.top + ih, "stroke='#777' stroke-dasharray='4 3'"),
      text(sx(mark.minute) + 4, y0 + m.top + 14, mark.label, "font-size='12' fill='#444'"),
    );
  }
  for (const run of runs) {
    if (run.series.length === 0) continue;
    const points = run.series.map((p) => `${sx(p.minute).toFixed(1)},${sy(p.perMinute).toFixed(1)}`).join(' ');
    const width = run.strategy === 'ours' ? 3 : 2;
    out.push(
      `<polyline points='${points}' fill='none' stroke='${COLOURS[run.strategy]}' stroke-width='${width}' ` +
        "stroke-linejoin='round'/>",
    );
  }
  out.push(`<rect x='${x0 + m.left}' y='${y0 + m.top}' width='${iw}' height='${ih}' fill='none' stroke='#999'/>`);
  runs.forEach((run, i) => {
    const ly = y0 + m.top + ih - 10 - (runs.length - 1 - i) * 18;
    const lx = x0 + m.left + 10;
    const label = `${strategyLabel(run.strategy)}: ${(run.utilisation.value * 100).toFixed(1)} %`;
    out.push(
      `<rect x='${lx - 4}' y='${ly - 13}' width='${label.length * 7.3 + 40}' height='17' fill='#fff' fill-opacity='0.85'/>`,
      line(lx, ly - 4, lx + 22, ly - 4, `stroke='${COLOURS[run.strategy]}' stroke-width='3'`),
      text(lx + 28, ly, label, "font-size='12'"),
    );
  });
  return out.join('\n');
}

/**
 * The chart as SVG: one panel per fleet shape; per strategy, the share of the binding quota its catalogued images used
 * over a rolling quota minute, against the quota and the 95 % target.
 */
export function chartSvg(runs: readonly ChartRun[], params: Pick<BenchParams, 'minuteMs'>): string {
  const pw = W / 2;
  const ph = (H - 60) / 2;
  const parts = PANELS.map((p, i) =>
    panel(
      runs.filter((r) => r.fleet === p.fleet),
      p.title,
      (i % 2) * pw,
      60 + Math.floor(i / 2) * ph,
      pw,
      ph,
    ),
  );
  const title = `Share of the binding quota used over a rolling quota minute (${params.minuteMs / 1000} s)`;
  const note = 'shaded: steady-state window; legend: utilisation of the binding quota in it (Bedrock stand-in counts)';
  return `<svg xmlns='http://www.w3.org/2000/svg' width='${W}' height='${H}' viewBox='0 0 ${W} ${H}'>
<rect width='${W}' height='${H}' fill='#fff'/>
<text x='20' y='28' ${FONT} font-size='19' font-weight='bold'>${esc(title)}</text>
<text x='20' y='50' ${FONT} font-size='13' fill='#444'>${esc(note)}</text>
${parts.join('\n')}
</svg>`;
}

/** SVG and its PNG rendering (sharp / librsvg). */
export async function renderChart(
  runs: readonly ChartRun[],
  params: Pick<BenchParams, 'minuteMs'>,
): Promise<{ svg: string; png: Buffer }> {
  const svg = chartSvg(runs, params);
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  return { svg, png };
}
