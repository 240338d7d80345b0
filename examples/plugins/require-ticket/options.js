// @ts-check
// The options of require-ticket, validated with a hand-written Standard Schema (no dependency needed).

/**
 * @typedef {object} RequireTicketOptions
 * @property {string[]} environments  listener environments where writes need a ticket; default ["prod"]
 * @property {string[]} exempt_groups groups whose members need none (a migration service account); default []
 * @property {string} ticket_pattern  regular expression a ticket id must match in full; default "[A-Z][A-Z0-9]*-[0-9]+"
 * @property {string} example         ticket id shown in the denial; default "ABC-123"
 */

/** @type {RequireTicketOptions} */
export const DEFAULTS = { environments: ['prod'], exempt_groups: [], ticket_pattern: '[A-Z][A-Z0-9]*-[0-9]+', example: 'ABC-123' };

const KEYS = /** @type {(keyof RequireTicketOptions)[]} */ (Object.keys(DEFAULTS));

/** @type {import('@sluice/core').StandardSchemaV1<unknown, RequireTicketOptions>} */
export const optionsSchema = {
  '~standard': {
    version: 1,
    vendor: 'require-ticket',
    validate(input) {
      /** @type {{ message: string, path: (string | number)[] }[]} */
      const issues = [];
      if (input === null || typeof input !== 'object' || Array.isArray(input)) return { issues: [{ message: 'expected an object', path: [] }] };
      const given = /** @type {Record<string, unknown>} */ (input);
      for (const key of Object.keys(given)) {
        if (!(/** @type {string[]} */ (KEYS)).includes(key)) issues.push({ message: `unknown option (expected one of ${KEYS.join(', ')})`, path: [key] });
      }
      const options = { ...DEFAULTS, ...given };
      for (const key of /** @type {const} */ (['environments', 'exempt_groups'])) {
        const list = options[key];
        if (!Array.isArray(list)) issues.push({ message: 'expected a list of names', path: [key] });
        else list.forEach((item, i) => typeof item !== 'string' || item === '' ? issues.push({ message: 'expected a non-empty string', path: [key, i] }) : undefined);
      }
      for (const key of /** @type {const} */ (['ticket_pattern', 'example'])) {
        if (typeof options[key] !== 'string' || options[key] === '') issues.push({ message: 'expected a non-empty string', path: [key] });
      }
      if (issues.length === 0) {
        let pattern;
        try {
          pattern = new RegExp(`^(?:${options.ticket_pattern})$`);
        } catch (error) {
          issues.push({ message: `not a valid regular expression: ${/** @type {Error} */ (error).message}`, path: ['ticket_pattern'] });
        }
        if (pattern && !pattern.test(options.example)) issues.push({ message: 'the example does not match ticket_pattern', path: ['example'] });
      }
      return issues.length > 0 ? { issues } : { value: options };
    },
  },
};
