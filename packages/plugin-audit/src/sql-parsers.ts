// The SQL parsers of @sluice/sql, loaded once per process and offered to core for every dialect they know.
import type { SqlParser } from '@sluice/core';

let loading: Promise<SqlParser[]> | undefined;

export function loadSqlParsers(): Promise<SqlParser[]> {
  loading ??= import('@sluice/sql').then((module) => module.loadSqlParsers());
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
