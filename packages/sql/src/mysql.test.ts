// MySQL/MariaDB analysis, table-driven: kinds, tables, columns, WHERE/LIMIT, functions, fallback, and bypass attempts.
import type { SqlParser } from '@sluice/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSqlParser } from './index.js';
import { c, checkCase, type Case } from './testing/cases.js';

let parser: SqlParser;
beforeAll(async () => {
  parser = await createSqlParser('mysql');
});

const statements: Case[] = [
  c('select with backticks', 'SELECT `u`.`id`, `u`.`email` FROM `app`.`users` AS `u` WHERE `u`.`id` = ? LIMIT 1', {
    kind: 'select', kinds: ['select'], tables: ['read:app.users'], columns: ['read:app.users.id', 'read:app.users.email'], hasLimit: true, functions: [],
  }),
  c('insert', "INSERT INTO orders (id, total) VALUES (1, 2.5)", { kind: 'insert', tables: ['write:orders'], columns: ['write:orders.id', 'write:orders.total'] }),
  c('insert ... select', 'INSERT INTO archive SELECT * FROM orders WHERE created_at < NOW()', { kind: 'insert', tables: ['write:archive', 'read:orders'], functions: ['now'] }),
  c('insert ... on duplicate key update', 'INSERT INTO inventory (sku, qty) VALUES (?, ?) ON DUPLICATE KEY UPDATE qty = qty + VALUES(qty)', {
    kind: 'insert', kinds: ['insert'], tables: ['write:inventory'], columns: ['write:inventory.qty'],
  }),
  c('replace', "REPLACE INTO cache (k, v) VALUES ('a', 'b')", { kind: 'insert', tables: ['write:cache'] }),
  c('update with WHERE and LIMIT', "UPDATE users SET name = 'x' WHERE id = 1 ORDER BY id LIMIT 1", {
    kind: 'update', tables: ['write:users'], columns: ['write:users.name', 'read:users.id'], hasWhere: true, hasLimit: true,
  }),
  c('update without WHERE', 'UPDATE users SET admin = 1', { kind: 'update', hasWhere: false, hasLimit: false }),
  c('delete WHERE 1=1 does not restrict', 'DELETE FROM sessions WHERE 1=1', { kind: 'delete', tables: ['write:sessions'], hasWhere: false }),
  c('multi-table update', 'UPDATE orders o JOIN customers c ON c.id = o.customer_id SET o.region = c.region WHERE o.region IS NULL', {
    kind: 'update', tables: ['write:orders', 'read:customers'], columns: ['write:orders.region', 'read:customers.region'], hasWhere: true,
  }),
  c('multi-table delete', 'DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id WHERE t2.x = 1', { kind: 'delete', tables: ['write:t1', 'read:t2'], hasWhere: true }),
  c('create table', 'CREATE TABLE `accounts` (`id` bigint NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`)) ENGINE=InnoDB', { kind: 'create', tables: ['write:accounts'] }),
  c('create index', 'CREATE INDEX idx ON orders (created_at)', { kind: 'create', tables: ['write:orders'] }),
  c('drop', 'DROP TABLE IF EXISTS a, b.c', { kind: 'drop', tables: ['write:a', 'write:b.c'] }),
  c('truncate', 'TRUNCATE TABLE cache', { kind: 'truncate', tables: ['write:cache'] }),
  c('rename', 'RENAME TABLE a TO b', { kind: 'alter', tables: ['write:a', 'write:b'] }),
  c('alter', 'ALTER TABLE accounts ADD COLUMN last_seen DATETIME', { kind: 'alter', tables: ['write:accounts'] }),
  c('grant', "GRANT SELECT, INSERT ON app.* TO 'app'@'%'", { kind: 'grant', kinds: ['grant'] }),
  c('revoke', "REVOKE INSERT ON app.* FROM 'app'@'%'", { kind: 'revoke', kinds: ['revoke'] }),
  c('set password', "SET PASSWORD FOR 'app'@'%' = 'x'", { kind: 'alter' }),
  c('set names (fallback, complete)', 'SET NAMES utf8mb4', { kind: 'set', kinds: ['set'], tables: [], functions: [] }),
  c('set names collate', "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'", { kind: 'set', kinds: ['set'] }),
  c('set from a subquery reads the table', 'SET @a = (SELECT password FROM users LIMIT 1)', { kind: 'set', tables: ['read:users'], columns: ['read:users.password'] }),
  c('show', 'SHOW FULL COLUMNS FROM users', { kind: 'show', kinds: ['show'], tables: ['read:users'] }),
  c('show create table is not a create', 'SHOW CREATE TABLE accounts', { kind: 'show', kinds: ['show'] }),
  c('describe', 'DESCRIBE orders', { kind: 'show', tables: ['read:orders'] }),
  c('use', 'USE app', { kind: 'set' }),
  c('transactions', 'START TRANSACTION; SAVEPOINT a; ROLLBACK TO SAVEPOINT a; COMMIT', [
    { kind: 'transaction' }, { kind: 'transaction' }, { kind: 'transaction' }, { kind: 'transaction' },
  ]),
  c('call', "CALL archive_orders('2023-01-01')", { kind: 'call', functions: ['archive_orders'] }),
  c('prepare from a literal: unknown, plus what it holds', "PREPARE s FROM 'DELETE FROM users'", {
    kind: 'unknown', kinds: ['unknown', 'delete'], tables: ['write:users'],
  }),
  c('prepare from a variable: unknown', 'PREPARE s FROM @sql', { kind: 'unknown', kinds: ['unknown'], tables: [] }),
  c('execute a prepared statement', 'EXECUTE s USING @a', { kind: 'execute', kinds: ['execute'] }),
  c('deallocate', 'DEALLOCATE PREPARE s', { kind: 'other', kinds: ['other'] }),
  c('explain', 'EXPLAIN SELECT * FROM orders WHERE id = 1', { kind: 'explain', kinds: ['explain'], tables: ['read:orders'] }),
  c('explain format', 'EXPLAIN FORMAT=JSON DELETE FROM orders', { kind: 'explain', kinds: ['explain'], tables: ['read:orders'] }),
  c('lock tables', 'LOCK TABLES accounts WRITE, orders READ', { kind: 'other', kinds: ['other'], tables: ['read:accounts', 'read:orders'] }),
  c('load data infile', "LOAD DATA INFILE '/var/lib/mysql-files/x.csv' INTO TABLE orders", { kind: 'copy', tables: ['write:orders'], functions: ['load data infile'] }),
  c('load data local infile', "LOAD DATA LOCAL INFILE '/tmp/x.csv' INTO TABLE app.orders FIELDS TERMINATED BY ','", {
    kind: 'copy', tables: ['write:app.orders'], functions: ['load data local infile'],
  }),
  c('CTE names are not tables', 'WITH x AS (SELECT * FROM orders) SELECT * FROM x', { kind: 'select', tables: ['read:orders'] }),
  c('create procedure: the body is stored', 'CREATE PROCEDURE p() BEGIN DELETE FROM t; UPDATE u SET a = 1; END; DROP TABLE z', [
    { kind: 'create', kinds: ['create'], tables: [] },
    { kind: 'drop', tables: ['write:z'], text: 'DROP TABLE z' },
  ]),
  c('MariaDB anonymous block', 'BEGIN NOT ATOMIC DELETE FROM t; SELECT 1; END', { kind: 'block', kinds: ['block', 'delete', 'unknown'], tables: ['write:t'] }),
  c('MariaDB RETURNING', 'DELETE FROM sessions WHERE id = 1 RETURNING id', { kind: 'delete', tables: ['write:sessions'], hasWhere: true }),
  c('a large dump INSERT skips the tree but is complete', `INSERT INTO \`orders\` (\`id\`, \`note\`) VALUES ${Array.from({ length: 3000 }, (_, i) => `(${i},'note ${i}',NULL)`).join(',')}`, {
    kind: 'insert', kinds: ['insert'], tables: ['write:orders'], columns: ['write:orders.id', 'write:orders.note'],
  }),
  c('locations', 'SELECT 1;\n  DELETE FROM t ;', [{ kind: 'select', text: 'SELECT 1' }, { kind: 'delete', text: 'DELETE FROM t' }]),
  c('empty string', '', []),
  c('comment only', '# nothing', []),
  c('unterminated string', "SELECT 'abc", { error: /unterminated string/ }),
  c('unterminated comment', 'SELECT 1 /* never closed', { error: /unterminated comment/ }),
  c('unknown leading word', 'FROBNICATE the database', { kind: 'unknown', kinds: ['unknown'] }),
  c('a backslash-escaped quote reads one way', "SELECT 'It\\'s'", { kind: 'select', kinds: ['select'] }),
];

