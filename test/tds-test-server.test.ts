// The TDS test server itself, proved with real clients connected straight to it (no Sluice):
// tedious 19 and FreeTDS tsql, encryption off/on/required, every mapped type, RPC, transactions, cancel.
import { connect as netConnect } from 'node:net';
import pg from 'pg';
import { TYPES, type Connection } from 'tedious';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TdsTestServer } from './helpers/tds-test-server/index.js';
import {
  batch,
  beginTransaction,
  callProcedure,
  closeTedious,
  commitTransaction,
  connectTedious,
  execSql,
  execute,
  prepare,
  rollbackTransaction,
  unprepare,
  type TediousOptions,
} from './helpers/tedious-client.js';
import { tsql, tsqlLines } from './helpers/tsql.js';

const SCHEMA = 'tds_server_test';
const OTHER = 'tds_server_test_other';
const USER = 'sa';
const PASSWORD = 'Test-Server-Pw1';

let server: TdsTestServer;
let required: TdsTestServer;
const connections: Connection[] = [];

async function open(options: Partial<TediousOptions> = {}, target: TdsTestServer = server): Promise<Connection> {
  const connection = await connectTedious({ port: target.port, user: USER, password: PASSWORD, ...options });
  connections.push(connection);
  return connection;
}

beforeAll(async () => {
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`drop schema if exists ${SCHEMA} cascade; drop schema if exists ${OTHER} cascade`);
  await admin.end();
  server = await TdsTestServer.start({ database: SCHEMA, extraDatabases: [OTHER], users: { [USER]: PASSWORD } });
  required = await TdsTestServer.start({ database: SCHEMA, users: { [USER]: PASSWORD }, encryption: 'required', certificate: server.certificate });
  const setup = await open();
  await batch(
    setup,
    `create table types_row (
       i2 int2, i4 int4, i8 int8, b bool, n numeric(12,3), n_free numeric, f4 float4, f8 float8, m money,
       vc varchar(20), t text, ch char(5), bin bytea, u uuid, d date, tm time(3), ts timestamp, tstz timestamptz,
       x xml, dt datetime, sdt smalldatetime);
     insert into types_row values (
       -32768, 2147483647, 9007199254740993, true, -123456789.125, 2.5, 3.25, -1.0e-300, -92233720368547.58,
       'héllo wörld ✓', repeat('long text ', 1000), 'ab', '\\x0001ff', '6f9619ff-8b86-d011-b42d-00c04fc964ff',
       '2024-02-29', '13:14:15.123', '0001-01-01 00:00:00.000001', '2024-02-29 13:14:15.5+02',
       '<a b="1">x</a>', '2024-02-29 13:14:15.123', '2024-02-29 13:14:31');
     insert into types_row (i4) values (null);
     create table people (id int primary key, name varchar(50), email text);
     insert into people select g, 'person ' || g, 'p' || g || '@example.com' from generate_series(1, 5) g;
     create procedure add_numbers(a int, b int, inout total int default null) language plpgsql as $$ begin total := a + b; end $$;
     create function people_from(first_id int) returns table(id int, name varchar) language sql as $$ select id, name from people where id >= first_id order by id $$;
     create function shout(message text) returns void language plpgsql as $$ begin raise notice 'shouting: %', message; end $$`,
  );
});

afterAll(async () => {
  await Promise.all(connections.map((c) => closeTedious(c).catch(() => undefined)));
  await server?.stop();
  await required?.stop();
});

