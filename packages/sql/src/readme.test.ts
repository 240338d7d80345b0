// The README's examples, run: the example plugin's decisions and the analysis it shows.
import { definePlugin, SqlParsers, type PluginContext, type QueryEvent, type Session } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { createSqlParser, loadSqlParsers } from './index.js';

// Copied from README.md ("Usage"); only the import of '@sluice/sql' differs.
const examplePlugin = definePlugin(async (_options, context) => {
  for (const parser of await loadSqlParsers()) context.registerSqlParser(parser);
  return {
    name: 'example-no-unbounded-writes',
    onQuery(_session, query) {
      const analysis = query.analysis();
      if (!analysis || analysis.error) return { action: 'deny', reason: 'statement could not be parsed' };
      for (const statement of analysis.statements) {
        if (statement.kinds.includes('unknown')) return { action: 'deny', reason: 'statement not fully understood' };
        if (statement.hasWhere === false) return { action: 'deny', reason: `${statement.kind} without WHERE` };
      }
      return undefined;
    },
  };
});

describe('README usage example', () => {
  it('registers every parser and decides from the analysis', async () => {
    const registry = new SqlParsers();
    const context = {
      configDir: '.',
      log: { debug() {}, info() {}, warn() {}, error() {} },
      registerSqlParser: (parser) => registry.register(parser),
      registerAdminRoute() {},
    } satisfies PluginContext;
    const plugin = await examplePlugin({}, context);
    expect(['postgres', 'mysql', 'mssql'].every((dialect) => registry.has(dialect))).toBe(true);

    const decide = (dialect: string, sql: string) => {
      const query = { sql, dialect, via: 'simple', annotations: {}, analysis: () => registry.analyze(dialect, sql) } satisfies QueryEvent;
      return plugin.onQuery!({} as Session, query);
    };
    expect(decide('postgres', 'DELETE FROM users')).toEqual({ action: 'deny', reason: 'delete without WHERE' });
    expect(decide('postgres', 'DELETE FROM users WHERE id = 1')).toBeUndefined();
    expect(decide('postgres', 'WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d')).toEqual({ action: 'deny', reason: 'select without WHERE' });
    expect(decide('mysql', 'UPDATE users SET admin = 1 WHERE 1=1')).toEqual({ action: 'deny', reason: 'update without WHERE' });
    expect(decide('mssql', 'EXEC(@sql)')).toEqual({ action: 'deny', reason: 'statement not fully understood' });
    expect(decide('mssql', 'SELEC 1 FROM')).toEqual({ action: 'deny', reason: 'statement not fully understood' });
    expect(decide('postgres', 'SELEC 1')).toEqual({ action: 'deny', reason: 'statement could not be parsed' });
  });

  it('shows the analysis the README prints', async () => {
    const postgres = await createSqlParser('postgres');
    expect(postgres.parse('WITH d AS (DELETE FROM app.users RETURNING *) SELECT * FROM d')).toEqual({
      statements: [
        {
          kind: 'select',
          kinds: ['select', 'delete'],
          tables: [{ name: 'app.users', access: 'write' }],
          columns: [{ table: 'app.users', name: '*', access: 'read' }, { name: '*', access: 'read' }],
          functions: [],
          hasWhere: false,
          hasLimit: false,
          location: { start: 0, end: 61 },
        },
      ],
    });
  });
});
