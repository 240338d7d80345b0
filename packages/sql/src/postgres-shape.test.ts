// Statements that differ only in constants share one analysis, and never when a constant could change what a policy reads.
import type { SqlAnalysis } from '@sluice/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_CORPUS } from './corpus/postgres.js';
import { loadPgQuery, type PgQuery } from './pg-query.js';
import { analyzePostgres, analyzePostgresShaped } from './postgres.js';
import { postgresShape } from './postgres-shape.js';
import { ShapeCache } from './shape-cache.js';

let pg: PgQuery;
beforeAll(async () => {
  pg = await loadPgQuery();
});

/** A shape cache over the real analyzer that counts the parses it had to do. */
function countingCache(): { cache: ShapeCache; parses: () => number } {
  let parses = 0;
  const cache = new ShapeCache(postgresShape, (sql) => {
    parses++;
    return analyzePostgresShaped(pg, sql);
  });
  return { cache, parses: () => parses };
}

describe('postgresShape', () => {
  const key = (sql: string) => postgresShape(sql)?.key;

  it('gives statements that differ only in constants one key', () => {
    expect(key('SELECT abalance FROM pgbench_accounts WHERE aid = 42;')).toBe(key('SELECT abalance FROM pgbench_accounts WHERE aid = 987654;'));
    expect(key("SELECT * FROM t WHERE a = 'x' AND b = 1.5")).toBe(key("SELECT * FROM t WHERE a = 'a much longer text, with ''quotes''' AND b = 0.25e3"));
    expect(postgresShape("SELECT 'é', 12")!.constants).toEqual([7, 10, 12, 14]);
  });

  it('keeps everything else as written', () => {
    for (const [a, b] of [
      ['SELECT a FROM t WHERE x = 1', 'SELECT b FROM t WHERE x = 1'],
      ['SELECT * FROM t1 WHERE x = 1', 'SELECT * FROM t2 WHERE x = 1'],
      ['SELECT 1 FROM t', 'SELECT  1 FROM t'],
      ["SELECT 'a'\n'b'", "SELECT 'a' 'b'"],
      ['SELECT 1 -- a\n', 'SELECT 1 -- b\n'],
      ['SELECT /* a */ 1', 'SELECT /* b */ 1'],
      ['SELECT "a" FROM t', 'SELECT "b" FROM t'],
      ['SELECT $1', 'SELECT $2'],
      ['SELECT $$a$$', 'SELECT $$b$$'],
      ['SELECT * FROM t LIMIT 5', 'SELECT * FROM t LIMIT NULL'],
      // Integer, non-integer and too-large-for-int32 constants are different tokens to the grammar.
      ["SELECT 'a'::varchar(10)", "SELECT 'a'::varchar(1.5)"],
      ["SELECT 'a'::varchar(10)", "SELECT 'a'::varchar(99999999999)"],
      ["SELECT 'a'::varchar(2147483647)", "SELECT 'a'::varchar(2147483648)"],
      // The grammar reads float(p)'s value.
      ['SELECT 1::float(10)', 'SELECT 1::float(54)'],
      ['SELECT 1::FLOAT /* p */ ( 24 )', 'SELECT 1::FLOAT /* p */ ( 25 )'],
      ['SELECT 1', "SELECT '1'"],
    ]) {
      expect(key(a!), `${a} / ${b}`).not.toBe(key(b!));
    }
  });

  it('has no shape for text it might read differently from the server', () => {
    for (const sql of [
      "SELECT 'a\\'",
      "SELECT E'a'",
      "SELECT U&'d!0061t' UESCAPE '!'",
      "SELECT B'101', X'1f'",
      "SELECT N'x'",
      "SELECT'x'",
      'SELECT 0x1f',
      'SELECT 1_000',
      'SELECT 12abc',
      'SELECT 1e',
      'SELECT 1..2',
      "SELECT 'unterminated",
      'SELECT "unterminated',
      'SELECT /* unterminated',
      'SELECT $a$ unterminated',
      'SELECT $',
      'SELECT 1\u0000',
    ]) {
      expect(postgresShape(sql), sql).toBeUndefined();
    }
  });
});

