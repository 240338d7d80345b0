// @ts-check
// The options of row-limit, validated with a hand-written Standard Schema (no dependency needed).

/**
 * @typedef {object} RowLimitOptions
 * @property {Record<string, number>} groups  most rows one query may return, per group; an identity in several gets the smallest
 * @property {number} [default]               limit for identities in none of the groups; default: no limit
 * @property {string[]} [environments]        listener environments where limits apply; default: every environment
 */

/** @type {import('@sluice/core').StandardSchemaV1<unknown, RowLimitOptions>} */
export const optionsSchema = {
  '~standard': {
    version: 1,
    vendor: 'row-limit',
    validate(input) {
      /** @type {{ message: string, path: (string | number)[] }[]} */
      const issues = [];
      if (input === null || typeof input !== 'object' || Array.isArray(input)) return { issues: [{ message: 'expected an object', path: [] }] };
      const given = /** @type {Record<string, unknown>} */ (input);
      for (const key of Object.keys(given)) {
        if (!['groups', 'default', 'environments'].includes(key)) issues.push({ message: 'unknown option (expected groups, default or environments)', path: [key] });
      }
      const groups = given.groups;
      if (groups === null || typeof groups !== 'object' || Array.isArray(groups)) {
        issues.push({ message: 'expected a map of group name to row count, e.g. { analyst: 1000 }', path: ['groups'] });
      } else {
        for (const [group, limit] of Object.entries(groups)) {
          if (!isLimit(limit)) issues.push({ message: 'expected a whole number of rows, 1 or more', path: ['groups', group] });
        }
      }
      if (given.default !== undefined && !isLimit(given.default)) issues.push({ message: 'expected a whole number of rows, 1 or more', path: ['default'] });
      const environments = given.environments;
      if (environments !== undefined && (!Array.isArray(environments) || environments.some((item) => typeof item !== 'string' || item === ''))) {
        issues.push({ message: 'expected a list of environment names', path: ['environments'] });
      }
      return issues.length > 0 ? { issues } : { value: /** @type {RowLimitOptions} */ (given) };
    },
  },
};

/** @param {unknown} value */
function isLimit(value) {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}
