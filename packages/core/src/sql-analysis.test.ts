// Tests for SqlParsers: which parser answers for a dialect, and the LRU cache of analyses by SQL text.
import { describe, expect, it, vi } from 'vitest';
import { SqlParsers, type SqlAnalysis, type SqlParser } from './sql-analysis.js';

/** Mirrors CACHE_SIZE in sql-analysis.ts, which is not exported. */
const CACHE_SIZE = 2_000;

function parser(dialect: string, label = dialect) {
  const parse = vi.fn(
    (sql: string): SqlAnalysis => ({
      statements: [{ kind: 'select', kinds: ['select'], tables: [], columns: [], functions: [label], location: { start: 0, end: sql.length } }],
    }),
  );
  return { parser: { dialect, parse } satisfies SqlParser, parse };
}

describe('SqlParsers registration', () => {
  it('answers undefined for a dialect without a parser', () => {
    const parsers = new SqlParsers();
    expect(parsers.has('postgres')).toBe(false);
    expect(parsers.analyze('postgres', 'SELECT 1')).toBeUndefined();
  });

  it('uses the first parser registered for a dialect', () => {
    const parsers = new SqlParsers();
    const first = parser('postgres', 'first');
    const second = parser('postgres', 'second');
    parsers.register(first.parser);
    parsers.register(second.parser);
    expect(parsers.has('postgres')).toBe(true);
    expect(parsers.analyze('postgres', 'SELECT 1')?.statements[0]?.functions).toEqual(['first']);
    expect(second.parse).not.toHaveBeenCalled();
  });

  it('keeps dialects apart, in the registry and in the cache', () => {
    const parsers = new SqlParsers();
    const postgres = parser('postgres');
    const mysql = parser('mysql');
    parsers.register(postgres.parser);
    parsers.register(mysql.parser);
    expect(parsers.analyze('postgres', 'SELECT 1')?.statements[0]?.functions).toEqual(['postgres']);
    expect(parsers.analyze('mysql', 'SELECT 1')?.statements[0]?.functions).toEqual(['mysql']);
    expect(postgres.parse).toHaveBeenCalledTimes(1);
    expect(mysql.parse).toHaveBeenCalledTimes(1);
  });
});

describe('SqlParsers cache', () => {
  it('parses a repeated SQL text once and returns the same analysis', () => {
    const parsers = new SqlParsers();
    const { parser: p, parse } = parser('postgres');
    parsers.register(p);
    const first = parsers.analyze('postgres', 'SELECT * FROM t');
    const again = parsers.analyze('postgres', 'SELECT * FROM t');
    expect(again).toBe(first);
    expect(parse).toHaveBeenCalledTimes(1);
    parsers.analyze('postgres', 'SELECT * FROM t ');
    expect(parse).toHaveBeenCalledTimes(2);
  });

  it('evicts the least recently used analysis once full', () => {
    const parsers = new SqlParsers();
    const { parser: p, parse } = parser('postgres');
    parsers.register(p);
    for (let i = 0; i < CACHE_SIZE; i++) parsers.analyze('postgres', `SELECT ${i}`);
    expect(parse).toHaveBeenCalledTimes(CACHE_SIZE);
    // Using SELECT 0 makes SELECT 1 the least recently used.
    parsers.analyze('postgres', 'SELECT 0');
    parsers.analyze('postgres', 'SELECT new');
    expect(parse).toHaveBeenCalledTimes(CACHE_SIZE + 1);
    parse.mockClear();
    parsers.analyze('postgres', 'SELECT 0');
    parsers.analyze('postgres', 'SELECT 2');
    parsers.analyze('postgres', 'SELECT new');
    expect(parse).not.toHaveBeenCalled();
    parsers.analyze('postgres', 'SELECT 1');
    expect(parse).toHaveBeenCalledExactlyOnceWith('SELECT 1');
  });

  it('keeps no cache in front of a parser that caches its own analyses, and still catches its throws', () => {
    const parsers = new SqlParsers();
    const parse = vi.fn((sql: string): SqlAnalysis => {
      if (sql === 'boom') throw new Error('parser bug');
      return { statements: [] };
    });
    parsers.register({ dialect: 'postgres', parse, cachesAnalyses: true });
    parsers.analyze('postgres', 'SELECT 1');
    parsers.analyze('postgres', 'SELECT 1');
    expect(parse).toHaveBeenCalledTimes(2);
    expect(parsers.analyze('postgres', 'boom')).toEqual({ statements: [], error: 'parser bug' });
  });

  it('turns a throwing parser into an analysis with no statements and the error, and caches it', () => {
    const parsers = new SqlParsers();
    const parse = vi.fn((sql: string): SqlAnalysis => {
      throw new Error(`syntax error at or near "${sql}"`);
    });
    parsers.register({ dialect: 'postgres', parse });
    let analysis: SqlAnalysis | undefined;
    expect(() => (analysis = parsers.analyze('postgres', 'SELEC'))).not.toThrow();
    expect(analysis).toEqual({ statements: [], error: 'syntax error at or near "SELEC"' });
    expect(parsers.analyze('postgres', 'SELEC')).toBe(analysis);
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('describes a thrown non-Error value too', () => {
    const parsers = new SqlParsers();
    parsers.register({
      dialect: 'postgres',
      parse: () => {
        throw 'parser gave up';
      },
    });
    expect(parsers.analyze('postgres', 'x')).toEqual({ statements: [], error: 'parser gave up' });
  });
});
