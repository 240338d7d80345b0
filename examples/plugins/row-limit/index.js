// @ts-check
// row-limit: a query may return at most N rows to members of a group; past N the rest of the result is withheld and the statement fails.
//
// The hook contract has no way to drop a row or end a result set cleanly: onRow can only rewrite
// values. What it can do is throw, which the pipeline documents as "end that result with an error
// rather than send the row". So the client receives the first N rows and then an error, and most
// clients (psql, JDBC, node-postgres) then show only the error. See README.md.
import { definePlugin } from '@sluice/core';
import { optionsSchema } from './options.js';

export class RowLimitExceeded extends Error {
  /**
   * @param {number} limit
   * @param {string} who
   */
  constructor(limit, who) {
    super(`the result has more than ${limit} rows, the most ${who} may read in one query; add a LIMIT or narrow the WHERE clause`);
    this.name = 'RowLimitExceeded';
  }
}

/**
 * The limit for an identity: the smallest of its groups' limits, else the default.
 * @param {import('./options.js').RowLimitOptions} options
 * @param {readonly string[]} groups
 * @returns {{ limit: number, who: string } | undefined}
 */
export function limitFor(options, groups) {
  /** @type {{ limit: number, who: string } | undefined} */
  let found;
  for (const group of groups) {
    const limit = options.groups[group];
    if (limit !== undefined && (found === undefined || limit < found.limit)) found = { limit, who: `group ${group}` };
  }
  if (found === undefined && options.default !== undefined) found = { limit: options.default, who: 'this identity' };
  return found;
}

/**
 * Rows counted per statement: every result set of one query shares one counter.
 * @typedef {{ limit: number, who: string, rows: number, query: import('@sluice/core').QueryEvent }} Counter
 */

const factory = definePlugin(
  /** @param {import('./options.js').RowLimitOptions} options */
  (options) => {
    const environments = options.environments === undefined ? undefined : new Set(options.environments);
    /** @type {WeakMap<import('@sluice/core').QueryEvent, Counter>} */
    const byQuery = new WeakMap();
    /** @type {WeakMap<import('@sluice/core').ResultSetInfo, Counter>} */
    const byResultSet = new WeakMap();
    return {
      name: 'row-limit',
      onConnect(session) {
        const applies = environments === undefined || (session.environment !== undefined && environments.has(session.environment));
        const limit = applies ? limitFor(options, session.identity.groups) : undefined;
        if (limit) session.state.limit = limit;
        return undefined;
      },
      // #region count-rows
      onResultSet(session, query, resultSet) {
        const limit = /** @type {{ limit: number, who: string } | undefined} */ (session.state.limit);
        if (!limit) return undefined; // no row hook at all for this session: rows pass as bytes
        let counter = byQuery.get(query);
        if (!counter) {
          counter = { ...limit, rows: 0, query };
          byQuery.set(query, counter);
        }
        byResultSet.set(resultSet, counter);
        // Count rows without decoding a single value.
        return { columns: [] };
      },
      onRow(_session, _row, resultSet) {
        const counter = byResultSet.get(resultSet);
        if (!counter) return undefined;
        counter.rows += 1;
        if (counter.rows > counter.limit) {
          counter.query.annotations.rowLimit = { limit: counter.limit, exceeded: true };
          throw new RowLimitExceeded(counter.limit, counter.who);
        }
        return undefined;
      },
      // #endregion
    };
  },
);
factory.optionsSchema = optionsSchema;

export default factory;
