// tedious through Sluice (dialect mssql) to the TDS test server: every request kind gives the client
// exactly what it gets when it talks to the server directly.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { Request, TYPES, type Connection } from 'tedious';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSluice, USERS, type RunningSluice } from './helpers/sluice.js';
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
  type Outcome,
  type Parameter,
  type TediousOptions,
} from './helpers/tedious-client.js';

const SCHEMA = 'mssql_basics';
const OTHER_SCHEMA = 'mssql_basics_other';
const UPSTREAM_USER = 'sluice_upstream';
const UPSTREAM_PASSWORD = 'Upstream-Pw-1';

const dir = mkdtempSync(join(tmpdir(), 'sluice-mssql-basics-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });

let server: TdsTestServer;
let sluice: RunningSluice;
const connections: Connection[] = [];

async function direct(options: Partial<TediousOptions> = {}): Promise<Connection> {
  const connection = await connectTedious({ port: server.port, user: UPSTREAM_USER, password: UPSTREAM_PASSWORD, database: SCHEMA, ...options });
  connections.push(connection);
  return connection;
}

async function proxied(options: Partial<TediousOptions> = {}): Promise<Connection> {
  const connection = await connectTedious({ port: sluice.port, user: 'alice', password: 'alice-secret-pw', ...options });
  connections.push(connection);
  return connection;
}

/** What a client can observe of an outcome (the INFO messages of login-time context changes aside). */
const observable = (outcome: Outcome) => ({ resultSets: outcome.resultSets, rowCount: outcome.rowCount, returnValues: outcome.returnValues });

beforeAll(async () => {
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`drop schema if exists ${SCHEMA} cascade; drop schema if exists ${OTHER_SCHEMA} cascade`);
  await admin.end();
  server = await TdsTestServer.start({ database: SCHEMA, extraDatabases: [OTHER_SCHEMA], users: { [UPSTREAM_USER]: UPSTREAM_PASSWORD } });
  sluice = await startSluice(`
listeners:
  - name: mssql-basics
    dialect: mssql
    listen: 127.0.0.1:0
    environment: test
    tls: { cert: ${join(dir, 'cert.pem')}, key: ${join(dir, 'key.pem')} }
    upstream: { host: 127.0.0.1, port: ${server.port}, user: ${UPSTREAM_USER}, password: "\${env:UPSTREAM_PASSWORD}", database: ${SCHEMA}, tls: disable }
${USERS}`, { UPSTREAM_PASSWORD });
  const setup = await direct();
  await batch(
    setup,
    `create table types_row (
       i2 int2, i4 int4, i8 int8, b bool, n numeric(12,3), f4 float4, f8 float8, m money,
       vc varchar(20), t text, ch char(5), bin bytea, u uuid, d date, tm time(3), ts timestamp(6), tstz timestamptz,
       x xml, dt datetime, sdt smalldatetime);
     insert into types_row values
       (-32768, 2147483647, 9007199254740993, true, -123456789.125, 3.25, -1.0e-300, -92233720368547.58,
        'héllo wörld ✓', repeat('long text ', 3000), 'ab', '\\x0001ff', '6f9619ff-8b86-d011-b42d-00c04fc964ff',
        '2024-02-29', '13:14:15.123', '1999-12-31 23:59:59.999999', '2024-02-29 13:14:15.5+02',
        '<a b="1">x</a>', '2024-02-29 13:14:15.123', '2024-02-29 13:14:31'),
       (null, 7, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
     create table accounts (id int primary key, owner varchar(50), balance numeric(10,2));
     insert into accounts select g, 'owner ' || g, g * 10 from generate_series(1, 10) g;
     create procedure transfer(src int, dst int, amount numeric, inout moved numeric default null) language plpgsql as $$
       begin
         update accounts set balance = balance - amount where id = src;
         update accounts set balance = balance + amount where id = dst;
         moved := amount;
       end $$`,
  );
});

afterAll(async () => {
  await Promise.all(connections.map((c) => closeTedious(c).catch(() => undefined)));
  await sluice?.stop();
  await server?.stop();
});

describe('tedious through Sluice', () => {
  it('logs in with a Sluice identity and lands upstream with the mapped SQL login', async () => {
    const before = server.seen('login').length;
    const connection = await proxied();
    expect((await batch(connection, 'select current_schema() as db, current_user as pg_user')).rows).toEqual([{ db: SCHEMA, pg_user: 'postgres' }]);
    const logins = server.seen('login').slice(before);
    expect(logins.map((l) => l.user)).toEqual([UPSTREAM_USER]);
    await expect(connectTedious({ port: sluice.port, user: 'alice', password: 'wrong' })).rejects.toThrow(/Login failed/);
  });

  it('relays every mapped type exactly as the client reads it directly (ROW and NBCROW, PLP values)', async () => {
    const sql = 'select * from types_row order by i4 desc';
    const [viaSluice, straight] = await Promise.all([batch(await proxied(), sql), batch(await direct(), sql)]);
    expect(viaSluice.resultSets[0]!.columns.map((c) => c.type)).toContain('DateTimeOffset');
    expect(observable(viaSluice)).toEqual(observable(straight));
    expect(viaSluice.rows[0]!.t).toBe('long text '.repeat(3000));
  });

  it('relays ORDER tokens', async () => {
    const result = await batch(await proxied(), 'select id, owner from accounts order by owner, id');
    expect(result.orders).toEqual([[2, 1]]);
  });

  it('runs multi-statement batches with their row counts', async () => {
    const sql = `create temp table scratch (v int); insert into scratch select generate_series(1, 5); update scratch set v = v * 2 where v > 3; select sum(v)::int as total from scratch`;
    const [viaSluice, straight] = await Promise.all([batch(await proxied(), sql), batch(await direct(), sql)]);
    expect(viaSluice.rows).toEqual([{ total: 1 + 2 + 3 + 8 + 10 }]);
    expect(observable(viaSluice)).toEqual(observable(straight));
  });

  it('sends sp_executesql with typed parameters through unchanged', async () => {
    const when = new Date('2024-02-29T13:14:15.123Z');
    const parameters: Parameter[] = [
      ['id', TYPES.Int, 3],
      ['big', TYPES.BigInt, '9007199254740993'],
      ['flag', TYPES.Bit, true],
      ['amount', TYPES.Decimal, -1234.567, { precision: 10, scale: 3 }],
      ['ratio', TYPES.Float, 0.125],
      ['name', TYPES.NVarChar, 'ünïcode ✓'],
      ['blob', TYPES.VarBinary, Buffer.from([0, 1, 2, 255])],
      ['guid', TYPES.UniqueIdentifier, '6F9619FF-8B86-D011-B42D-00C04FC964FF'],
      ['day', TYPES.Date, new Date('2024-02-29T00:00:00Z')],
      ['stamp', TYPES.DateTime2, when, { scale: 3 }],
      ['offset', TYPES.DateTimeOffset, when, { scale: 3 }],
      ['long', TYPES.NVarChar, 'y'.repeat(6000)],
      ['nothing', TYPES.Int, null],
    ];
    const sql =
      'select owner, @big as big, @flag as flag, @amount as amount, @ratio as ratio, @name as name, @blob as blob, @guid as guid, @day as day, @stamp as stamp, @offset as "offset", length(@long) as long, @nothing as nothing from accounts where id = @id';
    const [viaSluice, straight] = await Promise.all([execSql(await proxied(), sql, parameters), execSql(await direct(), sql, parameters)]);
    expect(viaSluice.rows[0]).toMatchObject({ owner: 'owner 3', big: '9007199254740993', flag: true, amount: -1234.567, name: 'ünïcode ✓', long: 6000, nothing: null });
    expect(observable(viaSluice)).toEqual(observable(straight));
    const calls = server.seen('rpc').filter((r) => r.procedure === 'sp_executesql').slice(-2);
    expect(calls[0]!.parameters).toEqual(calls[1]!.parameters);
  });

  it('prepares, executes and unprepares through Sluice', async () => {
    const connection = await proxied();
    const statement = await prepare(connection, 'select id, owner from accounts where id between @low and @high order by id', [
      ['low', TYPES.Int, undefined],
      ['high', TYPES.Int, undefined],
    ]);
    expect((await execute(connection, statement, { low: 2, high: 3 })).rows).toEqual([
      { id: 2, owner: 'owner 2' },
      { id: 3, owner: 'owner 3' },
    ]);
    expect((await execute(connection, statement, { low: 9, high: 20 })).rows.map((r) => r.id)).toEqual([9, 10]);
    await unprepare(connection, statement);
    expect(server.seen('rpc').slice(-4).map((r) => r.procedure)).toEqual(['sp_prepare', 'sp_execute', 'sp_execute', 'sp_unprepare']);
  });

  it('calls a named procedure and returns its output parameter', async () => {
    const connection = await proxied();
    const result = await callProcedure(connection, 'transfer', [
      ['src', TYPES.Int, 1],
      ['dst', TYPES.Int, 2],
      ['amount', TYPES.Decimal, 5, { precision: 10, scale: 2 }],
    ], [['moved', TYPES.Decimal, null, { precision: 10, scale: 2 }]]);
    expect(result.returnValues).toEqual({ moved: 5 });
    expect((await batch(connection, 'select balance::float8 as b from accounts where id in (1, 2) order by id')).rows).toEqual([{ b: 5 }, { b: 25 }]);
  });

  it('begins, commits and rolls back transactions (transaction manager requests)', async () => {
    const connection = await proxied();
    const observer = await direct();
    await beginTransaction(connection);
    await execSql(connection, 'update accounts set owner = @o where id = 10', [['o', TYPES.NVarChar, 'rolled back']]);
    expect((await batch(observer, 'select owner from accounts where id = 10')).rows).toEqual([{ owner: 'owner 10' }]);
    await rollbackTransaction(connection);
    await beginTransaction(connection);
    await execSql(connection, 'update accounts set owner = @o where id = 10', [['o', TYPES.NVarChar, 'committed']]);
    await commitTransaction(connection);
    expect((await batch(observer, 'select owner from accounts where id = 10')).rows).toEqual([{ owner: 'committed' }]);
    expect(server.seen('transaction').slice(-4).map((t) => t.transaction?.kind)).toEqual(['begin', 'rollback', 'begin', 'commit']);
  });

  it('passes server errors through and the session stays usable', async () => {
    const connection = await proxied();
    await expect(batch(connection, 'select * from missing_table')).rejects.toMatchObject({ number: 208 });
    await expect(execSql(connection, 'select 1 / @zero', [['zero', TYPES.Int, 0]])).rejects.toMatchObject({ number: 8134 });
    expect((await batch(connection, 'select 1 as fine')).rows).toEqual([{ fine: 1 }]);
  });

  it('delivers the rows before an error in the middle of a result, then the error', async () => {
    const sql = 'select g, 10 / (g - 1500) as q from generate_series(1, 3000) g';
    const collectRows = async (connection: Connection) => {
      let rows = 0;
      const error = await new Promise<Error | undefined>((resolve) => {
        const request = new Request(sql, (e) => resolve(e ?? undefined));
        request.on('row', () => rows++);
        connection.execSqlBatch(request);
      });
      return { rows, error: (error as Error & { number?: number })?.number };
    };
    const [viaSluice, straight] = await Promise.all([collectRows(await proxied()), collectRows(await direct())]);
    expect(viaSluice).toEqual(straight);
    expect(viaSluice.error).toBe(8134);
    expect(viaSluice.rows).toBeGreaterThan(0);
  });

  it('cancels a running statement (Attention) and goes on', async () => {
    const connection = await proxied();
    const started = Date.now();
    const running = batch(connection, 'select pg_sleep(20)');
    setTimeout(() => connection.cancel(), 300);
    await expect(running).rejects.toMatchObject({ code: 'ECANCEL' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.seen('attention').length).toBeGreaterThan(0);
    expect((await batch(connection, 'select 2 as after')).rows).toEqual([{ after: 2 }]);
  });

  it('cancels a large result half way through', async () => {
    const connection = await proxied();
    let rows = 0;
    const error = await new Promise<Error | undefined>((resolve) => {
      const request = new Request("select g, repeat('z', 300) as pad from generate_series(1, 2000000) g", (e) => resolve(e ?? undefined));
      request.on('row', () => {
        if (++rows === 2000) connection.cancel();
      });
      connection.execSqlBatch(request);
    });
    expect(error).toMatchObject({ code: 'ECANCEL' });
    expect(rows).toBeLessThan(2_000_000);
    expect((await batch(connection, 'select 3 as after')).rows).toEqual([{ after: 3 }]);
  });

  it('speaks TLS to the client (encrypt: true) while the upstream leg stays plain', async () => {
    const connection = await proxied({ encrypt: true });
    expect((await batch(connection, 'select count(*)::int as n from accounts')).rows).toEqual([{ n: 10 }]);
    expect(server.seen('login').at(-1)?.tls).toBe('none');
  });

  it('speaks TDS 8.0 strict encryption to the client (TLS first, ALPN tds/8.0)', async () => {
    const connection = await proxied({ encrypt: 'strict', ca: readFileSync(join(dir, 'cert.pem')), serverName: 'localhost' });
    expect((await batch(connection, 'select count(*)::int as n from accounts')).rows).toEqual([{ n: 10 }]);
  });

  it('honours a small packet size with values spanning many packets, both ways', async () => {
    const connection = await proxied({ packetSize: 512 });
    const value = 'é✓'.repeat(40_000);
    const result = await execSql(connection, 'select @v as v, length(@v) as n', [['v', TYPES.NVarChar, value]]);
    expect(result.rows).toEqual([{ v: value, n: 80_000 }]);
    expect((await batch(connection, 'select g from generate_series(1, 5000) g')).rows).toHaveLength(5000);
  });

  it('sends a SQL batch larger than many packets and relays its notices as INFO', async () => {
    const connection = await proxied({ packetSize: 512 });
    const literal = 'ü'.repeat(30_000);
    const result = await batch(connection, `do $$ begin raise notice 'batch of % characters', ${literal.length}; end $$; select length('${literal}') as n`);
    expect(result.rows).toEqual([{ n: 30_000 }]);
    expect(result.infos).toContainEqual({ number: 0, message: 'batch of 30000 characters' });
  });

  it('relays USE and its database ENVCHANGE, and RESETCONNECTION', async () => {
    const connection = await proxied();
    const changes: string[] = [];
    connection.on('databaseChange', (name) => changes.push(name));
    await batch(connection, `use ${OTHER_SCHEMA}`);
    expect(changes).toEqual([OTHER_SCHEMA]);
    expect((await batch(connection, 'select current_schema() as db')).rows).toEqual([{ db: OTHER_SCHEMA }]);
    await beginTransaction(connection);
    await batch(connection, 'create table reset_probe (v int)');
    await new Promise<void>((resolve, reject) => connection.reset((error) => (error ? reject(error) : resolve())));
    // The reset rolled the open transaction back upstream: the table never existed.
    expect((await batch(await direct(), `select to_regclass('${OTHER_SCHEMA}.reset_probe') is null as gone`)).rows).toEqual([{ gone: true }]);
  });

  it('cancels a large result the client has stopped reading (Sluice and the server are both held back)', async () => {
    const connection = await proxied();
    let rows = 0;
    let cancelledAt = 0;
    const error = await new Promise<Error | undefined>((resolve) => {
      const request = new Request("select g, repeat('p', 1000) as pad from generate_series(1, 500000) g", (e) => resolve(e ?? undefined));
      request.on('row', () => {
        if (++rows === 100) {
          request.pause();
          // Let every buffer between the server and tedious fill up, then cancel.
          setTimeout(() => {
            cancelledAt = Date.now();
            connection.cancel();
          }, 1_500);
        }
      });
      connection.execSqlBatch(request);
    });
    expect(error).toMatchObject({ code: 'ECANCEL' });
    // ECANCEL (not ETIMEOUT) means the acknowledgment came within tedious's 5 s cancel timeout.
    expect(Date.now() - cancelledAt).toBeLessThan(5_000);
    expect(rows).toBeLessThan(500_000);
    expect((await batch(connection, 'select 7 as after')).rows).toEqual([{ after: 7 }]);
  });

  it('re-packetizes between a client with 32767-byte packets and an upstream with 4096-byte packets', async () => {
    const connection = await proxied({ packetSize: 32767 });
    const value = 'q'.repeat(100_000);
    const result = await execSql(connection, "select @v as v, repeat('r', 70000) as w", [['v', TYPES.NVarChar, value]]);
    expect(result.rows).toEqual([{ v: value, w: 'r'.repeat(70_000) }]);
    expect(server.seen('login').at(-1)?.packetSize).toBeLessThanOrEqual(32767);
  });

  it('keeps many concurrent sessions apart (batches, sp_executesql and prepared statements interleaved)', async () => {
    const sessions = await Promise.all(Array.from({ length: 12 }, () => proxied()));
    await Promise.all(
      sessions.map(async (connection, index) => {
        const statement = await prepare(connection, 'select @n * 2 as doubled, @tag as tag', [
          ['n', TYPES.Int, undefined],
          ['tag', TYPES.NVarChar, undefined],
        ]);
        for (let round = 0; round < 8; round++) {
          const n = index * 100 + round;
          expect((await batch(connection, `select ${n} as n, repeat('s', ${n % 50}) as pad`)).rows).toEqual([{ n, pad: 's'.repeat(n % 50) }]);
          expect((await execSql(connection, 'select @n + 1 as next', [['n', TYPES.Int, n]])).rows).toEqual([{ next: n + 1 }]);
          expect((await execute(connection, statement, { n, tag: `session ${index}` })).rows).toEqual([{ doubled: n * 2, tag: `session ${index}` }]);
        }
        await unprepare(connection, statement);
      }),
    );
  });
});
