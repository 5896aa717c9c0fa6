/**
 * The rooms of the tree and what each may import (docs/architecture.md explains them). `npm run check:deps` runs
 * these rules; any violation fails the check.
 *
 * Product: worker/, web/, infra/, shared/, scripts/ (the operator commands). Tooling: local/ (stand-ins and the
 * demo), bench/ (benchmarks), tools/ (doc generators and checks), test/. Tooling may import product; never the
 * other way round.
 */
const { join } = require('node:path');

const PRODUCT = '^(worker|web|infra|shared|scripts)/';
const TOOLING = '^(local|bench|tools|test)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'product-not-to-tooling',
      comment: 'Product code never imports the local stand-ins, the benchmarks, the tools or the tests.',
      severity: 'error',
      from: { path: PRODUCT },
      to: { path: TOOLING },
    },
    {
      name: 'tooling-not-to-tests',
      comment:
        'The stand-ins, benchmarks and tools do not import the tests; what they share with tests (image generators, ' +
        'catalogue items, stand-in helpers) lives in local/.',
      severity: 'error',
      from: { path: '^(local|bench|tools)/' },
      to: { path: '^test/' },
    },
    {
      name: 'shared-is-a-leaf',
      comment: 'shared/ holds what several rooms use, so it imports none of them.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(worker|web|infra|scripts|local|bench|tools|test)/' },
    },
    {
      name: 'commands-apart',
      comment:
        'An operator command (scripts/X.ts with its folder scripts/X/) never imports another command; what two ' +
        'commands share lives in shared/.',
      severity: 'error',
      from: { path: '^scripts/([^/.]+)' },
      to: { path: '^scripts/', pathNot: ['^scripts/$1[.]ts$', '^scripts/$1/'] },
    },
    {
      name: 'scripts-use-worker-entry',
      comment: "A command uses the worker's parts only through its public entry, worker/index.ts.",
      severity: 'error',
      from: { path: '^scripts/' },
      to: { path: '^worker/', pathNot: '^worker/index[.]ts$' },
    },
    {
      name: 'web-not-to-worker',
      comment: 'The browser and the worker are separate deployables; what both need lives in shared/.',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^worker/' },
    },
    {
      name: 'worker-not-to-web',
      comment: 'The browser and the worker are separate deployables; what both need lives in shared/.',
      severity: 'error',
      from: { path: '^worker/' },
      to: { path: '^web/' },
    },
    {
      name: 'infra-not-to-runtime',
      comment: 'The Pulumi program describes resources; it shares contracts with the runtime through shared/ only.',
      severity: 'error',
      from: { path: '^infra/' },
      to: { path: '^(worker|web|scripts)/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes the load order matter and the parts impossible to read (or test) one at a time.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // The fixture trees hold deliberate violations for the test of these rules.
    exclude: { path: '^(node_modules|web/public|\\.local|test/fixtures/layout)/' },
    tsPreCompilationDeps: true,
    // By absolute path, so the layout checks' test can run these rules on its fixture trees (test/fixtures/layout/).
    tsConfig: { fileName: join(__dirname, 'tsconfig.json') },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
