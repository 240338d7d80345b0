// Loads libpg-query (the PostgreSQL parser in WebAssembly) once, on first use.
export type PgQuery = typeof import('libpg-query');

let loading: Promise<PgQuery> | undefined;

export function loadPgQuery(): Promise<PgQuery> {
  loading ??= import('libpg-query').then(async (pg) => {
    await pg.loadModule();
    return pg;
  });
  return loading;
}
