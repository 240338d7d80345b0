// @ts-check
// read-only-group: members of the listed groups may only read.
import { definePlugin } from '@sluice/core';
import { loadSqlParsers } from '@sluice/sql';

const WRITE_KINDS = new Set(['insert', 'update', 'delete', 'merge', 'drop', 'truncate', 'alter', 'create', 'grant', 'revoke', 'call', 'block', 'unknown']);

export default definePlugin(
  /** @param {{ groups: string[] }} options */
  async (options, context) => {
    // query.analysis() needs a parser for the dialect: register @sluice/sql's (see "SQL parsers").
    for (const parser of await loadSqlParsers()) context.registerSqlParser(parser);
    return {
      name: 'read-only-group',
      onQuery(session, query) {
        if (!session.identity.groups.some((group) => options.groups.includes(group))) return undefined;
        const analysis = query.analysis();
        const writes =
          analysis === undefined ||
          analysis.error !== undefined ||
          analysis.statements.some((s) => s.kinds.some((kind) => WRITE_KINDS.has(kind)) || s.tables.some((t) => t.access === 'write'));
        if (writes) return { action: 'deny', rule: 'read-only-group', reason: `${session.identity.name} may only read` };
        return undefined; // allow: the next plugin decides
      },
    };
  },
);
