// Lists the SQL a PL/pgSQL DO block runs as written, so its kinds, tables and functions can be reported beside `unknown`.
import type { PgQuery } from './pg-query.js';

type Obj = Record<string, unknown>;

const WRAPPER_TAG = '$sluice_do$';
const MAX_QUERIES = 200;
const STATEMENT_MODE = 0; // RAW_PARSE_DEFAULT; the others are expressions or assignments
const ASSIGNMENT_MODES = new Set([3, 4, 5]);

export interface BlockQuery {
  readonly sql: string;
  /** A whole statement the block runs; otherwise an expression, wrapped in SELECT only to be read. */
  readonly statement: boolean;
}

/** SQL found in the block; empty when the body is not PL/pgSQL or does not parse. */
export function doBlockQueries(pg: PgQuery, doStatement: Obj): BlockQuery[] {
  let code: string | undefined;
  let language = 'plpgsql';
  for (const arg of Array.isArray(doStatement.args) ? doStatement.args : []) {
    const elem = (arg as Obj).DefElem as Obj | undefined;
    const value = ((elem?.arg as Obj | undefined)?.String as Obj | undefined)?.sval;
    if (elem?.defname === 'as' && typeof value === 'string') code = value;
    if (elem?.defname === 'language' && typeof value === 'string') language = value.toLowerCase();
  }
  if (code === undefined || language !== 'plpgsql' || code.includes(WRAPPER_TAG)) return [];
  let tree: unknown;
  try {
    tree = pg.parsePlPgSQLSync(`CREATE FUNCTION sluice_do() RETURNS void LANGUAGE plpgsql AS ${WRAPPER_TAG}${code}${WRAPPER_TAG}`);
  } catch {
    return [];
  }
  const queries: BlockQuery[] = [];
  const visit = (value: unknown): void => {
    if (queries.length >= MAX_QUERIES || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) return value.forEach(visit);
    const expr = (value as Obj).PLpgSQL_expr as Obj | undefined;
    if (expr && typeof expr.query === 'string') {
      const mode = Number(expr.parseMode ?? STATEMENT_MODE);
      if (mode === STATEMENT_MODE) queries.push({ sql: expr.query, statement: true });
      else if (ASSIGNMENT_MODES.has(mode)) queries.push({ sql: `SELECT ${expr.query.replace(/^[^:=]*(:=|=)/, '')}`, statement: false });
      else queries.push({ sql: `SELECT ${expr.query}`, statement: false });
    }
    Object.values(value).forEach(visit);
  };
  visit(tree);
  return queries;
}
