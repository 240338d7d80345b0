// @sluice/sql: SQL analysis per dialect (statement kinds, tables, columns, functions) for Sluice plugins.
import type { SqlParser } from '@sluice/core';
import { createMssqlParser } from './mssql.js';
import { createMysqlParser } from './mysql.js';
import { createPostgresParser } from './postgres.js';

type SqlDialect = 'postgres' | 'mysql' | 'mssql';

const DIALECTS: readonly SqlDialect[] = ['postgres', 'mysql', 'mssql'];
const parsers = new Map<SqlDialect, Promise<SqlParser>>();

/** The parser for one dialect; its parser library is loaded on first call and shared afterwards. */
export function createSqlParser(dialect: SqlDialect): Promise<SqlParser> {
  let parser = parsers.get(dialect);
  if (!parser) {
    parser = build(dialect);
    parsers.set(dialect, parser);
    // A failed load is not cached, so a later call can try again.
    parser.catch(() => parsers.delete(dialect));
  }
  return parser;
}

/** Parsers for every dialect Sluice speaks: postgres, mysql (MySQL and MariaDB) and mssql (T-SQL). */
export function loadSqlParsers(): Promise<SqlParser[]> {
  return Promise.all(DIALECTS.map((dialect) => createSqlParser(dialect)));
}

function build(dialect: SqlDialect): Promise<SqlParser> {
  switch (dialect) {
    case 'postgres':
      return createPostgresParser();
    case 'mysql':
      return createMysqlParser();
    case 'mssql':
      return createMssqlParser();
    default:
      return Promise.reject(new Error(`@sluice/sql: unknown SQL dialect ${JSON.stringify(dialect)}; expected postgres, mysql or mssql`));
  }
}
