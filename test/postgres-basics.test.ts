// PostgreSQL through Sluice with real clients: psql and the pg driver against the machine's server.
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { psql, run } from './helpers/processes.js';
import { postgresListener, startSluice, USERS, type RunningSluice } from './helpers/sluice.js';

const DIRECT = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };

let proxy: RunningSluice;

beforeAll(async () => {
  proxy = await startSluice(`${postgresListener()}${USERS}
plugins:
  - use: ./plugins/deny-drop.js
    with: { rule: no-drop-in-test }
`);
  const direct = new pg.Client(DIRECT);
  await direct.connect();
  await direct.query(`drop table if exists sluice_basics; create table sluice_basics (id int primary key, name text, email text);
    insert into sluice_basics select g, 'name ' || g, 'user' || g || '@example.com' from generate_series(1, 200) g`);
  await direct.end();
});

afterAll(async () => {
  await proxy?.stop();
});

function client(user = 'alice', password = 'alice-secret-pw') {
  return new pg.Client({ host: '127.0.0.1', port: proxy.port, user, password, database: 'postgres' });
}

describe('psql through Sluice', () => {
  it('returns the same rows as a direct connection', async () => {
    const sql = 'select id, name, email from sluice_basics order by id';
    const through = await psql(proxy.port, 'alice', 'alice-secret-pw', sql);
    const direct = await psql(5432, 'postgres', '', sql);
    expect(through.stderr).toBe('');
    expect(through.code).toBe(0);
    expect(through.stdout).toBe(direct.stdout);
    expect(through.stdout.split('\n').filter(Boolean)).toHaveLength(200);
  });

  it('refuses a wrong password with 28P01', async () => {
    const result = await psql(proxy.port, 'alice', 'wrong', 'select 1', [], { PG_COLOR: 'never', PGAPPNAME: 'x' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('password authentication failed for user "alice"');
  });

  it('denies DROP with 42501 and keeps running the script after it', async () => {
    const script = 'select 1;\ndrop table sluice_basics;\nselect count(*) from sluice_basics;\n';
    const result = await psqlScript(['-X', '-At', '-h', '127.0.0.1', '-p', String(proxy.port), '-U', 'alice', '-d', 'postgres', '-v', 'VERBOSITY=verbose'], script);
    expect(result.stderr).toContain('42501');
    expect(result.stderr).toContain('sluice: no-drop-in-test: DROP is not allowed here');
    expect(result.stdout.trim().split('\n')).toEqual(['1', '200']);
  });
});

describe('the pg driver through Sluice', () => {
  it('logs in with SCRAM and reads the same rows as directly', async () => {
    const through = client();
    const direct = new pg.Client(DIRECT);
    await Promise.all([through.connect(), direct.connect()]);
    const sql = 'select id, name, email, now()::date as today from sluice_basics where id <= 50 order by id';
    const [a, b] = await Promise.all([through.query(sql), direct.query(sql)]);
    expect(a.rows).toEqual(b.rows);
    expect(a.fields.map((f) => [f.name, f.dataTypeID])).toEqual(b.fields.map((f) => [f.name, f.dataTypeID]));
    await Promise.all([through.end(), direct.end()]);
  });

  it('refuses a wrong password and an unknown user alike, with 28P01', async () => {
    for (const [user, password] of [['alice', 'nope'], ['mallory', 'whatever']] as const) {
      const c = client(user, password);
      await expect(c.connect()).rejects.toMatchObject({ code: '28P01' });
    }
  });

  it('denies DROP with 42501 and the same connection goes on working', async () => {
    const c = client();
    await c.connect();
    await expect(c.query('DROP TABLE sluice_basics')).rejects.toMatchObject({
      code: '42501',
      message: 'sluice: no-drop-in-test: DROP is not allowed here',
    });
    const { rows } = await c.query('select count(*)::int as n from sluice_basics');
    expect(rows).toEqual([{ n: 200 }]);
    await c.end();
  });

  it('passes server errors, transactions and multi-statement strings through', async () => {
    const c = client();
    await c.connect();
    await expect(c.query('select * from no_such_table')).rejects.toMatchObject({ code: '42P01' });
    await c.query('begin');
    await c.query("insert into sluice_basics values (1000, 'tx', 'tx@example.com')");
    await c.query('rollback');
    const { rows } = await c.query('select count(*)::int as n from sluice_basics where id = 1000');
    expect(rows).toEqual([{ n: 0 }]);
    const multi = (await c.query('select 1 as a; select 2 as b')) as unknown as pg.QueryResult[];
    expect(multi.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 2 }]]);
    await c.end();
  });

  it('streams a large result', async () => {
    const c = client();
    await c.connect();
    const { rows } = await c.query("select g, repeat('x', 100) as pad from generate_series(1, 100000) g");
    expect(rows).toHaveLength(100000);
    expect(rows[99999]).toEqual({ g: 100000, pad: 'x'.repeat(100) });
    await c.end();
  });

  it('never writes a password into the log', () => {
    const text = proxy.logText();
    expect(text).not.toContain('alice-secret-pw');
    expect(text).not.toContain('bob-secret-pw');
  });
});

describe('bad input', () => {
  it('disconnects a client that sends garbage with a protocol error; another session is unaffected', async () => {
    const healthy = client('bob', 'bob-secret-pw');
    await healthy.connect();
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(proxy.port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
    });
    expect(reply[0]).toBe(0x45); // ErrorResponse
    expect(reply.toString('latin1')).toContain('08P01');
    const { rows } = await healthy.query('select 42 as answer');
    expect(rows).toEqual([{ answer: 42 }]);
    await healthy.end();
  });

  it('closes a session whose client breaks the framing after login, with a protocol error', async () => {
    const healthy = client('bob', 'bob-secret-pw');
    await healthy.connect();
    const broken = client();
    await broken.connect();
    const errors: Error[] = [];
    broken.on('error', (error) => errors.push(error));
    const ended = new Promise<void>((resolve) => broken.on('end', () => resolve()));
    // A message with an impossible length: the framing is lost for this session only.
    (broken as unknown as { connection: { stream: NodeJS.WritableStream } }).connection.stream.write(Buffer.from([0x51, 0xff, 0xff, 0xff, 0xff]));
    await ended;
    expect(errors.map((e) => (e as { code?: string }).code)).toContain('08P01');
    expect((await healthy.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    await healthy.end();
  });
});

function psqlScript(args: string[], input: string) {
  return run('psql', args, { input, env: { PGPASSWORD: 'alice-secret-pw' } });
}
