// The postgres.js compatibility scenarios: pipelined extended-protocol queries, named statements, cursors, LISTEN, notices.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import postgres from 'postgres';
import { DIRECT, TYPES_SQL, waitFor, type Run, type Transcript } from '../helpers/compat.js';
import type { InProcessScenario } from './pg-scenarios.js';

type Sql = postgres.Sql;

/** One connection (max: 1), so a batch of queries is pipelined on it rather than spread over several. */
async function withSql(target: Run, out: Transcript, body: (sql: Sql) => Promise<void>): Promise<void> {
  const sql = postgres({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: 'postgres',
    max: 1,
    ssl: false,
    connection: { search_path: target.schema, application_name: 'compat postgres.js' },
    onnotice: (notice) => out.line('notice:', notice.severity, notice.code, JSON.stringify(notice.message), notice.hint ?? ''),
  });
  try {
    await body(sql);
  } finally {
    // A connection left with a stalled query is closed after a second instead of waiting for it.
    await sql.end({ timeout: 1 });
  }
}

function rows(out: Transcript, result: postgres.RowList<postgres.Row[]>): void {
  out.line('command:', result.command, 'count:', result.count);
  out.line('columns:', result.columns?.map((c) => `${c.name}:${c.type}`).join(' ') ?? '(none)');
  for (const row of result) out.line('row:', row);
}

const LARGE_UNIT = 'abcdefghij☃é';
const LARGE_REPEAT = Math.floor((20 * 1024 * 1024) / Buffer.byteLength(LARGE_UNIT));
const LARGE_VALUE = LARGE_UNIT.repeat(LARGE_REPEAT);
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
/** Rows sent by COPY FROM STDIN, one CopyData each: about 450 kB, more than a socket takes at once. */
const COPY_ROWS = 20_000;
/** Such a COPY takes about a second here; one that has not finished after five never will. */
const COPY_PATIENCE_MS = 5_000;

function within<T>(ms: number, work: Promise<T>): Promise<T | 'stalled'> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), ms)));
  return Promise.race([work, stalled]).finally(() => clearTimeout(timer));
}

