// @ts-check
// A StrykerJS ignorer (https://stryker-mutator.io/docs/stryker-js/configuration/#ignorers): mutants inside a
// statement that only writes a log line (`log.info(...)`, `this.options.logger.warn(...)`) are reported as Ignored.
// Their message text and fields are not behaviour the mutated modules' tests check; the levels that matter (nothing
// at warn or error on a clean stop) are checked end to end by test/e2e/shutdown.test.ts, outside the mutation suite.
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** `log`, `logger`, or anything ending in `.logger` / `.log`. */
function isLogger(node) {
  if (node.type === 'Identifier') return node.name === 'log' || node.name === 'logger';
  if (node.type === 'MemberExpression' && node.property.type === 'Identifier') {
    return node.property.name === 'logger' || node.property.name === 'log';
  }
  return false;
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'log-calls', {
    shouldIgnore(path) {
      const expression = path.isExpressionStatement() ? path.node.expression : undefined;
      const callee = expression?.type === 'CallExpression' ? expression.callee : undefined;
      if (
        callee?.type === 'MemberExpression' &&
        callee.property.type === 'Identifier' &&
        LEVELS.has(callee.property.name) &&
        isLogger(callee.object)
      ) {
        return 'a log line: its text is not behaviour (levels are checked end to end)';
      }
      return undefined;
    },
  }),
];
