// PostgreSQL analysis with libpg-query, the server's own parser compiled to WebAssembly.
import type { SqlAnalysis, SqlParser, StatementInfo } from '@sluice/core';
import { byteToCharOffsets } from './byte-offsets.js';
import { markAmbiguous, summarize } from './facts.js';
import { loadPgQuery, type PgQuery } from './pg-query.js';
import { escapeStringReading } from './postgres-escapes.js';
import { doBlockQueries } from './postgres-plpgsql.js';
import { postgresShape } from './postgres-shape.js';
import { analyzePgStatement } from './postgres-walk.js';
import { safeParse } from './safe-parse.js';
import { ShapeCache, type ShapedAnalysis } from './shape-cache.js';

type Obj = Record<string, unknown>;

interface RawStatement {
  stmt?: Obj;
  stmt_location?: number;
  stmt_len?: number;
}

/** A parser whose analyses are shared by statements that differ only in constants (see shape-cache.ts). */
export async function createPostgresParser(): Promise<SqlParser> {
  const pg = await loadPgQuery();
  const cache = new ShapeCache(postgresShape, (sql) => analyzePostgresShaped(pg, sql));
  return { dialect: 'postgres', parse: safeParse('postgres', (sql) => cache.analyze(sql)), cachesAnalyses: true };
}

export function analyzePostgres(pg: PgQuery, sql: string): SqlAnalysis {
  return analyzePostgresShaped(pg, sql).analysis;
}

/** The analysis, and whether it depends on the value of some constant in the text. */
export function analyzePostgresShaped(pg: PgQuery, sql: string): ShapedAnalysis {
  const shaped = analyzeOnce(pg, sql, true);
  const analysis = shaped.analysis;
  if (analysis.error) return shaped;
  const other = escapeStringReading(pg, sql);
  if (other === undefined) return shaped;
  // Which reading applies depends on the constants' bytes (and a server setting): never shared.
  const alternative = analyzeOnce(pg, other, true).analysis;
  // A reading that does not parse would be rejected whole by the server: nothing of it would run.
  if (alternative.error || summarize(alternative.statements) === summarize(analysis.statements)) return { analysis, readsConstants: true };
  return { analysis: { statements: markAmbiguous(analysis.statements, alternative.statements) }, readsConstants: true };
}

function analyzeOnce(pg: PgQuery, sql: string, withBlocks: boolean): ShapedAnalysis {
  if (sql.trim() === '') return { analysis: { statements: [] }, readsConstants: false };
  let tree: { stmts?: RawStatement[] };
  try {
    tree = pg.parseSync(sql) as { stmts?: RawStatement[] };
  } catch (error) {
    return { analysis: { statements: [], error: parseError(error) }, readsConstants: false };
  }
  const toChar = byteToCharOffsets(sql);
  const byteLength = Buffer.byteLength(sql, 'utf8');
  let readsConstants = false;
  const statements = (tree.stmts ?? []).map((raw): StatementInfo => {
    const facts = analyzePgStatement(raw.stmt ?? {});
    const doStatement = raw.stmt?.DoStmt as Obj | undefined;
    if (doStatement && withBlocks) {
      for (const query of doBlockQueries(pg, doStatement)) {
        for (const statement of analyzeOnce(pg, query.sql, false).analysis.statements) {
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
    if (facts.readsConstants) readsConstants = true;
    return facts.toInfo({ start, end });
  });
  return { analysis: { statements }, readsConstants };
}

/** The parser's message without the quoted SQL fragment (it may hold a literal such as a password). */
function parseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cursor = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
  const reason = message.replace(/ at or near "[\s\S]*"$/, '');
  return cursor !== undefined && cursor > 0 ? `${reason} (position ${cursor})` : reason;
}
