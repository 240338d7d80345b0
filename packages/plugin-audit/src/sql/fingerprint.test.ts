// Normalized statements and fingerprints: other values group together, other statements do not.
import { describe, expect, it } from 'vitest';
import { fingerprintSql, normalizeSql } from './fingerprint.js';

describe('normalizeSql', () => {
  it('replaces literals and placeholders, lowercases words, drops comments and extra spaces', () => {
    expect(normalizeSql("SELECT  *\nFROM Customers -- who\nWHERE id = 42 AND email = 'a@b.c' /* x */ AND n > $1;", 'postgres')).toBe(
      'select * from customers where id = ? and email = ? and n > ?',
    );
  });

  it('collapses IN lists and VALUES rows', () => {
    expect(normalizeSql('select 1 from t where id in (1, 2, 3)', 'postgres')).toBe(normalizeSql('select 1 from t where id in (7)', 'postgres'));
    expect(normalizeSql("insert into t values (1, 'a'), (2, 'b')", 'postgres')).toBe('insert into t values (?)');
  });

  it('keeps quoted identifiers as written', () => {
    expect(normalizeSql('select "Name" from "Public"."T"', 'postgres')).toBe('select "Name" from "Public"."T"');
  });

  it('knows each dialect’s strings, comments and placeholders', () => {
    expect(normalizeSql("select $$it's$$, E'a\\'b', $tag$x$tag$, count(*) from t", 'postgres')).toBe('select ?, ?, ?, count(*) from t');
    expect(normalizeSql('select "a\\"b", `col` from t where x = ? # note', 'mysql')).toBe('select ?, `col` from t where x = ?');
    expect(normalizeSql("select N'x', [my col] from t where y = 0x1F", 'mssql')).toBe('select ?, [my col] from t where y = ?');
  });
});

describe('fingerprintSql', () => {
  it('is the same for the same statement with other values, and differs for another statement', () => {
    const a = fingerprintSql("select * from customers where email = 'a@b.c'", 'postgres');
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintSql("SELECT * FROM customers WHERE email = 'x@y.z'", 'postgres')).toBe(a);
    expect(fingerprintSql("select * from orders where email = 'a@b.c'", 'postgres')).not.toBe(a);
  });
});
