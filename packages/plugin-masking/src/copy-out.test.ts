// Which statements write rows to a server file or program, past Sluice (COPY … TO STDOUT is masked instead).
import type { QueryEvent } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { copiesToServer } from './copy-out.js';

const query = (sql: string): QueryEvent => ({ sql, dialect: 'postgres', via: 'simple', analysis: () => undefined, annotations: {} });

describe('copiesToServer', () => {
  it.each([
    "copy customers to '/tmp/customers.csv'",
    "COPY (SELECT * FROM customers WHERE email LIKE '%@x.com' AND id IN (SELECT (id) FROM t)) TO '/tmp/c.csv' WITH CSV HEADER",
    "copy customers to\n  '/tmp/customers.csv'",
    "COPY customers TO PROGRAM 'gzip > /tmp/c.gz'",
    "copy customers to E'/tmp/customers.csv'",
    "copy customers to U&'/tmp/customers.csv'",
    'copy customers to $$/tmp/customers.csv$$',
    'copy customers to $f$/tmp/customers.csv$f$ with csv',
    "select 1; copy customers to '/tmp/c'",
    'copy customers to stdout; copy customers to $$/tmp/c$$',
  ])('%s copies to the server', (sql) => {
    expect(copiesToServer(query(sql))).toBe(true);
  });

  it.each([
    'COPY customers FROM STDIN',
    "copy customers from stdin with (format csv, delimiter ';', quote '\"')",
    'copy customers (email, "to") from stdin',
    "copy customers from '/tmp/in.csv'",
    "select 'copy customers to stdout'",
    'select 1 -- copy t to stdout',
    'select copy_to from t',
    'select $$copy t to stdout$$',
    'select * from copy_jobs where target = 1',
    'COPY customers TO STDOUT',
    'copy customers (email, phone) to  stdout with (format csv)',
    "COPY (SELECT * FROM customers WHERE email LIKE '%@x.com' AND id IN (SELECT (id) FROM t)) TO STDOUT WITH CSV HEADER",
    'select 1; copy customers to stdout',
  ])('%s does not', (sql) => {
    expect(copiesToServer(query(sql))).toBe(false);
  });

  it('trusts a parser that says no statement is a COPY', () => {
    const q = { ...query("copy t to '/tmp/t'"), analysis: () => ({ statements: [{ kind: 'select', kinds: ['select'], tables: [], columns: [], functions: [] }] }) } as QueryEvent;
    expect(copiesToServer(q)).toBe(false);
  });
});
