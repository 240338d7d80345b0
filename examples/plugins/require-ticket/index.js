// @ts-check
// require-ticket: in the listed environments, every write must name its change ticket in a comment: /* ticket: ABC-123 */.
import { definePlugin } from '@sluice/core';
import { loadSqlParsers } from '@sluice/sql';
import { optionsSchema } from './options.js';
import { sqlComments } from './sql-comments.js';

// #region is-write
/** Kinds that read, or change only the session: everything else counts as a write. */
const READ_KINDS = new Set(['select', 'show', 'explain', 'set', 'transaction', 'prepare', 'copy']);

/**
 * Whether a statement may change data or schema. SQL the parser could not understand counts as a
 * write, and so do `other` statements (VACUUM, NOTIFY, …) and calls of procedures and blocks.
 * @param {import('@sluice/core').StatementInfo} statement
 */
export function isWrite(statement) {
  if (statement.kinds.some((kind) => !READ_KINDS.has(kind))) return true;
  // SELECT … INTO, COPY … FROM, a CTE's INSERT: the tables say it.
  return statement.tables.some((table) => table.access === 'write');
}
// #endregion

/**
 * The ticket a statement names in one of its comments, if any.
 * @param {string} sql
 * @param {RegExp} ticket
 * @param {string} [dialect]
 */
export function ticketOf(sql, ticket, dialect) {
  for (const comment of sqlComments(sql, dialect)) {
    const match = /^\s*ticket:\s*(\S+)\s*$/i.exec(comment);
    if (match && ticket.test(match[1] ?? '')) return match[1];
  }
  return undefined;
}

const RULE = 'require-ticket';

/** @typedef {import('./options.js').RequireTicketOptions} RequireTicketOptions */

const factory = definePlugin(
  /** @param {RequireTicketOptions} options */
  async (options, context) => {
    // #region parsers
    // query.analysis() needs a parser; register @sluice/sql's as the guardrails plugin does, so this plugin works alone too.
    for (const parser of await loadSqlParsers()) context.registerSqlParser(parser);
    // #endregion
    const environments = new Set(options.environments);
    const ticket = new RegExp(`^(?:${options.ticket_pattern})$`);
    return {
      name: RULE,
      onQuery(session, query) {
        if (session.environment === undefined || !environments.has(session.environment)) return undefined;
        if (session.identity.groups.some((group) => options.exempt_groups.includes(group))) return undefined;
        const analysis = query.analysis();
        const writes = !analysis || analysis.error !== undefined || analysis.statements.some(isWrite);
        if (!writes) return undefined;
        const found = ticketOf(query.sql, ticket, query.dialect);
        if (found === undefined) {
          return {
            action: 'deny',
            rule: RULE,
            reason: `writes in ${session.environment} need a change ticket: add /* ticket: ${options.example} */ to the statement`,
          };
        }
        // For the plugins after this one (an audit plugin, say).
        query.annotations.ticket = found;
        return undefined;
      },
    };
  },
);
factory.optionsSchema = optionsSchema;

export default factory;
