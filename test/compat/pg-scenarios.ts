// The node-postgres compatibility scenarios (pg, pg-cursor, pg-query-stream): each writes what the driver returned into a transcript.
import { createHash } from 'node:crypto';
import pg from 'pg';
import Cursor from 'pg-cursor';
import QueryStream from 'pg-query-stream';
import { DIRECT, TYPES_SQL, waitFor, type Run, type Transcript } from '../helpers/compat.js';

export interface InProcessScenario {
  readonly name: string;
  /** Text the direct run must show, so that two equally broken runs cannot pass. */
  readonly expect: readonly string[];
  run(target: Run, out: Transcript): Promise<void>;
}

function client(target: Run): pg.Client {
  return new pg.Client({ host: target.host, port: target.port, user: target.user, password: target.password, database: 'postgres', options: `-c search_path=${target.schema}` });
}

/** Connects, runs the body, and always closes the connection. */
async function withClient(target: Run, body: (c: pg.Client) => Promise<void>): Promise<void> {
  const c = client(target);
  await c.connect();
  try {
    await body(c);
  } finally {
    await c.end();
  }
}

function result(out: Transcript, r: pg.QueryResult): void {
  out.line('command:', r.command, 'rowCount:', r.rowCount);
  out.line('fields:', r.fields.map((f) => `${f.name}:${f.dataTypeID}:${f.format}`).join(' '));
  for (const row of r.rows) out.line('row:', row);
}

const LARGE_UNIT = 'abcdefghij☃é';
const LARGE_REPEAT = Math.floor((20 * 1024 * 1024) / Buffer.byteLength(LARGE_UNIT));
const LARGE_VALUE = LARGE_UNIT.repeat(LARGE_REPEAT);
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

