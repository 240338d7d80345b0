// The psql compatibility scenarios: one script each, fed to psql on stdin (so \copy ... from stdin reads the lines after it).
import { TYPES_SQL, TYPES_SQL_FILE } from '../helpers/compat.js';

export interface PsqlScenario {
  readonly name: string;
  readonly script: string;
  /** Text the direct run must show, so that two equally broken runs cannot pass. */
  readonly expect: readonly string[];
  /** The oldest psql that has the meta-commands the script uses, and why. */
  readonly needs?: { readonly major: number; readonly why: string };
}

export const PSQL_SCENARIOS: readonly PsqlScenario[] = [
  {
    name: 'types',
    script: `\\pset null '(null)'\n\\x on\n${TYPES_SQL};\n`,
    expect: ['héllo wörld ☃ 日本語 🎉', '\\xdeadbeef00ff', '{a,"b c","\\"q\\"",NULL,ü}', '(null)'],
  },
  {
    name: 'gset',
    script: `select 7 as seven, 'two words' as label, null as nothing \\gset pre_
\\echo :pre_seven :'pre_label' [:pre_nothing]
select :pre_seven * 6 as answer, :'pre_label' as label;
select 'x' as missing where false \\gset
\\echo rows :ROW_COUNT
select 1 as first \\; select 2 as second \\gset
\\echo :second
select 1 / 0 as boom \\gset
\\echo :SQLSTATE :ERROR
`,
    expect: ["7 'two words' [:pre_nothing]", '42 | two words', 'no rows returned for \\gset', '2\n', '22012 true'],
  },
  {
    name: 'copy',
    script: `create table copy_items (id int primary key, label text, amount numeric(12, 2));
\\copy copy_items from stdin with (format csv)
1,"label, 1 ☃",1.25
2,two,2.50
\\.
\\copy copy_items (id, label) from stdin
3	three
4	\\N
\\.
copy copy_items from stdin;
5	five	5.5
\\.
\\copy copy_items from stdin with (format csv)
6,bad,not-a-number
\\.
\\copy copy_items (id) from program 'seq 100 20099'
select count(*), sum(id), sum(amount) from copy_items;
\\copy (select * from copy_items where id < 10 or id % 5000 = 0 order by id) to stdout with (format csv, header)
copy (select id, label from copy_items where id < 10 order by id) to stdout;
\\copy (select g, 1 / (g - 50) from generate_series(1, 100) g) to stdout
select md5(string_agg(id::text || label, ',' order by id)) from copy_items;
`,
    expect: ['COPY 2', 'COPY 20000', '1,"label, 1 ☃",1.25', 'invalid input syntax for type numeric', '48\t0\n49\t-1\n', 'division by zero'],
  },
  {
    name: 'savepoints',
    script: `create table sp_items (id int primary key);
begin;
insert into sp_items values (1);
savepoint a;
insert into sp_items values (2);
rollback to savepoint a;
insert into sp_items values (3);
savepoint b;
insert into sp_items values (1);
rollback to b;
release savepoint b;
insert into sp_items values (4);
commit;
select array_agg(id order by id) from sp_items;
`,
    expect: ['{1,3,4}', 'duplicate key value'],
  },
  {
    name: 'error-in-transaction',
    script: `create table tx_items (id int);
begin;
insert into tx_items values (1);
select 1 / 0;
select 1;
rollback;
\\set ON_ERROR_ROLLBACK on
begin;
insert into tx_items values (2);
select 1 / 0;
insert into tx_items values (3);
commit;
select array_agg(id order by id) from tx_items;
`,
    expect: ['division by zero', 'current transaction is aborted', '{2,3}'],
  },
  {
    name: 'error-mid-result',
    script: `select g, 1 / (g - 50) as q from generate_series(1, 100) g;
\\set FETCH_COUNT 10
select g, 1 / (g - 50) as q from generate_series(1, 100) g;
\\unset FETCH_COUNT
select 'still usable' as state;
`,
    expect: ['division by zero', ' 40 | 0', 'still usable'],
  },
  {
    name: 'declare-fetch',
    script: `begin;
declare compat_cur scroll cursor for select g, 'row ' || g as label from generate_series(1, 30) g;
fetch 5 from compat_cur;
fetch backward 2 from compat_cur;
move forward 20 in compat_cur;
fetch all from compat_cur;
close compat_cur;
commit;
`,
    expect: ['row 5', 'row 30', 'MOVE 20'],
  },
  {
    name: 'notices',
    script: `do $$ begin raise notice 'hello % ☃', 42; raise warning 'careful'; end $$;
\\set VERBOSITY verbose
do $$ begin raise notice using message = 'with a code', errcode = 'P0001', hint = 'a hint'; end $$;
select 'after notices' as state;
`,
    expect: ['NOTICE:  hello 42 ☃', 'WARNING:  careful', 'HINT:  a hint'],
  },
  {
    name: 'listen-notify',
    // The notification comes from another connection, made directly to the server; psql shows it after its next command.
    script: `listen :chan;
\\! psql -X -q -h 127.0.0.1 -p 5432 -U postgres -d postgres -c "notify $COMPAT_CHANNEL, 'from another connection ☃'"
select 'after notify' as state;
unlisten *;
`,
    expect: ['Asynchronous notification "<schema>_channel" with payload "from another connection ☃"'],
  },
  {
    name: 'multiple-results',
    script: `select 1 as a \\; select 'two' as b, 2 as c \\; select 3 as d;
select 1 as a \\; select 1 / 0 \\; select 3 as never;
create temp table multi (x int) \\; insert into multi values (1), (2) \\; update multi set x = x + 1 returning x;
`,
    expect: ['two', 'division by zero', 'UPDATE 2'],
  },
  {
    name: 'large-value',
    // About 20 MB comes back in one row into a variable, and goes back to the server in one query.
    script: `select repeat('abcdefghij☃é', 1398101) as big \\gset
select octet_length(t) as bytes, md5(t) from (select :'big'::text as t) s;
`,
    expect: ['20971515', 'dda318c760f39185b869a4c58153d4d3'],
  },
  {
    name: 'parameter-status',
    // psql learns client_encoding from the ParameterStatus message the server sends after SET.
    script: `\\encoding
set client_encoding = 'LATIN1';
\\encoding
reset client_encoding;
\\encoding
set application_name = 'changed';
select current_setting('application_name');
`,
    expect: ['UTF8\nSET\nLATIN1\nRESET\nUTF8', 'changed'],
  },
  {
    name: 'large-object',
    // libpq's lo_import, lo_export and lo_unlink use the fast-path function call protocol.
    script: `\\set QUIET on
begin;
\\lo_import '${TYPES_SQL_FILE}'
select octet_length(lo_get(:LASTOID)) as imported_bytes;
\\lo_export :LASTOID '/dev/null'
\\lo_unlink :LASTOID
\\echo exported and unlinked
rollback;
`,
    expect: [`${Buffer.byteLength(TYPES_SQL)}\n(1 row)`, 'exported and unlinked'],
  },
  {
    name: 'bind',
    script: `select $1::int + $2::int as sum, $3::text as label \\bind 40 2 'héllo' \\g
select 10 / $1::int as q \\bind 0 \\g
select 'after' as state \\bind \\g
`,
    expect: ['42', 'division by zero', 'after'],
    needs: { major: 16, why: 'psql has \\bind since version 16' },
  },
  {
    name: 'pipelined-bind',
    script: `\\startpipeline
select $1::int as one \\bind 1 \\sendpipeline
select $1::text as two \\bind 'two' \\sendpipeline
\\syncpipeline
select 1 / $1::int as boom \\bind 0 \\sendpipeline
select 'skipped after the error' as never \\bind \\sendpipeline
\\endpipeline
select 'after the pipeline' as state;
`,
    expect: ['two', 'division by zero', 'after the pipeline'],
    needs: { major: 18, why: 'psql has \\bind since 16 and pipelines (\\startpipeline, \\sendpipeline) since 18' },
  },
];
