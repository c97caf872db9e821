// A Stryker ignorer (stryker.config.mjs): the message argument of an assertion (`assert(cond,
// message)`, `assertWire(cond, message)`, Plumtree's `check(cond, message)`) is not mutated. It
// is text for a programmer reading a crash; no behaviour depends on it, so its mutants ("" for
// the text, a dropped template) could only survive as noise. The condition is still mutated.
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

const ASSERTIONS = new Set(['assert', 'assertWire', 'check']);

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'assert-messages', {
    shouldIgnore(path) {
      if (path.listKey !== 'arguments' || typeof path.key !== 'number' || path.key < 1) return undefined;
      const call = path.parent;
      if (call?.type !== 'CallExpression' || call.callee.type !== 'Identifier' || !ASSERTIONS.has(call.callee.name)) return undefined;
      return 'assertion message: text for a crash report, not behaviour';
    },
  }),
];