describe('the shape cache', () => {
  it('parses pgbench statements once per shape, with locations in each text', () => {
    const { cache, parses } = countingCache();
    const first = cache.analyze('SELECT abalance FROM pgbench_accounts WHERE aid = 5;');
    const second = cache.analyze('SELECT abalance FROM pgbench_accounts WHERE aid = 123456;');
    expect(parses()).toBe(1);
    expect(second.statements[0]!.location).toEqual({ start: 0, end: 56 });
    expect(second).toEqual(analyzePostgres(pg, 'SELECT abalance FROM pgbench_accounts WHERE aid = 123456;'));
    expect(first.statements[0]!.tables).toEqual([{ name: 'pgbench_accounts', access: 'read' }]);
  });

  it('moves the locations of several statements', () => {
    const { cache } = countingCache();
    cache.analyze("SELECT 'é'; DELETE FROM t WHERE id = 5; SELECT 1");
    const sql = "SELECT 'a longer one'; DELETE FROM t WHERE id = 123456789; SELECT 22";
    const analysis = cache.analyze(sql);
    expect(analysis.statements.map((s) => sql.slice(s.location!.start, s.location!.end))).toEqual([
      "SELECT 'a longer one'",
      'DELETE FROM t WHERE id = 123456789',
      'SELECT 22',
    ]);
  });

  // Each pair: the same shape; the first primes the cache, the second must get its own analysis.
  const attacks: [string, string, string, (analysis: SqlAnalysis) => void][] = [
    ['EXPLAIN (ANALYZE 0) then (ANALYZE 1)', 'EXPLAIN (ANALYZE 0) DELETE FROM users', 'EXPLAIN (ANALYZE 1) DELETE FROM users', (a) => {
      expect(a.statements[0]!.kinds).toContain('delete');
      expect(a.statements[0]!.tables).toEqual([{ name: 'users', access: 'write' }]);
    }],
    ['EXPLAIN (ANALYZE 1) then (ANALYZE 0)', 'EXPLAIN (ANALYZE 1) DELETE FROM users', 'EXPLAIN (ANALYZE 0) DELETE FROM users', (a) => {
      expect(a.statements[0]!.kinds).not.toContain('delete');
    }],
    ["EXPLAIN (ANALYZE 'off') then ('on')", "EXPLAIN (ANALYZE 'off') DELETE FROM users", "EXPLAIN (ANALYZE 'on') DELETE FROM users", (a) => {
      expect(a.statements[0]!.kinds).toContain('delete');
    }],
    ['set_config of another setting, then of role', "SELECT set_config('application_name', 'x', false)", "SELECT set_config('role', 'admin', false)", (a) => {
      expect(a.statements[0]!.settings).toEqual([{ name: 'role', action: 'set' }]);
    }],
    ["LANGUAGE 'sql' then LANGUAGE 'c'", "CREATE FUNCTION f() RETURNS int LANGUAGE 'sql' AS 'select 1'", "CREATE FUNCTION f() RETURNS int LANGUAGE 'c' AS 'select 1'", (a) => {
      expect(a.statements[0]!.functions).toContain('load library');
    }],
    ['a harmless DO body, then a destructive one', "DO 'BEGIN PERFORM 1; END'", "DO 'BEGIN DELETE FROM audit; END'", (a) => {
      expect(a.statements[0]!.kinds).toContain('delete');
      expect(a.statements[0]!.tables).toEqual([{ name: 'audit', access: 'write' }]);
    }],
    ['float(10) then float(54)', 'SELECT 1::float(10)', 'SELECT 1::float(54)', (a) => {
      expect(a.error).toMatch(/precision/);
    }],
    ['varchar(10) then a length that is no int32', "SELECT 'a'::varchar(10)", "SELECT 'a'::varchar(99999999999)", (a) => {
      expect(a.error).toMatch(/syntax error/);
    }],
    ['a plain string, then one a backslash turns into SQL', "SELECT 'a' || ' ; SELECT 1; -- '", "SELECT '\\' || ' ; DROP TABLE t; -- '", (a) => {
      expect(a.statements[0]!.kinds).toContain('drop');
    }],
  ];

  it.each(attacks)('%s', (_name, primer, attack, check) => {
    const { cache } = countingCache();
    cache.analyze(primer);
    cache.analyze(primer);
    const analysis = cache.analyze(attack);
    expect(analysis).toEqual(analyzePostgres(pg, attack));
    check(analysis);
  });

  it('gives every variant of the corpus its own analysis (differential)', () => {
    const { cache, parses } = countingCache();
    const texts = [...POSTGRES_CORPUS.map((entry) => entry.sql), ...EXTRA];
    let asked = 0;
    for (const sql of texts) {
      const shape = postgresShape(sql);
      const versions = [sql, ...(shape ? variants(sql, shape.constants) : [])];
      for (const version of versions) {
        asked++;
        expect(cache.analyze(version), version).toEqual(analyzePostgres(pg, version));
      }
    }
    // The cache did its job on most of them.
    expect(parses()).toBeLessThan(asked / 2);
  });
});

