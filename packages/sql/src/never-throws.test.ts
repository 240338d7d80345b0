// parse() never throws and always returns a well-formed analysis, on random, mutated and hostile input.
import type { SqlAnalysis, SqlParser } from '@sluice/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MSSQL_CORPUS } from './corpus/mssql.js';
import { MYSQL_CORPUS } from './corpus/mysql.js';
import { POSTGRES_CORPUS } from './corpus/postgres.js';
import { createSqlParser, loadSqlParsers } from './index.js';

const SEED = 0x5eed_2024;

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VOCABULARY = [
  'SELECT', 'DROP', 'TABLE', 'FROM', 'WHERE', 'DELETE', 'UPDATE', 'SET', 'INSERT', 'INTO', 'VALUES', 'WITH', 'AS',
  'EXPLAIN', 'ANALYZE', 'COPY', 'PROGRAM', 'DO', 'BEGIN', 'END', 'CASE', 'EXEC', 'EXECUTE', 'PREPARE', 'CREATE',
  'PROCEDURE', 'OUTPUT', 'TOP', 'OFFSET', 'ROWS', 'FETCH', 'NEXT', 'MERGE', 'THEN', 'ON', 'GRANT', 'CALL', 'LOAD',
  ';', '(', ')', "'", '"', '`', '[', ']', '/*', '*/', '--', '-- ', '#', '$$', '$a$', '\\', '/*!', '/*!50000', '/*M!',
  "E'", "N'", "x'", '@', '@@', '@x', '.', ',', '=', '+', '*', '1', '0x1F', 'x', 't', 'users', 'é', '\u00a0', '\u0000',
  '\ud800', '\udc00', '😀', '\n', '\t', '\r', '\f', '\v', "''", '""', '::', ':=', '->>', '?', '$1',
];
const SEPARATORS = ['', ' ', ' ', '\n', '\t'];

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

function tokenSoup(next: () => number): string {
  const length = 1 + Math.floor(next() * 40);
  let sql = '';
  for (let i = 0; i < length; i++) sql += pick(next, VOCABULARY) + pick(next, SEPARATORS);
  return sql;
}

function randomUnits(next: () => number): string {
  const length = Math.floor(next() * 120);
  let sql = '';
  for (let i = 0; i < length; i++) sql += String.fromCharCode(Math.floor(next() * 0x10000));
  return sql;
}

function mutate(next: () => number, sql: string): string {
  const at = Math.floor(next() * (sql.length + 1));
  switch (Math.floor(next() * 5)) {
    case 0:
      return sql.slice(0, at);
    case 1:
      return sql.slice(0, at) + pick(next, VOCABULARY) + sql.slice(at);
    case 2:
      return sql.slice(0, at) + sql.slice(at + 1 + Math.floor(next() * 10));
    case 3:
      return sql.slice(at) + sql.slice(0, at);
    default:
      return sql.slice(0, at) + sql + sql.slice(at);
  }
}

const CORPUS = [...POSTGRES_CORPUS, ...MYSQL_CORPUS, ...MSSQL_CORPUS].map((item) => item.sql);

const HOSTILE = [
  '', ' ', ';', ';;;', '\u0000', '\ud800', "'", '"', '`', '[', '$$', '/*', '/*!', '*/', '--', 'E\'\\', 'BEGIN', 'END END END',
  '('.repeat(20_000),
  `SELECT ${'('.repeat(3_000)}1${')'.repeat(3_000)}`,
  'x'.repeat(200_000),
  `'${'a'.repeat(100_000)}`,
  'SELECT 1;'.repeat(2_000),
  '/*'.repeat(1_000),
  `${'BEGIN '.repeat(1_000)}${'END '.repeat(1_000)}`,
  `INSERT INTO t VALUES ${Array.from({ length: 20_000 }, (_, i) => `(${i}, 'v${i}')`).join(',')}`,
  `SELECT ${Array.from({ length: 5_000 }, (_, i) => `f${i}(c${i})`).join(', ')} FROM t`,
  `DO $$ BEGIN ${'IF true THEN '.repeat(200)}NULL;${' END IF;'.repeat(200)} END $$`,
  "EXEC('EXEC(''EXEC(''''DROP TABLE x'''')'')')",
  "PREPARE s FROM 'PREPARE t FROM ''DROP TABLE x'''",
];

function checkShape(sql: string, analysis: SqlAnalysis): void {
  expect(Array.isArray(analysis.statements)).toBe(true);
  if (analysis.error !== undefined) {
    expect(typeof analysis.error).toBe('string');
    expect(analysis.statements).toEqual([]);
    // safeParse's net catches bugs; the input must be refused by a reader, not by a crash of this package.
    expect(analysis.error, JSON.stringify(sql.slice(0, 200))).not.toMatch(/analysis failed/);
  }
  for (const statement of analysis.statements) {
    expect(statement.kinds[0]).toBe(statement.kind);
    for (const table of statement.tables) expect(typeof table.name).toBe('string');
    for (const name of statement.functions) expect(name).toBe(name.toLowerCase());
    if (statement.location) {
      expect(statement.location.start).toBeGreaterThanOrEqual(0);
      expect(statement.location.end).toBeGreaterThanOrEqual(statement.location.start);
      expect(statement.location.end).toBeLessThanOrEqual(sql.length);
    }
  }
}

describe.each(['postgres', 'mysql', 'mssql'] as const)('%s parse() never throws', (dialect) => {
  let parser: SqlParser;
  beforeAll(async () => {
    parser = await createSqlParser(dialect);
  });

  const run = (inputs: string[]): void => {
    for (const sql of inputs) {
      let analysis: SqlAnalysis | undefined;
      expect(() => (analysis = parser.parse(sql)), JSON.stringify(sql.slice(0, 200))).not.toThrow();
      checkShape(sql, analysis!);
    }
  };

  it('on token soup', () => {
    const next = random(SEED);
    run(Array.from({ length: 1_500 }, () => tokenSoup(next)));
  });

  it('on mutated corpus statements', () => {
    const next = random(SEED + 1);
    run(CORPUS.flatMap((sql) => Array.from({ length: 6 }, () => mutate(next, sql))));
  });

  it('on random UTF-16 code units', () => {
    const next = random(SEED + 2);
    run(Array.from({ length: 300 }, () => randomUnits(next)));
  });

  it('on hostile shapes, and still reads SQL afterwards', () => {
    run(HOSTILE);
    const after = parser.parse('DELETE FROM users WHERE id = 1');
    expect(after.statements.map((s) => s.kind)).toEqual(['delete']);
  });

  it('on values that are not strings', () => {
    for (const value of [undefined, null, 42, {}, ['SELECT 1']]) {
      const analysis = parser.parse(value as unknown as string);
      expect(analysis.statements).toEqual([]);
      expect(analysis.error).toMatch(/not a string/);
    }
  });
});

describe('loading', () => {
  it('gives one memoised parser per dialect', async () => {
    const parsers = await loadSqlParsers();
    expect(parsers.map((parser) => parser.dialect)).toEqual(['postgres', 'mysql', 'mssql']);
    const again = await loadSqlParsers();
    parsers.forEach((parser, index) => expect(again[index]).toBe(parser));
    expect(await createSqlParser('mysql')).toBe(parsers[1]);
  });

  it('refuses an unknown dialect by name', async () => {
    await expect(createSqlParser('oracle' as 'mysql')).rejects.toThrow(/@sluice\/sql: unknown SQL dialect "oracle"/);
  });
});
