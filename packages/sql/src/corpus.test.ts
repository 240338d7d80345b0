// Measures each parser on its dialect's corpus: kinds right, parse success, tree coverage and time per statement.
import type { SqlParser, StatementInfo } from '@sluice/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CorpusEntry } from './corpus/entry.js';
import { MSSQL_CORPUS } from './corpus/mssql.js';
import { MYSQL_CORPUS } from './corpus/mysql.js';
import { POSTGRES_CORPUS } from './corpus/postgres.js';
import { createSqlParser } from './index.js';
import { lex } from './lexer.js';
import { mssqlRules } from './mssql.js';
import { mysqlRules } from './mysql.js';
import { splitStatements } from './split.js';
import { readTree, type DialectRules } from './token-analysis.js';

const REPEATS = 20;

interface Measure {
  dialect: string;
  entries: number;
  statements: number;
  errors: number;
  complete: number;
  treeRead: number | undefined;
  meanMs: number;
  p95Ms: number;
  maxMs: number;
}

const measures: Measure[] = [];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** How many statements node-sql-parser reads into a tree this package understands (the rest use the token fallback). */
function treeReadCount(corpus: readonly CorpusEntry[], rules: DialectRules): number {
  let read = 0;
  for (const { sql } of corpus) {
    const lexed = lex(sql, { dialect: rules.dialect, backslashEscapes: true });
    for (const piece of splitStatements(lexed.tokens, rules.dialect)) {
      if (readTree(piece.tokens, lexed.cleaned, rules)) read++;
    }
  }
  return read;
}

function measure(parser: SqlParser, corpus: readonly CorpusEntry[]): Omit<Measure, 'treeRead' | 'dialect'> {
  for (const { sql } of corpus) parser.parse(sql); // warm up the JIT and the WASM heap
  const perStatement: number[] = [];
  let statements = 0;
  let errors = 0;
  let complete = 0;
  for (const { sql } of corpus) {
    const analysis = parser.parse(sql);
    if (analysis.error) errors++;
    statements += Math.max(1, analysis.statements.length);
    complete += analysis.statements.filter((s: StatementInfo) => !s.kinds.includes('unknown')).length;
    // CPU time, not wall time: the machine running the suite is shared with other test files.
    const start = process.cpuUsage();
    for (let i = 0; i < REPEATS; i++) parser.parse(sql);
    const used = process.cpuUsage(start);
    const each = (used.user + used.system) / 1000 / REPEATS / Math.max(1, analysis.statements.length);
    for (let i = 0; i < Math.max(1, analysis.statements.length); i++) perStatement.push(each);
  }
  perStatement.sort((a, b) => a - b);
  const meanMs = perStatement.reduce((sum, value) => sum + value, 0) / perStatement.length;
  return { entries: corpus.length, statements, errors, complete, meanMs, p95Ms: percentile(perStatement, 0.95), maxMs: perStatement[perStatement.length - 1]! };
}

const dialects = [
  { dialect: 'postgres', corpus: POSTGRES_CORPUS, rules: undefined },
  { dialect: 'mysql', corpus: MYSQL_CORPUS, rules: mysqlRules },
  { dialect: 'mssql', corpus: MSSQL_CORPUS, rules: mssqlRules },
] as const;

describe.each(dialects)('$dialect corpus', ({ dialect, corpus, rules }) => {
  let parser: SqlParser;
  beforeAll(async () => {
    parser = await createSqlParser(dialect);
  });

  it('has at least 60 realistic statements', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(60);
  });

  it.each(corpus.map((item) => [item.sql, item] as const))('reads %s', (_sql, item) => {
    const analysis = parser.parse(item.sql);
    expect(analysis.error).toBeUndefined();
    expect(analysis.statements.map((statement) => statement.kind)).toEqual(item.kinds);
  });

  it('measures parse success and time per statement', async () => {
    const result = measure(parser, corpus);
    const treeRead = rules ? treeReadCount(corpus, await rules()) : undefined;
    measures.push({ dialect, treeRead, ...result });
    const pct = (n: number) => `${((100 * n) / result.statements).toFixed(0)}%`;
    console.log(
      [
        `${dialect}: ${result.entries} entries, ${result.statements} statements`,
        `  parse errors: ${result.errors}`,
        `  complete (no 'unknown' in kinds): ${result.complete} (${pct(result.complete)})`,
        treeRead === undefined
          ? '  tree: libpg-query for every statement'
          : `  read whole by node-sql-parser: ${treeRead} (${pct(treeRead)}); the rest by the token fallback or part by part (EXPLAIN, T-SQL blocks)`,
        `  CPU time per statement: mean ${result.meanMs.toFixed(3)} ms, p95 ${result.p95Ms.toFixed(3)} ms, max ${result.maxMs.toFixed(3)} ms`,
      ].join('\n'),
    );
    expect(result.errors).toBe(0);
    // Floors a little under today's numbers, so a regression in coverage fails here.
    const floors = { postgres: 0.97, mysql: 0.95, mssql: 0.9 } as const;
    expect(result.complete / result.statements).toBeGreaterThanOrEqual(floors[dialect]);
    // Generous: only a pathological slowdown (a backtracking blow-up) should fail here.
    expect(result.p95Ms).toBeLessThan(25);
  });
});