/** Statements whose constants matter to the analysis, or to the parse, beside the corpus. */
const EXTRA = [
  'SELECT abalance FROM pgbench_accounts WHERE aid = 42;',
  'UPDATE pgbench_accounts SET abalance = abalance + -1234 WHERE aid = 5;',
  'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 2, 3, -4, CURRENT_TIMESTAMP);',
  'EXPLAIN (ANALYZE 0) DELETE FROM users',
  "EXPLAIN (ANALYZE 'off', BUFFERS 1) UPDATE users SET admin = true",
  "SELECT set_config('role', 'admin', false)",
  "SELECT pg_catalog.set_config('search_path'::text, 'x', true)",
  "CREATE FUNCTION f() RETURNS int LANGUAGE 'c' AS '/tmp/x.so', 'f'",
  "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET role = 'admin' AS 'select 1'",
  "DO 'BEGIN DELETE FROM audit WHERE at < now(); END'",
  'SELECT 1::float(10), 2::float(30)',
  "SELECT 'a'::varchar(10), 1.5::numeric(10, 2)",
  'SELECT * FROM t LIMIT 5 OFFSET 10',
  'SELECT * FROM t LIMIT NULL',
  "SELECT 1; DELETE FROM t WHERE id = 5; SELECT 'x'",
  "SELECT 'é';\n  SELECT 2 ; -- done",
  "SELECT 'a'\n'b'",
  "SELECT 'a' 'b'",
  "SELECT /* 'x' */ 1 -- 'y'\n FROM t WHERE a = 'z'",
  'SELECT "a\'b" FROM t WHERE c = \'d\'',
  "SELECT $$x$$, 'y', $1",
  "SET statement_timeout = '30s'",
  "ALTER ROLE app PASSWORD 'secret'",
  "VALUES (1, 'a'), (2, 'b')",
  "COPY t FROM '/tmp/x.csv'",
  "COPY t TO PROGRAM 'gzip > /tmp/x'",
  'SELECT * FROM t WHERE a IN (1, 2, 3) ORDER BY 1 FETCH FIRST 3 ROWS ONLY',
  "SELECT pg_read_file('/etc/passwd', 0, 100)",
  "CREATE TABLE t (a varchar(20) DEFAULT 'x', b numeric(10, 2), c float(5), d int[3])",
  "SELECT interval '1 day', date '2024-01-01', 'x'::regclass",
  "PREPARE p (int) AS SELECT * FROM t WHERE id = $1 AND kind = 'a'",
  "SELECT 1 WHERE 'a' = 'b'; SELECT 2.5e10; UPDATE t SET x = 'y' WHERE z = 0",
  "LOAD 'auto_explain'",
  "CREATE FUNCTION sys(cstring) RETURNS int AS '/tmp/x.so', 'sys' LANGUAGE C STRICT",
  "SELECT * FROM pg_read_binary_file('/etc/shadow') AS f(data)",
  "NOTIFY ch, 'x'",
  "COMMENT ON TABLE t IS 'x'",
  "ALTER SYSTEM SET work_mem = '64MB'",
  "CREATE DATABASE d ENCODING 'UTF8'",
  "CREATE TABLESPACE ts LOCATION '/tmp/ts'",
  'SELECT * FROM t TABLESAMPLE SYSTEM (1) REPEATABLE (5)',
  'CREATE SEQUENCE s INCREMENT 5 START 10 CACHE 1',
  'ALTER TABLE t ALTER COLUMN c SET STATISTICS 100',
  'SET LOCAL statement_timeout = 5',
  "SET TIME ZONE 'UTC'",
  "SET ROLE 'admin'",
  "SET SESSION AUTHORIZATION 'bob'",
  "CALL p(1, 'x')",
  "EXECUTE p(1, 'x')",
  'DECLARE c CURSOR FOR SELECT * FROM t WHERE a = 1',
  'FETCH 5 FROM c',
  'SELECT * FROM t ORDER BY a OFFSET 5 ROWS FETCH NEXT 5 ROWS WITH TIES',
  "COPY (SELECT * FROM t WHERE a = 'x') TO '/tmp/out.csv' WITH (FORMAT 'csv', DELIMITER ';')",
  "COPY t FROM PROGRAM ''",
  "DELETE FROM t WHERE 1 = 1 AND 'a' = 'a'",
  "UPDATE t SET a = 1 WHERE a = 1 RETURNING 'x', 5",
  "WITH d AS (DELETE FROM t WHERE id = 5 RETURNING *) SELECT * FROM d LIMIT 1",
  "EXPLAIN (ANALYZE 0, FORMAT 'json') WITH d AS (DELETE FROM t RETURNING *) SELECT 1",
  "SELECT * FROM t WHERE a = 1 UNION ALL SELECT * FROM u WHERE b = 'x' LIMIT 2",
];

const STRINGS = ["''", "'x'", "'0'", "'1'", "'on'", "'off'", "'role'", "'c'", "'é東京 — a longer text'", "'a''b'", "'DROP TABLE t'"];
const INTEGERS = ['0', '1', '7', '54', '2147483647', '99999999999', '1.5'];
const NUMBERS = ['0.5', '1e3', '3.14159', '99999999999', '7'];

/** The text with its constants replaced, several ways (each variant shifts which replacement each constant gets). */
function variants(sql: string, constants: readonly number[]): string[] {
  const out: string[] = [];
  for (let round = 0; round < 6; round++) {
    let text = '';
    let at = 0;
    for (let i = 0; i < constants.length; i += 2) {
      const start = constants[i]!;
      const end = constants[i + 1]!;
      const original = sql.slice(start, end);
      const pool = original.startsWith("'") ? STRINGS : /^\d+$/.test(original) ? INTEGERS : NUMBERS;
      text += sql.slice(at, start) + pool[(round + i / 2) % pool.length]!;
      at = end;
    }
    out.push(text + sql.slice(at));
  }
  return out;
}
