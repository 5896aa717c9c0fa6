/**
 * Prints StrykerJS's result as Markdown: the score per file and every mutant that survived or no test covered.
 * Reads the incremental report, which Stryker also saves when a run is interrupted, so a partial run can be read too.
 * Given several reports, a later one's files replace an earlier one's (a run with `--mutate` over a few files, on top
 * of a full run: tests added since can only kill more mutants elsewhere, so the sum is a lower bound).
 *
 *   npx tsx tools/mutation-summary.ts [reports/mutation/stryker-incremental.json ...]
 */
import { readFileSync } from 'node:fs';

interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

function main(argv: string[]): number {
  if (argv.includes('--help')) {
    console.log('usage: tsx tools/mutation-summary.ts [stryker-incremental.json or mutation.json ...]');
    return 0;
  }
  const report: Report = { files: {} };
  for (const file of argv.length ? argv : ['reports/mutation/stryker-incremental.json']) {
    try {
      Object.assign(report.files, (JSON.parse(readFileSync(file, 'utf8')) as Report).files);
    } catch (error) {
      console.error(`cannot read ${file}: ${(error as Error).message}`);
      return 2;
    }
  }
  let timedOut = 0;
  let ignored = 0;
  let detected = 0;
  let undetected = 0;
  const rows: string[] = [];
  const survivors: string[] = [];
  for (const [path, { source, mutants }] of Object.entries(report.files).sort()) {
    const tested = mutants.filter((m) => DETECTED.has(m.status) || UNDETECTED.has(m.status));
    const d = tested.filter((m) => DETECTED.has(m.status)).length;
    timedOut += tested.filter((m) => m.status === 'Timeout').length;
    ignored += mutants.filter((m) => m.status === 'Ignored').length;
    detected += d;
    undetected += tested.length - d;
    const pending = mutants.length - tested.length;
    const score = tested.length ? `${((100 * d) / tested.length).toFixed(1)} %` : '-';
    rows.push(
      `| ${path} | ${mutants.length} | ${tested.length} | ${d} | ${tested.length - d} | ${pending} | ${score} |`,
    );
    const lines = source.split('\n');
    for (const m of tested.filter((x) => UNDETECTED.has(x.status))) {
      const line = m.location.start.line;
      const code = (lines[line - 1] ?? '').trim().slice(0, 70).replaceAll('|', '\\|').replaceAll('`', "'");
      survivors.push(`| ${path}:${line} | ${m.status} | ${m.mutatorName} | \`${code}\` |`);
    }
  }
  const total = detected + undetected;
  console.log(`Mutation score over the mutants tested: ${((100 * detected) / Math.max(1, total)).toFixed(1)} %`);
  console.log(`(${detected} detected of ${total} tested; ${ignored} ignored)`);
  console.log(
    `Of the detected, ${timedOut} by a timeout; counting those as undetected: ${((100 * (detected - timedOut)) / Math.max(1, total)).toFixed(1)} %\n`,
  );
  console.log('| file | mutants | tested | detected | undetected | ignored or not run | score |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
  console.log('\n| where | status | mutator | code |');
  console.log('| --- | --- | --- | --- |');
  for (const s of survivors) console.log(s);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