export const POSTGRES_JS_SCENARIOS: readonly InProcessScenario[] = [
  {
    name: 'types',
    // postgres.js reads NULL array elements as NaN or 'NULL': its own quirk, the same either way.
    expect: ['héllo wörld ☃ 日本語 🎉', 'Buffer(\\xdeadbeef00ff)', '"int_array": [1, 2, NaN, 4]'],
    run: (target, out) => withSql(target, out, async (sql) => rows(out, await sql.unsafe(TYPES_SQL))),
  },
  {
    name: 'parameters',
    expect: ['"héllo ☃ 日本語 🎉"', 'Buffer(\\xdead00ff)', '"ü"'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        rows(out, await sql`select ${42}::int as i, ${'9007199254740993'}::bigint as big, ${'12345678901234567890.123456789'}::numeric as num,
          ${'héllo ☃ 日本語 🎉'}::text as t, ${Buffer.from([0xde, 0xad, 0, 0xff])}::bytea as b, ${true}::bool as yes,
          ${new Date('2024-02-29T13:14:15.123Z')}::timestamptz as tstz, ${sql.json({ b: [1, 2], a: 'ü' })}::jsonb as jb,
          ${sql.array([1, 2, 3], 1007)}::int[] as ia, ${'4a1b1c2d-3e4f-5a6b-7c8d-9e0fa1b2c3d4'}::uuid as u, ${null}::text as n`);
        rows(out, await sql`select ${sql.unsafe('1')} + ${41} as dynamic, ${'x'} || ${'y'} as joined`);
        await out.attempt(() => sql`select ${'not a number'}::int as i`);
      }),
  },
  {
    name: 'pipeline-batch',
    expect: ['fulfilled', 'rejected', 'division by zero', '"n": 99'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        // All sent before any answer is read: one connection, many queries in flight.
        const batch = Array.from({ length: 100 }, (_, i) =>
          i === 50 ? sql`select 1 / ${0}::int as boom` : i % 3 === 0 ? sql`select ${i}::int as n, ${`label ${i}`}::text as label` : sql`select count(*)::int as n from generate_series(1, ${i}::int)`,
        );
        const settled = await Promise.allSettled(batch);
        for (const [i, s] of settled.entries()) {
          if (s.status === 'fulfilled') out.line(i, 'fulfilled', [...s.value]);
          else out.line(i, 'rejected', (s.reason as Error).message, (s.reason as { code?: string }).code ?? '');
        }
        const [a, b, c] = await Promise.all([sql`select ${1}::int as one`, sql`select ${'two'}::text as two`, sql`select ${[1, 2]}::int[] as three`]);
        out.line('after:', [...a!], [...b!], [...c!]);
      }),
  },
  {
    name: 'prepared-reuse',
    expect: ['"doubled": 10', '"square": 25', 'division by zero'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        for (let i = 1; i <= 5; i++) {
          rows(out, await sql`select ${i}::int * 2 as doubled, ${`run ${i}`}::text as label`);
          rows(out, await sql`select g, g * g as square from generate_series(1, ${i}::int) g`);
        }
        for (const divisor of [5, 0, 2]) await out.attempt(async () => rows(out, await sql`select 10 / ${divisor}::int as q`));
      }),
  },
  {
    name: 'savepoints',
    expect: ['[1, 3, 4]', 'duplicate key value'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        await sql`create table sp_items (id int primary key)`;
        await sql.begin(async (tx) => {
          await tx`insert into sp_items values (${1})`;
          await out.attempt(() =>
            tx.savepoint(async (sp) => {
              await sp`insert into sp_items values (${2})`;
              throw new Error('undo the savepoint');
            }),
          );
          await tx`insert into sp_items values (${3})`;
          await out.attempt(() => tx.savepoint((sp) => sp`insert into sp_items values (${1})`));
          await tx.savepoint((sp) => sp`insert into sp_items values (${4})`);
        });
        rows(out, await sql`select array_agg(id order by id) as ids from sp_items`);
      }),
  },
  {
    name: 'error-in-transaction',
    expect: ['division by zero', '25P02', '[3]'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        await sql`create table tx_items (id int)`;
        await out.attempt(() =>
          sql.begin(async (tx) => {
            await tx`insert into tx_items values (${1})`;
            await out.attempt(() => tx`select 1 / ${0}::int`);
            await out.attempt(() => tx`select 1`);
            throw new Error('give up the transaction');
          }),
        );
        await sql`insert into tx_items values (${3})`;
        rows(out, await sql`select array_agg(id) as ids from tx_items`);
      }),
  },
  {
    name: 'error-mid-result',
    expect: ['division by zero', 'still usable'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        await out.attempt(() => sql`select g, 1 / (g - ${50}::int) as q from generate_series(1, 100) g`);
        await out.attempt(() => sql.unsafe('select g, 1 / (g - 50) as q from generate_series(1, 100) g').simple());
        rows(out, await sql`select ${'still usable'}::text as state`);
      }),
  },
  {
    name: 'cursor',
    expect: ['pages: 25 25 25 25', 'rows before the error: 49', 'division by zero'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        const pages: number[] = [];
        const hash = createHash('md5');
        for await (const page of sql`select g, md5(g::text) as h from generate_series(1, ${100}::int) g`.cursor(25)) {
          pages.push(page.length);
          for (const row of page) hash.update(`${row.g}${row.h}`);
        }
        out.line('pages:', pages.join(' '), 'md5:', hash.digest('hex'));
        let seen = 0;
        await out.attempt(async () => {
          for await (const page of sql`select g, 1 / (g - 50) as q from generate_series(1, 100) g`.cursor(7)) seen += page.length;
        });
        out.line('rows before the error:', seen);
        rows(out, await sql`select ${'after the cursors'}::text as state`);
      }),
  },
  {
    name: 'listen-notify',
    expect: ['on the channel: "first"', 'on the channel: "second ☃"'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        const channel = `${target.schema}_channel`;
        const received: string[] = [];
        const listening = await sql.listen(channel, (payload) => received.push(`on the channel: ${JSON.stringify(payload)}`));
        const notifier = new pg.Client({ host: DIRECT.host, port: DIRECT.port, user: DIRECT.user, database: 'postgres' });
        await notifier.connect();
        await notifier.query(`notify ${channel}, 'first'`);
        await notifier.query('select pg_notify($1, $2)', [channel, 'second ☃']);
        await notifier.end();
        await waitFor(() => received.length >= 2, 10_000, 'two notifications');
        for (const line of received) out.line(line);
        await listening.unlisten();
      }),
  },
  {
    name: 'notices',
    expect: ['hello 42 ☃', 'careful', 'after notices'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        await sql`do $$ begin raise notice 'hello % ☃', 42; raise warning 'careful'; raise notice using message = 'coded', errcode = 'P0001', hint = 'a hint'; end $$`;
        rows(out, await sql`select 'after notices' as state`);
      }),
  },
  {
    name: 'multiple-results',
    expect: ['"b": "two"', 'UPDATE', 'division by zero'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        const results = (await sql
          .unsafe("select 1 as a; select 'two' as b, 2 as c; create temp table multi (x int); insert into multi values (1), (2); update multi set x = x + 1 returning x")
          .simple()) as unknown as postgres.RowList<postgres.Row[]>[];
        for (const r of results) rows(out, r);
        await out.attempt(() => sql.unsafe('select 1 as a; select 1 / 0; select 3 as never').simple());
        rows(out, await sql`select count(*)::int as n from multi`);
      }),
  },
  {
    name: 'cancel',
    expect: ['code="57014"', 'cancelled in under 4 s: true', 'after the cancel'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        const started = Date.now();
        const sleeping = sql`select pg_sleep(${5})`.execute();
        setTimeout(() => sleeping.cancel(), 300);
        await out.attempt(() => sleeping);
        out.line('cancelled in under 4 s:', Date.now() - started < 4_000);
        rows(out, await sql`select 'after the cancel' as state`);
      }),
  },
  {
    name: 'parameter-status',
    expect: ['"application_name": "compat postgres.js"', '"application_name": "changed"', '"TimeZone": "America/New_York"'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        // postgres.js keeps the ParameterStatus values it has been sent, at login and after SET.
        await sql`select 1`;
        const pick = () => ({ application_name: sql.parameters.application_name, TimeZone: sql.parameters.TimeZone, DateStyle: sql.parameters.DateStyle });
        out.line('at login:', pick());
        await sql`set application_name = 'changed'`;
        await sql.unsafe("set TimeZone = 'America/New_York'");
        out.line('after set:', pick());
        rows(out, await sql`select timestamptz '2024-02-29 13:14:15+00'::text as t`);
      }),
  },
  {
    name: 'copy',
    expect: ['copied in: 20000 sum: 200010000', '1\\tlabel 1 ☃\\n2\\tlabel 2 ☃', '20000\\tlabel 20000 ☃\\n'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        await sql`create table copy_items (id int primary key, label text)`;
        const writable = await sql`copy copy_items from stdin`.writable();
        // One CopyData message per row, written as fast as the socket takes them, then CopyDone.
        const copying = pipeline(Readable.from(Array.from({ length: COPY_ROWS }, (_, i) => `${i + 1}\tlabel ${i + 1} ☃\n`)), writable).then(() => 'done');
        copying.catch(() => undefined);
        if ((await within(COPY_PATIENCE_MS, copying)) === 'stalled') {
          out.line(`COPY FROM STDIN did not complete within ${COPY_PATIENCE_MS} ms`);
          return;
        }
        const [copied] = await sql`select count(*)::int as n, sum(id)::int as sum from copy_items`;
        out.line('copied in:', copied!.n, 'sum:', copied!.sum);
        const readable = await sql`copy (select * from copy_items where id <= 5 or id % 5000 = 0 order by id) to stdout`.readable();
        const chunks: Buffer[] = [];
        for await (const chunk of readable) chunks.push(chunk as Buffer);
        out.line('copied out:', JSON.stringify(Buffer.concat(chunks).toString()));
        // Not here: a COPY TO that fails midway, which postgres.js 3.4 turns into an unhandled stream error even directly.
        rows(out, await sql`select ${'after the copies'}::text as state`);
      }),
  },
  {
    name: 'large-value',
    // About 20 MB each way: a parameter the server measures, then a value the server builds and the client measures.
    expect: ['octet_length": 20971515', 'received 20971515 bytes, md5 dda318c760f39185b869a4c58153d4d3'],
    run: (target, out) =>
      withSql(target, out, async (sql) => {
        out.line('sending', Buffer.byteLength(LARGE_VALUE), 'bytes, md5', md5(LARGE_VALUE));
        rows(out, await sql`select octet_length(t), md5(t) from (select ${LARGE_VALUE}::text as t) s`);
        const [back] = await sql`select repeat(${LARGE_UNIT}, ${LARGE_REPEAT}) as body, 'after' as tail`;
        out.line('received', Buffer.byteLength(back!.body as string), 'bytes, md5', md5(back!.body as string), 'tail', back!.tail);
      }),
  },
];