export const PG_SCENARIOS: readonly InProcessScenario[] = [
  {
    name: 'types-text',
    expect: ['héllo wörld ☃ 日本語 🎉', 'Buffer(\\xdeadbeef00ff)', '"9007199254740993"', '[1, 2, NULL, 4]'],
    run: (target, out) => withClient(target, async (c) => result(out, await c.query(TYPES_SQL))),
  },
  {
    name: 'types-binary',
    expect: ['fields: int4:23:binary', '"héllo wörld ☃ 日本語 🎉 \\"quoted\\" \\\\back"', '"int_array": [1, 2, 4]'],
    run: (target, out) =>
      withClient(target, async (c) => {
        // Named, so pg uses the extended protocol, where results can be binary. pg-types' binary array parser takes
        // seconds on an int[] with a NULL element (a client-side problem, direct too): that column has none here.
        const sql = TYPES_SQL.replace('array[1, 2, null, 4]::int[]', 'array[1, 2, 4]::int[]');
        const r = await c.query({ name: 'compat-types-binary', text: sql, binary: true } as pg.QueryConfig);
        out.line('fields:', r.fields.map((f) => `${f.name}:${f.dataTypeID}:${f.format}`).join(' '));
        // pg decodes values it has no binary parser for as UTF-8 text of the raw bytes: lossy, but the same bytes give the same text.
        for (const row of r.rows) out.line('row:', row);
      }),
  },
  {
    name: 'parameters',
    expect: ['"héllo ☃ 日本語 🎉"', 'Buffer(\\xdead00ff)', '"100%"'],
    run: (target, out) =>
      withClient(target, async (c) => {
        const sql = `select $1::int as i, $2::bigint as big, $3::numeric as num, $4::text as t, $5::bytea as b, $6::bool as yes, $7::date as d,
          $8::timestamptz as tstz, $9::jsonb as jb, $10::int[] as ia, $11::text[] as ta, $12::uuid as u, $13::text as n, $14 as pct`;
        const values = [42, '9007199254740993', '12345678901234567890.123456789', 'héllo ☃ 日本語 🎉', Buffer.from([0xde, 0xad, 0, 0xff]), true, '2024-02-29',
          new Date('2024-02-29T13:14:15.123Z'), { b: [1, 2], a: 'ü' }, [1, 2, null, 4], ['a', 'b c', '"q"', null], '4a1b1c2d-3e4f-5a6b-7c8d-9e0fa1b2c3d4', null, '100%'];
        result(out, await c.query(sql, values));
        await out.attempt(() => c.query('select $1::int as i', ['not a number']));
        result(out, await c.query('select $1::text as after', ['after the error']));
      }),
  },
  {
    name: 'prepared-reuse',
    expect: ['"doubled": 10', '"square": 25', 'division by zero'],
    run: (target, out) =>
      withClient(target, async (c) => {
        for (let i = 1; i <= 5; i++) {
          result(out, await c.query({ name: 'compat-doubled', text: 'select $1::int * 2 as doubled, $2::text as label', values: [i, `run ${i}`] }));
          result(out, await c.query({ name: 'compat-squares', text: 'select g, g * g as square from generate_series(1, $1::int) g', values: [i] }));
        }
        for (const divisor of [5, 0, 2]) {
          await out.attempt(async () => result(out, await c.query({ name: 'compat-divide', text: 'select 10 / $1::int as q', values: [divisor] })));
        }
      }),
  },
  {
    name: 'savepoints',
    expect: ['[1, 3, 4]', 'duplicate key value'],
    run: (target, out) =>
      withClient(target, async (c) => {
        await c.query('create table sp_items (id int primary key)');
        for (const sql of ['begin', 'insert into sp_items values (1)', 'savepoint a', 'insert into sp_items values (2)', 'rollback to savepoint a',
          'insert into sp_items values (3)', 'savepoint b', 'insert into sp_items values (1)', 'rollback to savepoint b', 'release savepoint b',
          'insert into sp_items values ($1)', 'commit']) {
          await out.attempt(async () => out.line(sql, '->', (await c.query(sql, sql.includes('$1') ? [4] : undefined)).command));
        }
        result(out, await c.query('select array_agg(id order by id) as ids from sp_items'));
      }),
  },
  {
    name: 'error-in-transaction',
    expect: ['division by zero', '25P02', '[3]'],
    run: (target, out) =>
      withClient(target, async (c) => {
        await c.query('create table tx_items (id int)');
        await c.query('begin');
        await c.query('insert into tx_items values (1)');
        for (const [sql, values] of [['select 1 / 0', []], ['select 1', []], ['insert into tx_items values ($1)', [2]], ['select $1::int / 0', [1]]] as const) {
          await out.attempt(async () => out.line('ok:', (await c.query(sql, [...values])).command));
        }
        await c.query('rollback');
        await c.query('insert into tx_items values ($1)', [3]);
        result(out, await c.query('select array_agg(id) as ids from tx_items'));
      }),
  },
  {
    name: 'error-mid-result',
    expect: ['division by zero', 'still usable'],
    run: (target, out) =>
      withClient(target, async (c) => {
        await out.attempt(() => c.query('select g, 1 / (g - 50) as q from generate_series(1, 100) g'));
        await out.attempt(() => c.query('select g, 1 / (g - $1::int) as q from generate_series(1, 100) g', [50]));
        result(out, await c.query('select $1::text as state', ['still usable']));
      }),
  },
  {
    name: 'declare-fetch',
    expect: ['"row 5"', '"row 30"', 'MOVE'],
    run: (target, out) =>
      withClient(target, async (c) => {
        await c.query('begin');
        await c.query("declare compat_cur scroll cursor for select g, 'row ' || g as label from generate_series(1, 30) g");
        for (const sql of ['fetch 5 from compat_cur', 'fetch backward 2 from compat_cur', 'move forward 20 in compat_cur', 'fetch all from compat_cur']) {
          out.line(sql);
          result(out, await c.query(sql));
        }
        await c.query('close compat_cur');
        await c.query('commit');
      }),
  },
  {
    name: 'pg-cursor',
    expect: ['pages: 30 30 30 10', 'rows before the error: 49', 'division by zero'],
    run: (target, out) =>
      withClient(target, async (c) => {
        const cursor = c.query(new Cursor('select g, md5(g::text) as h from generate_series(1, $1::int) g', [100]));
        const pages: number[] = [];
        let last: unknown;
        for (;;) {
          const rows = await cursor.read(30);
          if (rows.length === 0) break;
          pages.push(rows.length);
          last = rows.at(-1);
        }
        await cursor.close();
        out.line('pages:', pages.join(' '), 'last:', last);
        const failing = c.query(new Cursor('select g, 1 / (g - 50) as q from generate_series(1, 100) g'));
        let seen = 0;
        await out.attempt(async () => {
          for (;;) {
            const rows = await failing.read(7);
            if (rows.length === 0) break;
            seen += rows.length;
          }
        });
        out.line('rows before the error:', seen);
        result(out, await c.query('select $1::text as state', ['after the cursors']));
      }),
  },
  {
    name: 'query-stream-200k',
    expect: ['rows: 200000', 'sum: 20000100000'],
    run: (target, out) =>
      withClient(target, async (c) => {
        const stream = c.query(new QueryStream('select g, md5(g::text) as h, $1::text as pad from generate_series(1, 200000) g', ['padding ☃'], { batchSize: 1000 }));
        const hash = createHash('md5');
        let rows = 0;
        let sum = 0;
        for await (const row of stream as AsyncIterable<{ g: number; h: string; pad: string }>) {
          rows++;
          sum += row.g;
          hash.update(`${row.g}${row.h}${row.pad}\n`);
        }
        out.line('rows:', rows, 'sum:', sum, 'md5:', hash.digest('hex'));
      }),
  },
  {
    name: 'listen-notify',
    expect: ['on the channel: "first"', 'on the channel: "second ☃"'],
    run: (target, out) =>
      withClient(target, async (listener) => {
        const channel = `${target.schema}_channel`;
        const received: string[] = [];
        listener.on('notification', (n) => received.push(`${n.channel === channel ? 'on the channel:' : 'elsewhere:'} ${JSON.stringify(n.payload)}`));
        await listener.query(`listen ${channel}`);
        await withClient({ ...DIRECT, schema: target.schema }, async (notifier) => {
          await notifier.query(`notify ${channel}, 'first'`);
          await notifier.query('select pg_notify($1, $2)', [channel, 'second ☃']);
        });
        await waitFor(() => received.length >= 2, 10_000, 'two notifications');
        for (const line of received) out.line(line);
        await listener.query(`unlisten ${channel}`);
      }),
  },
  {
    name: 'notices',
    expect: ['hello 42 ☃', 'careful', 'after notices'],
    run: (target, out) =>
      withClient(target, async (c) => {
        c.on('notice', (notice) => out.line('notice:', notice.severity, notice.code, JSON.stringify(notice.message), notice.hint ?? ''));
        await c.query("do $$ begin raise notice 'hello % ☃', 42; raise warning 'careful'; raise notice using message = 'coded', errcode = 'P0001', hint = 'a hint'; end $$");
        result(out, await c.query("select 'after notices' as state"));
      }),
  },
  {
    name: 'multiple-results',
    expect: ['"b": "two"', 'UPDATE', 'division by zero'],
    run: (target, out) =>
      withClient(target, async (c) => {
        const results = (await c.query(
          "select 1 as a; select 'two' as b, 2 as c; create temp table multi (x int); insert into multi values (1), (2); update multi set x = x + 1 returning x",
        )) as unknown as pg.QueryResult[];
        for (const r of results) result(out, r);
        await out.attempt(() => c.query('select 1 as a; select 1 / 0; select 3 as never'));
        result(out, await c.query('select count(*)::int as n from multi'));
      }),
  },
  {
    name: 'empty-query',
    expect: ['"command": NULL', 'fields: \n'],
    run: (target, out) =>
      withClient(target, async (c) => {
        // An empty query string: the server answers EmptyQueryResponse instead of CommandComplete.
        const empty = await c.query('');
        out.line('empty:', { command: empty.command, rowCount: empty.rowCount });
        out.line('fields:', empty.fields.map((f) => f.name).join(' '));
        const semicolons = await c.query(';;');
        out.line('semicolons:', { command: semicolons.command, rowCount: semicolons.rowCount });
        result(out, await c.query('select $1::text as after', ['after the empty queries']));
      }),
  },
  {
    name: 'cancel',
    expect: ['code="57014"', 'cancelled in under 4 s: true', 'after the cancel'],
    run: (target, out) =>
      withClient(target, async (c) => {
        // pg's (untyped) cancel opens a new connection and sends a CancelRequest with the key the session got at login.
        const started = Date.now();
        const sleeping = c.query('select pg_sleep(5)');
        const canceller = new pg.Client({ host: target.host, port: target.port }) as unknown as { cancel(client: pg.Client, query: unknown): void };
        const timer = setTimeout(() => canceller.cancel(c, (c as unknown as { activeQuery: unknown }).activeQuery), 300);
        await out.attempt(() => sleeping);
        clearTimeout(timer);
        out.line('cancelled in under 4 s:', Date.now() - started < 4_000);
        result(out, await c.query("select 'after the cancel' as state"));
      }),
  },
  {
    name: 'large-value',
    // About 20 MB each way: a parameter the server measures, then a value the server builds and the client measures.
    expect: ['octet_length": 20971515', 'received 20971515 bytes, md5 dda318c760f39185b869a4c58153d4d3'],
    run: (target, out) =>
      withClient(target, async (c) => {
        out.line('sending', Buffer.byteLength(LARGE_VALUE), 'bytes, md5', md5(LARGE_VALUE));
        result(out, await c.query('select octet_length(t), md5(t) from (select $1::text as t) s', [LARGE_VALUE]));
        const { rows } = await c.query("select repeat($1, $2) as body, 'after' as tail", [LARGE_UNIT, LARGE_REPEAT]);
        out.line('received', Buffer.byteLength(rows[0].body), 'bytes, md5', md5(rows[0].body), 'tail', rows[0].tail);
      }),
  },
];