const bypasses: Case[] = [
  c('comments around keywords', '/**/DROP/**/TABLE/**/x', { kind: 'drop', tables: ['write:x'] }),
  c('hash comment hides the rest of the line only', 'SELECT 1 # ; DROP TABLE x\n; DROP TABLE y', [{ kind: 'select' }, { kind: 'drop', tables: ['write:y'] }]),
  c('dash-dash comment needs a space', 'SELECT 1--1 UNION SELECT password FROM users', { kind: 'select', tables: ['read:users'] }),
  c('dash-dash comment with a space', 'SELECT 1 -- UNION SELECT password FROM users', { kind: 'select', tables: [] }),
  c('executable comment is SQL', 'SELECT 1 /*! UNION SELECT password FROM users */', { kind: 'select', tables: ['read:users'] }),
  c('versioned executable comment is SQL', '/*!50000 DROP TABLE x */', { kind: 'drop', tables: ['write:x'] }),
  c('MariaDB executable comment is SQL', '/*M!100100 DROP TABLE x */', { kind: 'drop', tables: ['write:x'] }),
  c('optimizer hints are comments', 'SELECT /*+ MAX_EXECUTION_TIME(1000) */ * FROM t', { kind: 'select', tables: ['read:t'] }),
  c('mixed case and backticks', 'DrOp TaBlE `Users`', { kind: 'drop', tables: ['write:Users'] }),
  c('several statements', 'SELECT 1; DELETE FROM t', [{ kind: 'select' }, { kind: 'delete', tables: ['write:t'], hasWhere: false }]),
  c('semicolon inside a string', "SELECT ';DROP TABLE x;'", { kind: 'select', kinds: ['select'] }),
  c('escaped quote inside a string', "SELECT 'a\\'b' AS c", { kind: 'select', kinds: ['select'], tables: [] }),
  // With backslash escapes it is one string; with NO_BACKSLASH_ESCAPES the DROP runs before the stray quote fails.
  c('escaped quote then statements inside a string read two ways', "SELECT 'a\\';DROP TABLE x;'", { kind: 'select', kinds: ['select', 'drop', 'unknown'], tables: ['write:x'] }),
  c('non-breaking space between keywords', 'DROP\u00a0TABLE x', { kind: 'drop', tables: ['write:x'] }),
  c('EXPLAIN ANALYZE runs the statement', 'EXPLAIN ANALYZE DELETE FROM users', { kind: 'explain', kinds: ['explain', 'delete'], tables: ['write:users'], hasWhere: false }),
  c('MariaDB ANALYZE runs the statement', 'ANALYZE DELETE FROM users WHERE id > 0', { kind: 'explain', kinds: ['explain', 'delete'], tables: ['write:users'], hasWhere: true }),
  c('ANALYZE TABLE is maintenance', 'ANALYZE TABLE users', { kind: 'other', kinds: ['other'], tables: ['read:users'] }),
  c('file functions', "SELECT LOAD_FILE('/etc/passwd'), sys_exec('id')", { kind: 'select', functions: ['load_file', 'sys_exec'] }),
  c('INTO OUTFILE', "SELECT * FROM users INTO OUTFILE '/tmp/u.csv'", { kind: 'select', tables: ['read:users'], functions: ['into outfile'] }),
  c('INTO DUMPFILE', "SELECT password FROM users LIMIT 1 INTO DUMPFILE '/tmp/p'", { kind: 'select', functions: ['into dumpfile'] }),
  c('a UDF library', "CREATE FUNCTION sys_exec RETURNS INTEGER SONAME 'lib_mysqludf_sys.so'", { kind: 'create', functionsInclude: ['load library'] }),
  c('a plugin library', "INSTALL PLUGIN backdoor SONAME 'backdoor.so'", { kind: 'other', functionsInclude: ['load library'] }),
  c('HANDLER reads rows', 'HANDLER users OPEN', { kind: 'select', tables: ['read:users'] }),
  c('dynamic SQL in PREPARE', "PREPARE s FROM 'DROP TABLE users'", { kind: 'unknown', kinds: ['unknown', 'drop'], tables: ['write:users'] }),
  c('dynamic SQL in PREPARE from a hex string', "PREPARE s FROM X'44524f50205441424c45207573657273'", { kind: 'unknown', kinds: ['unknown', 'drop'], tables: ['write:users'] }),
  c('MariaDB NEXT VALUE FOR advances a sequence', 'SELECT NEXT VALUE FOR s', { kind: 'select', functionsInclude: ['next value for'] }),
  c('backslash read under NO_BACKSLASH_ESCAPES', "SELECT 'a\\' , 1; DROP TABLE t; -- '", {
    kind: 'select', kinds: ['select', 'drop', 'unknown'], tables: ['write:t'],
  }),
  c('a hidden statement after a partial string under NO_BACKSLASH_ESCAPES', "SELECT 'x\\'; DROP TABLE t; SELECT '", {
    kind: 'select', kinds: ['select', 'drop', 'unknown'], tables: ['write:t'],
  }),
];

describe('mysql analysis', () => {
  it('names its dialect', () => {
    expect(parser.dialect).toBe('mysql');
  });
  it.each(statements.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    checkCase(parser.parse(testCase.sql), testCase);
  });
});

describe('mysql bypass attempts', () => {
  it.each(bypasses.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    checkCase(parser.parse(testCase.sql), testCase);
  });
});
