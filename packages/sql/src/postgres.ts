// PostgreSQL analysis with libpg-query, the server's own parser compiled to WebAssembly.
import type { SqlAnalysis, SqlParser, StatementInfo } from '@sluice/core';
import { byteToCharOffsets } from './byte-offsets.js';
import { markAmbiguous, summarize } from './facts.js';
import { loadPgQuery, type PgQuery } from './pg-query.js';
import { escapeStringReading } from './postgres-escapes.js';
import { doBlockQueries } from './postgres-plpgsql.js';
import { analyzePgStatement } from './postgres-walk.js';
import { safeParse } from './safe-parse.js';

type Obj = Record<string, unknown>;

interface RawStatement {
  stmt?: Obj;
  stmt_location?: number;
  stmt_len?: number;
}

export async function createPostgresParser(): Promise<SqlParser> {
  const pg = await loadPgQuery();
  return { dialect: 'postgres', parse: safeParse('postgres', (sql) => analyzePostgres(pg, sql)) };
}

export function analyzePostgres(pg: PgQuery, sql: string): SqlAnalysis {
  const analysis = analyzeOnce(pg, sql, true);
  if (analysis.error) return analysis;
  const other = escapeStringReading(pg, sql);
  if (other === undefined) return analysis;
  const alternative = analyzeOnce(pg, other, true);
  // A reading that does not parse would be rejected whole by the server: nothing of it would run.
  if (alternative.error || summarize(alternative.statements) === summarize(analysis.statements)) return analysis;
  return { statements: markAmbiguous(analysis.statements, alternative.statements) };
}

function analyzeOnce(pg: PgQuery, sql: string, withBlocks: boolean): SqlAnalysis {
  if (sql.trim() === '') return { statements: [] };
  let tree: { stmts?: RawStatement[] };
  try {
    tree = pg.parseSync(sql) as { stmts?: RawStatement[] };
  } catch (error) {
    return { statements: [], error: parseError(error) };
  }
  const toChar = byteToCharOffsets(sql);
  const byteLength = Buffer.byteLength(sql, 'utf8');
  const statements = (tree.stmts ?? []).map((raw): StatementInfo => {
    const facts = analyzePgStatement(raw.stmt ?? {});
    const doStatement = raw.stmt?.DoStmt as Obj | undefined;
    if (doStatement && withBlocks) {
      for (const query of doBlockQueries(pg, doStatement)) {
        for (const statement of analyzeOnce(pg, query.sql, false).statements) {
          // An expression (IF x, a := ...) contributes what it reads and calls, not a statement kind.
          facts.absorb(query.statement ? statement : { ...statement, kinds: [] });
        }
      }
    }
    const startByte = raw.stmt_location ?? 0;
    const endByte = raw.stmt_len ? startByte + raw.stmt_len : byteLength;
    const start = toChar(startByte);
    let end = toChar(endByte);
    while (end > start && /[\s;]/.test(sql[end - 1]!)) end--;
    return facts.toInfo({ start, end });
  });
  return { statements };
}

/** The parser's message without the quoted SQL fragment (it may hold a literal such as a password). */
function parseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cursor = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
  const reason = message.replace(/ at or near "[\s\S]*"$/, '');
  return cursor !== undefined && cursor > 0 ? `${reason} (position ${cursor})` : reason;
}
