// @ts-check
// write-budget: a session may run at most `max_writes` writing statements; per-session state and an options schema.
import { definePlugin } from '@sluice/core';
import { loadSqlParsers } from '@sluice/sql';

/** @typedef {{ max_writes: number }} WriteBudgetOptions */

/** @type {import('@sluice/core').StandardSchemaV1<unknown, WriteBudgetOptions>} */
const optionsSchema = {
  '~standard': {
    version: 1,
    vendor: 'write-budget',
    validate(input) {
      const value = /** @type {{ max_writes?: unknown }} */ (input ?? {}).max_writes;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
        return { issues: [{ message: 'expected a whole number, 0 or more', path: ['max_writes'] }] };
      }
      return { value: { max_writes: value } };
    },
  },
};

const factory = definePlugin(
  /** @param {WriteBudgetOptions} options */
  async (options, context) => {
    for (const parser of await loadSqlParsers()) context.registerSqlParser(parser);
    return {
      name: 'write-budget',
      onQuery(session, query) {
        const analysis = query.analysis();
        const writes = !analysis || analysis.error !== undefined || analysis.statements.some((s) => s.tables.some((t) => t.access === 'write'));
        if (!writes) return undefined;
        // session.state belongs to this plugin and this session: created empty at connect, dropped at disconnect.
        const used = /** @type {number} */ (session.state.writes ?? 0);
        if (used >= options.max_writes) {
          return { action: 'deny', rule: 'write-budget', reason: `this session has used its ${options.max_writes} writes` };
        }
        session.state.writes = used + 1;
        return undefined;
      },
    };
  },
);
factory.optionsSchema = optionsSchema;

export default factory;