describe('connecting', () => {
  it('tedious logs in with encryption off (no TLS) and on (TLS inside PRELOGIN), and with the server requiring it', async () => {
    const before = server.seen('login').length;
    for (const encrypt of [false, true]) {
      const connection = await open({ encrypt });
      const result = await batch(connection, 'select current_schema() as db');
      expect(result.rows).toEqual([{ db: SCHEMA }]);
    }
    expect(server.seen('login').slice(before).map((l) => l.tls)).toEqual(['none', 'full']);
    const strict = await open({ encrypt: true }, required);
    expect((await batch(strict, 'select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(required.seen('login').at(-1)?.tls).toBe('full');
    // tedious without encryption says NOT_SUP; a server that requires encryption ends such a connection (MS-TDS 2.2.6.5).
    await expect(connectTedious({ port: required.port, user: USER, password: PASSWORD, encrypt: false })).rejects.toThrow();
  });

  it('tedious logs in with TDS 8.0 strict encryption (TLS first, ALPN tds/8.0, certificate verified)', async () => {
    const connection = await open({ encrypt: 'strict', ca: server.certificate.cert, serverName: 'localhost' });
    expect((await batch(connection, 'select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(server.seen('login').at(-1)?.tls).toBe('strict');
  });

  it('tsql logs in with encryption off, request (TLS for LOGIN7 only) and require (TLS throughout)', async () => {
    for (const [encryption, tls] of [
      ['off', 'none'],
      ['request', 'login-only'],
      ['require', 'full'],
    ] as const) {
      const result = await tsql({ port: server.port, user: USER, password: PASSWORD, encryption }, ['select 41 + 1 as answer']);
      expect(tsqlLines(result.stdout)).toEqual(['answer', '42']);
      expect(server.seen('login').at(-1)).toMatchObject({ appName: 'TSQL', tls });
    }
  });

  it('refuses a wrong password with 18456 and an unknown database with 4060', async () => {
    await expect(connectTedious({ port: server.port, user: USER, password: 'wrong' })).rejects.toThrow(/Login failed for user 'sa'/);
    const messages: string[] = [];
    await expect(connectTedious({ port: server.port, user: USER, password: PASSWORD, database: 'no_such_db' })).rejects.toThrow(/Login failed/);
    expect(server.seen('login').at(-1)).toMatchObject({ database: 'no_such_db' });
    const raw = await tsql({ port: server.port, user: USER, password: PASSWORD, database: 'no_such_db' }, ['select 1']);
    messages.push(raw.stdout + raw.stderr);
    expect(messages.join('')).toMatch(/Cannot open database "no_such_db"/);
    const result = await tsql({ port: server.port, user: USER, password: 'wrong' }, ['select 1']);
    expect(result.stdout + result.stderr).toMatch(/18456|Login failed/);
  });

  it('answers LOGIN7 with the database, packet size and language, and USE switches the database', async () => {
    const connection = await open({ database: OTHER, packetSize: 8192 });
    const changes: string[] = [];
    connection.on('databaseChange', (name) => changes.push(name));
    expect((await batch(connection, 'select current_schema() as db')).rows).toEqual([{ db: OTHER }]);
    const infos = (await batch(connection, `use ${SCHEMA}`)).infos;
    expect(changes).toEqual([SCHEMA]);
    expect(infos).toContainEqual({ number: 5701, message: `Changed database context to '${SCHEMA}'.` });
    expect(server.seen('login').at(-1)?.packetSize).toBe(8192);
    expect((await batch(connection, 'select count(*)::int as n from people')).rows).toEqual([{ n: 5 }]);
  });

  it('malformed bytes close only that connection, with an ERROR token first', async () => {
    const connection = await open();
    const raw = netConnect(server.port, '127.0.0.1');
    const received: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => received.push(chunk));
    raw.on('error', () => undefined);
    await new Promise((resolve) => raw.on('connect', resolve));
    raw.write(Buffer.from([0x12, 0x01, 0x00, 0x03, 0, 0, 0, 0])); // header claiming 3 bytes: shorter than itself
    await new Promise((resolve) => raw.on('close', resolve));
    expect((await batch(connection, 'select 1 as still')).rows).toEqual([{ still: 1 }]);
  });
});

describe('every mapped type, decoded by tedious and tsql', () => {
  it('tedious reads each PostgreSQL type as the TDS type the README names, with the exact value', async () => {
    const connection = await open();
    const result = await batch(connection, 'select * from types_row order by i4 nulls last');
    const [set] = result.resultSets;
    expect(Object.fromEntries(set!.columns.map((c) => [c.name, c.type]))).toEqual({
      i2: 'IntN',
      i4: 'IntN',
      i8: 'IntN',
      b: 'BitN',
      n: 'DecimalN',
      n_free: 'DecimalN',
      f4: 'FloatN',
      f8: 'FloatN',
      m: 'MoneyN',
      vc: 'NVarChar',
      t: 'NVarChar',
      ch: 'NChar',
      bin: 'VarBinary',
      u: 'UniqueIdentifier',
      d: 'Date',
      tm: 'Time',
      ts: 'DateTime2',
      tstz: 'DateTimeOffset',
      x: 'Xml',
      dt: 'DateTimeN',
      sdt: 'DateTimeN',
    });
    expect(set!.columns.find((c) => c.name === 'n')).toMatchObject({ precision: 12, scale: 3 });
    expect(set!.columns.find((c) => c.name === 'vc')?.dataLength).toBe(40);
    expect(set!.columns.find((c) => c.name === 't')?.dataLength).toBe(65535); // nvarchar(max): PLP
    const row = result.rows[0]!;
    expect(row).toMatchObject({
      i2: -32768,
      i4: 2147483647,
      i8: '9007199254740993',
      b: true,
      n: -123456789.125,
      n_free: 2.5,
      f4: 3.25,
      f8: -1.0e-300,
      m: -92233720368547.58,
      vc: 'héllo wörld ✓',
      t: 'long text '.repeat(1000),
      ch: 'ab   ',
      u: '6F9619FF-8B86-D011-B42D-00C04FC964FF',
      x: '<a b="1">x</a>',
    });
    expect(row.bin).toEqual(Buffer.from([0x00, 0x01, 0xff]));
    expect((row.d as Date).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect((row.tm as Date).toISOString()).toBe('1970-01-01T13:14:15.123Z');
    expect((row.ts as Date).toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect((row.ts as Date & { nanosecondsDelta: number }).nanosecondsDelta).toBeCloseTo(0.000001, 9);
    expect((row.tstz as Date).toISOString()).toBe('2024-02-29T11:14:15.500Z');
    expect((row.dt as Date).toISOString()).toBe('2024-02-29T13:14:15.123Z');
    expect((row.sdt as Date).toISOString()).toBe('2024-02-29T13:15:00.000Z'); // smalldatetime rounds to the minute
    // The second row is all NULLs but one: an NBCROW.
    const nulls = result.rows[1]!;
    expect(Object.entries(nulls).filter(([, v]) => v !== null)).toEqual([]);
  });

  it('tsql prints the same values from its own decoder', async () => {
    const result = await tsql({ port: server.port, user: USER, password: PASSWORD, encryption: 'require' }, [
      "set time zone 'Asia/Kolkata'",
      'select i2, i8, b, n, m, vc, ch, u, d, tm, tstz, dt, sdt, x from types_row where i4 is not null',
      'select i4, vc, tstz from types_row where i4 is null',
      'select length(t) as len from types_row where i4 is not null',
    ]);
    const lines = tsqlLines(result.stdout);
    expect(lines[0]).toBe('i2\ti8\tb\tn\tm\tvc\tch\tu\td\ttm\ttstz\tdt\tsdt\tx');
    const values = lines[1]!.split('\t');
    expect(values.slice(0, 8)).toEqual(['-32768', '9007199254740993', '1', '-123456789.125', '-92233720368547.5800', 'héllo wörld ✓', 'ab   ', '6F9619FF-8B86-D011-B42D-00C04FC964FF']);
    expect(values[8]).toMatch(/^2024-02-29|^Feb 29 2024/);
    expect(values[9]).toMatch(/^13:14:15\.123|1:14PM/);
    expect(values[10]).toMatch(/Feb 29 2024 0?4:44PM/);
    expect(values[11]).toMatch(/Feb 29 2024 0?1:14PM/);
    expect(values[12]).toMatch(/Feb 29 2024 0?1:15PM/);
    expect(values[13]).toBe('<a b="1">x</a>');
    expect(lines.slice(2, 4)).toEqual(['i4\tvc\ttstz', 'NULL\tNULL\tNULL']);
    expect(lines.slice(4)).toEqual(['len', '10000']);
  });
});

describe('statements', () => {
  it('runs multi-statement batches with a DONE row count per statement, and T-SQL session options are acknowledged', async () => {
    const connection = await open();
    const dones: number[] = [];
    const request = batch(
      connection,
      `set nocount off
       set ansi_nulls on
       create temp table counted (v int); insert into counted select generate_series(1, 7); update counted set v = v + 1 where v > 4; select * from counted where v > 6`,
    );
    connection.once('infoMessage', () => undefined);
    const result = await request;
    dones.push(result.rowCount ?? -1);
    expect(result.rows).toEqual([{ v: 7 }, { v: 8 }]);
    expect(result.rowCount).toBe(7 + 3 + 2); // tedious sums the DONE counts of the batch
  });

  it('sends an ORDER token for a final ORDER BY on result columns', async () => {
    const connection = await open();
    expect((await batch(connection, 'select id, name from people order by name desc, 1')).orders).toEqual([[2, 1]]);
    expect((await batch(connection, 'select id from people where id < 3')).orders).toEqual([]);
  });

  it('maps PostgreSQL errors to SQL Server numbers and keeps the connection usable; notices become INFO', async () => {
    const connection = await open();
    await expect(batch(connection, 'select * from no_such_table')).rejects.toMatchObject({ number: 208, message: expect.stringMatching(/no_such_table/) });
    await expect(batch(connection, 'select 1/0')).rejects.toMatchObject({ number: 8134 });
    await expect(batch(connection, 'selec 1')).rejects.toMatchObject({ number: 102 });
    await expect(batch(connection, "insert into people values (1, 'dup', null)")).rejects.toMatchObject({ number: 2627 });
    const notice = await batch(connection, "select shout('hi')");
    expect(notice.infos).toContainEqual({ number: 0, message: 'shouting: hi' });
    expect((await batch(connection, 'select 2 as ok')).rows).toEqual([{ ok: 2 }]);
  });

  it('sp_executesql binds typed parameters of every mapped type', async () => {
    const connection = await open();
    const when = new Date('2024-02-29T13:14:15.123Z');
    const result = await execSql(
      connection,
      'select @i + 1 as i, @big as big, @small as small, @tiny as tiny, @bit as bit, @dec as dec, @flt as flt, @real as real, @money as money, @s as s, @long as long, @bin as bin, @u as u, @d as d, @t as t, @dt2 as dt2, @dto as dto, @dt as dt, @nothing as nothing',
      [
        ['i', TYPES.Int, 41],
        ['big', TYPES.BigInt, '9007199254740993'],
        ['small', TYPES.SmallInt, -7],
        ['tiny', TYPES.TinyInt, 255],
        ['bit', TYPES.Bit, true],
        ['dec', TYPES.Decimal, -1234.567, { precision: 10, scale: 3 }],
        ['flt', TYPES.Float, 1.5e300],
        ['real', TYPES.Real, 0.5],
        ['money', TYPES.Money, -12.34],
        ['s', TYPES.NVarChar, 'ünïcode ✓'],
        ['long', TYPES.NVarChar, 'x'.repeat(9000)],
        ['bin', TYPES.VarBinary, Buffer.from([1, 2, 255])],
        ['u', TYPES.UniqueIdentifier, '6F9619FF-8B86-D011-B42D-00C04FC964FF'],
        ['d', TYPES.Date, new Date('2024-02-29T00:00:00Z')],
        ['t', TYPES.Time, new Date('1970-01-01T13:14:15.123Z'), { scale: 3 }],
        ['dt2', TYPES.DateTime2, when, { scale: 3 }],
        ['dto', TYPES.DateTimeOffset, when, { scale: 3 }],
        ['dt', TYPES.DateTime, when],
        ['nothing', TYPES.Int, null],
      ],
    );
    const row = result.rows[0]!;
    expect(row).toMatchObject({ i: 42, big: '9007199254740993', small: -7, tiny: 255, bit: true, dec: -1234.567, flt: 1.5e300, real: 0.5, money: -12.34, s: 'ünïcode ✓', u: '6F9619FF-8B86-D011-B42D-00C04FC964FF', nothing: null });
    expect(row.long).toBe('x'.repeat(9000));
    expect(row.bin).toEqual(Buffer.from([1, 2, 255]));
    expect((row.d as Date).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect((row.t as Date).toISOString()).toBe('1970-01-01T13:14:15.123Z');
    expect((row.dt2 as Date).toISOString()).toBe(when.toISOString());
    expect((row.dto as Date).toISOString()).toBe(when.toISOString());
    expect((row.dt as Date).toISOString()).toBe(when.toISOString());
    const call = server.seen('rpc').at(-1)!;
    expect(call.procedure).toBe('sp_executesql');
    expect(call.parameters?.find((p) => p.name === '@dec')).toMatchObject({ pgType: 'numeric(10,3)', value: '-1234.567' });
  });

  it('prepares, executes and unprepares a statement (sp_prepare, sp_execute, sp_unprepare)', async () => {
    const connection = await open();
    const prepared = await prepare(connection, 'select id, name from people where id >= @from and name like @pattern order by id', [
      ['from', TYPES.Int, undefined],
      ['pattern', TYPES.NVarChar, undefined],
    ]);
    const first = await execute(connection, prepared, { from: 4, pattern: 'person%' });
    expect(first.rows).toEqual([
      { id: 4, name: 'person 4' },
      { id: 5, name: 'person 5' },
    ]);
    const second = await execute(connection, prepared, { from: 2, pattern: '%3' });
    expect(second.rows).toEqual([{ id: 3, name: 'person 3' }]);
    await unprepare(connection, prepared);
    expect(server.seen('rpc').slice(-4).map((r) => r.procedure)).toEqual(['sp_prepare', 'sp_execute', 'sp_execute', 'sp_unprepare']);
  });

  it('calls named procedures: output parameters come back as RETURNVALUE, functions as a result set', async () => {
    const connection = await open();
    const sum = await callProcedure(connection, 'add_numbers', [
      ['a', TYPES.Int, 40],
      ['b', TYPES.Int, 2],
    ], [['total', TYPES.Int, null]]);
    expect(sum.returnValues).toEqual({ total: 42 });
    const people = await callProcedure(connection, 'dbo.people_from', [['first_id', TYPES.Int, 4]]);
    expect(people.rows).toEqual([
      { id: 4, name: 'person 4' },
      { id: 5, name: 'person 5' },
    ]);
    await expect(callProcedure(connection, 'no_such_procedure', [])).rejects.toMatchObject({ number: 2812 });
  });

  it('transaction manager requests begin, commit and roll back on PostgreSQL', async () => {
    const connection = await open();
    const other = await open();
    await batch(connection, 'create table if not exists tx_rows (v int)');
    await beginTransaction(connection);
    await batch(connection, 'insert into tx_rows values (1)');
    expect((await batch(other, 'select count(*)::int as n from tx_rows')).rows).toEqual([{ n: 0 }]);
    await rollbackTransaction(connection);
    await beginTransaction(connection);
    await execSql(connection, 'insert into tx_rows values (@v)', [['v', TYPES.Int, 2]]);
    await commitTransaction(connection);
    expect((await batch(other, 'select array_agg(v)::text as vs from tx_rows')).rows).toEqual([{ vs: '{2}' }]);
    expect(server.seen('transaction').slice(-4).map((t) => t.transaction?.kind)).toEqual(['begin', 'rollback', 'begin', 'commit']);
    // T-SQL spellings in a batch work too, with the same ENVCHANGEs.
    await batch(connection, 'begin tran');
    await batch(connection, 'insert into tx_rows values (3)');
    await batch(connection, 'rollback tran');
    expect((await batch(other, 'select count(*)::int as n from tx_rows')).rows).toEqual([{ n: 1 }]);
  });
});

describe('attention, packets and failures', () => {
  it('cancels a running statement: the server stops, acknowledges with DONE(ATTN), and the connection goes on', async () => {
    const connection = await open();
    const started = Date.now();
    const running = batch(connection, 'select pg_sleep(20)');
    setTimeout(() => connection.cancel(), 300);
    await expect(running).rejects.toMatchObject({ code: 'ECANCEL' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.seen('attention').length).toBeGreaterThan(0);
    expect((await batch(connection, 'select 3 as after')).rows).toEqual([{ after: 3 }]);
  });

  it('cancels a streaming result half way', async () => {
    const connection = await open({ packetSize: 512 });
    let rows = 0;
    const { Request } = await import('tedious');
    const done = new Promise<Error | undefined>((resolve) => {
      const request = new Request('select g, repeat(\'r\', 200) as pad from generate_series(1, 1000000) g', (error) => resolve(error ?? undefined));
      request.on('row', () => {
        rows++;
        if (rows === 1000) connection.cancel();
      });
      connection.execSqlBatch(request);
    });
    expect(await done).toMatchObject({ code: 'ECANCEL' });
    expect(rows).toBeLessThan(1_000_000);
    expect((await batch(connection, 'select 4 as after')).rows).toEqual([{ after: 4 }]);
  });

  it('splits messages into packets of the negotiated size, both ways (512-byte packets, a 100 kB value)', async () => {
    const connection = await open({ packetSize: 512 });
    const big = 'é'.repeat(50_000);
    const result = await execSql(connection, 'select @v as v, length(@v) as n', [['v', TYPES.NVarChar, big]]);
    expect(result.rows).toEqual([{ v: big, n: 50_000 }]);
    const many = await batch(connection, 'select g from generate_series(1, 20000) g');
    expect(many.rows.length).toBe(20_000);
  });

  it('resets the connection on request (RESETCONNECTION): open transactions roll back', async () => {
    const connection = await open();
    await batch(connection, 'create table if not exists reset_rows (v int)');
    await beginTransaction(connection);
    await batch(connection, 'insert into reset_rows values (1)');
    await new Promise<void>((resolve, reject) => connection.reset((error) => (error ? reject(error) : resolve())));
    expect((await batch(connection, 'select count(*)::int as n from reset_rows')).rows).toEqual([{ n: 0 }]);
  });

  it('sends a routing ENVCHANGE on demand, and tedious follows it to the other server', async () => {
    const target = await TdsTestServer.start({ database: OTHER, users: { [USER]: PASSWORD }, certificate: server.certificate });
    try {
      server.routing = (login) => (login.appName === 'route-me' ? { server: '127.0.0.1', port: target.port } : undefined);
      const connection = await open({ appName: 'route-me' });
      expect((await batch(connection, 'select current_schema() as db')).rows).toEqual([{ db: OTHER }]);
      expect(target.seen('login')).toHaveLength(1);
    } finally {
      server.routing = undefined;
      await target.stop();
    }
  });

  it('dies mid-result when asked (die-after-rows), as a crashed server would', async () => {
    const connection = await open();
    let rows = 0;
    const { Request } = await import('tedious');
    const ended = new Promise<Error | undefined>((resolve) => {
      const request = new Request('/* tds-test-server: die-after-rows 50 */ select g from generate_series(1, 100000) g', (error) => resolve(error ?? undefined));
      request.on('row', () => rows++);
      connection.execSqlBatch(request);
    });
    const error = await ended;
    expect(error).toBeDefined();
    expect(rows).toBeLessThanOrEqual(50);
  });
});
