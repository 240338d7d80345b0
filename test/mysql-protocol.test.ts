// MySQL protocol edges through Sluice: TLS to the client, password exchanges, upstream passwords,
// a server that dies mid-session, malformed packets from a client.
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTROSPECTION_CLIENT, startIssuer, tamper, type TestIssuer } from './helpers/oidc-provider.js';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CLI, run, startProcess } from './helpers/processes.js';
import { directConnection, mysqlListener } from './helpers/mysql.js';
import { CLOSED_PORT, startSluice, USERS, type RunningSluice } from './helpers/sluice.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-my-proto-'));
execFileSync(
  'openssl',
  ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
  { stdio: 'ignore' },
);
const CA = readFileSync(join(dir, 'cert.pem'));
/** An upstream login of this file's own, with a password, for mysql_native_password towards the server. */
const NATIVE_USER = 'sluice_my_proto_native';
const NATIVE_PASSWORD = 'native-Pw-42';

let tls: RunningSluice;
let passworded: RunningSluice;

beforeAll(async () => {
  const direct = await directConnection();
  await direct.query(`drop user if exists ${NATIVE_USER}@'%', ${NATIVE_USER}@'localhost', ${NATIVE_USER}@'127.0.0.1';
    create user ${NATIVE_USER}@'127.0.0.1' identified by '${NATIVE_PASSWORD}';
    grant select on test.* to ${NATIVE_USER}@'127.0.0.1'`);
  await direct.end();
  tls = await startSluice(mysqlListener({ extra: `    tls: { cert: ${join(dir, 'cert.pem')}, key: ${join(dir, 'key.pem')} }` }).replace(/\n$/, '') + `\n${USERS}`);
  passworded = await startSluice(
    `${mysqlListener({ upstream: `{ host: 127.0.0.1, port: 3306, user: ${NATIVE_USER}, password: "\${env:NATIVE_PASSWORD}", database: test, tls: prefer }` })}${USERS}`,
    { NATIVE_PASSWORD },
  );
});

afterAll(async () => {
  await tls?.stop();
  await passworded?.stop();
  const direct = await directConnection();
  await direct.query(`drop user if exists ${NATIVE_USER}@'127.0.0.1'`);
  await direct.end();
});

function connectTo(port: number, extra: mysql.ConnectionOptions = {}) {
  return mysql.createConnection({ host: '127.0.0.1', port, user: 'alice', password: 'alice-secret-pw', database: 'test', ...extra });
}

describe('TLS towards the client', () => {
  it('mysql2 verifies the listener certificate and signs in over TLS (caching_sha2 fast path)', async () => {
    const conn = await connectTo(tls.port, { ssl: { ca: CA } });
    const stream = (conn as unknown as { connection: { stream: unknown } }).connection.stream;
    expect(stream).toBeInstanceOf(TLSSocket);
    const [rows] = await conn.query<RowDataPacket[]>('select 1 + 1 as two');
    expect(rows).toEqual([{ two: 2 }]);
    await conn.end();
  });

  it('the mariadb client verifies the certificate and runs a query over TLS', async () => {
    const result = await run('mariadb', [
      '--protocol=tcp', '-h', '127.0.0.1', '-P', String(tls.port), '-u', 'alice', '-palice-secret-pw',
      '--ssl', `--ssl-ca=${join(dir, 'cert.pem')}`, '--ssl-verify-server-cert', '-N', 'test', '-e', "show session status like 'Ssl_version'; select 'over tls'",
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('over tls');
  });

  it("without TLS, mysql2 signs in through caching_sha2's fast path", async () => {
    const conn = await connectTo(tls.port);
    const [rows] = await conn.query<RowDataPacket[]>('select current_user() as who');
    expect(rows[0]!.who).toMatch(/^root@/);
    await conn.end();
  });

  it('refuses a wrong password over TLS with 1045', async () => {
    await expect(connectTo(tls.port, { ssl: { ca: CA }, password: 'nope' })).rejects.toMatchObject({ errno: 1045, sqlState: '28000' });
    expect(tls.logText()).not.toContain('nope');
    expect(tls.logText()).not.toContain('alice-secret-pw');
  });

  it('accepts mysql_clear_password over TLS when the client chooses it', async () => {
    const result = await run('mariadb', [
      '--protocol=tcp', '-h', '127.0.0.1', '-P', String(tls.port), '-u', 'bob', '-pbob-secret-pw', '--ssl', `--ssl-ca=${join(dir, 'cert.pem')}`,
      '--default-auth=mysql_clear_password', '-N', 'test', '-e', 'select 42',
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('42\n');
  });
});

describe('token login (identity.oidc) and upstream.by_group', () => {
  let issuer: TestIssuer;
  let sso: RunningSluice;
  let loopback: RunningSluice;

  const config = (tlsBlock: string, oidcExtra: string) => `
listeners:
  - name: my-sso
    dialect: mysql
    listen: 127.0.0.1:0
    environment: test
${tlsBlock}    upstream:
      host: 127.0.0.1
      port: 3306
      database: test
      tls: disable
      by_group:
        - { group: dba, user: root }
        - { group: analyst, user: ${NATIVE_USER}, password: "\${env:NATIVE_PASSWORD}" }
identity:
  oidc: { issuer: "${issuer.issuer}", audience: sluice, clock_tolerance: 0, introspection: { client_id: ${INTROSPECTION_CLIENT.id}, client_secret: ${INTROSPECTION_CLIENT.secret} }${oidcExtra} }
`;

  beforeAll(async () => {
    issuer = await startIssuer();
    sso = await startSluice(config(`    tls: { cert: ${join(dir, 'cert.pem')}, key: ${join(dir, 'key.pem')} }\n`, ''), { NATIVE_PASSWORD });
    loopback = await startSluice(config('', ', allow_plaintext_loopback: true'), { NATIVE_PASSWORD });
  });

  afterAll(async () => {
    await sso?.stop(200);
    await loopback?.stop(200);
    await issuer?.close();
  });

  const asToken = (port: number, token: string, extra: mysql.ConnectionOptions = {}) =>
    mysql.createConnection({ host: '127.0.0.1', port, user: 'sso-user', password: token, database: 'test', ssl: { ca: CA }, ...extra });

  it('mysql2 signs in over TLS with the access token as the password, mapped by group', async () => {
    for (const [service, expected] of [['svc-dba', /^root@/], ['svc-analyst', new RegExp(`^${NATIVE_USER}@`)]] as const) {
      const token = await issuer.serviceToken(service);
      const conn = await asToken(sso.port, token);
      const [rows] = await conn.query<RowDataPacket[]>('select current_user() as who');
      expect(rows[0]!.who).toMatch(expected);
      await conn.end();
      expect(sso.logText()).not.toContain(token);
    }
    expect(sso.logs.some((line) => line.msg === 'session started' && line.auth === 'oidc' && line.user === 'svc-dba')).toBe(true);
  });

  it('the mariadb client signs in with the token over TLS (caching_sha2 full authentication)', async () => {
    const token = await issuer.serviceToken('svc-dba');
    const result = await run(
      'mariadb',
      ['--protocol=tcp', '-h', '127.0.0.1', '-P', String(sso.port), '-u', 'sso-user', '--ssl', `--ssl-ca=${join(dir, 'cert.pem')}`, '-N', 'test', '-e', 'select 5'],
      { env: { MYSQL_PWD: token } },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('5\n');
  });

  it('refuses a token over plaintext, a tampered token and an identity that maps to nothing, with 1045', async () => {
    const token = await issuer.serviceToken('svc-dba');
    await expect(asToken(sso.port, token, { ssl: undefined })).rejects.toMatchObject({ errno: 1045, message: expect.stringContaining('token login needs a TLS connection') });
    const analyst = await issuer.serviceToken('svc-analyst');
    await expect(asToken(sso.port, tamper(analyst, { groups: ['dba'] }))).rejects.toMatchObject({ errno: 1045, sqlState: '28000' });
    expect(sso.logs.some((line) => String(line.reason).startsWith('token refused: the token signature does not verify'))).toBe(true);
    const nobody = await issuer.serviceToken('svc-nobody');
    await expect(asToken(sso.port, nobody)).rejects.toMatchObject({ errno: 1045, message: expect.stringContaining('matches no upstream.by_group entry') });
    expect(sso.logText()).not.toContain(token);
  });

  it('on loopback, with allow_plaintext_loopback, asks for the token with mysql_clear_password', async () => {
    const token = await issuer.serviceToken('svc-dba');
    // mysql2 sends a clear password only when told to: the client's own safety switch.
    const conn = await asToken(loopback.port, token, { ssl: undefined, enableCleartextPlugin: true } as mysql.ConnectionOptions);
    const [rows] = await conn.query<RowDataPacket[]>('select 9 as n');
    expect(rows).toEqual([{ n: 9 }]);
    await conn.end();
  });
});

describe('shutdown', () => {
  it('lets a transaction finish, then closes the session with ERR 1053', async () => {
    const proxy = await startSluice(`${mysqlListener()}${USERS}`);
    const conn = await connectTo(proxy.port);
    const closedWith = new Promise<Error & { code?: unknown }>((resolve) => conn.on('error', resolve));
    await conn.query('begin');
    const started = Date.now();
    const stopping = proxy.stop(10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [rows] = await conn.query<RowDataPacket[]>('select 6 as still_here');
    expect(rows).toEqual([{ still_here: 6 }]);
    await conn.query('commit');
    const error = await closedWith;
    expect(error.code).toBe(1053);
    expect(error.message).toContain('the proxy is shutting down');
    await stopping;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('KILL with the connection id Sluice gave the client', () => {
  it('reaches that session on the server (what the mariadb client does on Ctrl-C); another identity may not', async () => {
    const running = await connectTo(tls.port);
    const id = running.threadId!;
    expect(id).toBeGreaterThanOrEqual(0x40000000);
    const sleeping = running.query('select sleep(20) as s');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const other = await connectTo(tls.port, { user: 'bob', password: 'bob-secret-pw' });
    await expect(other.query(`KILL QUERY ${id}`)).rejects.toMatchObject({ errno: 1095 });
    await other.end();
    const killer = await connectTo(tls.port);
    const started = Date.now();
    await killer.query(`KILL QUERY ${id}`);
    // MariaDB ends an interrupted SLEEP() with the value 1 rather than an error.
    const outcome = await sleeping.then(([rows]) => rows, (error: { errno: number }) => error.errno);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect([1317, [{ s: 1 }]]).toContainEqual(outcome);
    const [rows] = await running.query<RowDataPacket[]>('select 1 as alive');
    expect(rows).toEqual([{ alive: 1 }]);
    await expect(killer.query('KILL QUERY 2147483632')).rejects.toMatchObject({ errno: 1094 });
    await killer.end();
    await running.end();
  });
});

describe('the upstream login', () => {
  it('logs in with mysql_native_password and a password (prefer falls back to plaintext on a server without TLS)', async () => {
    const conn = await connectTo(passworded.port);
    const [rows] = await conn.query<RowDataPacket[]>('select current_user() as who');
    expect(rows[0]!.who).toBe(`${NATIVE_USER}@127.0.0.1`);
    await conn.end();
    expect(passworded.logText()).not.toContain(NATIVE_PASSWORD);
  });

  it('logs in with caching_sha2_password (fast path) without TLS and over verified TLS (a Sluice as the server)', async () => {
    for (const tlsMode of ['disable', 'require', 'verify-full'] as const) {
      const front = await startSluice(
        `${mysqlListener({ upstream: `{ host: 127.0.0.1, port: ${tls.port}, user: bob, password: "\${env:BOB_PASSWORD}", database: test, tls: ${tlsMode}, ca: ${join(dir, 'cert.pem')} }` })}${USERS}`,
        { BOB_PASSWORD: 'bob-secret-pw' },
      );
      try {
        const conn = await connectTo(front.port);
        const [rows] = await conn.query<RowDataPacket[]>("select current_user() as who, (select variable_value from information_schema.session_status where variable_name = 'ssl_cipher') as cipher");
        expect(rows[0]!.who).toMatch(/^root@/);
        await conn.end();
        expect(front.logText()).not.toContain('bob-secret-pw');
      } finally {
        await front.stop();
      }
    }
    expect(tls.logs.filter((line) => line.msg === 'session started' && line.user === 'bob').length).toBeGreaterThanOrEqual(3);
  });

  it('refuses the client with the server reason when upstream.tls is require and the server has no TLS', async () => {
    const proxy = await startSluice(`${mysqlListener({ upstream: '{ host: 127.0.0.1, port: 3306, user: root, database: test, tls: require }' })}${USERS}`);
    try {
      await expect(connectTo(proxy.port)).rejects.toMatchObject({ message: expect.stringContaining('does not accept TLS') });
    } finally {
      await proxy.stop();
    }
  });

  it('passes the server refusal of the login on with its error number (an unknown database)', async () => {
    // No upstream.database: the client's database is the one asked for.
    const proxy = await startSluice(`${mysqlListener({ upstream: '{ host: 127.0.0.1, port: 3306, user: root, tls: disable }' })}${USERS}`);
    try {
      await expect(connectTo(proxy.port, { database: 'sluice_no_such_database' })).rejects.toMatchObject({
        errno: 1049,
        message: expect.stringContaining("Unknown database 'sluice_no_such_database'"),
      });
      const conn = await connectTo(proxy.port, { database: 'mysql' });
      const [rows] = await conn.query<RowDataPacket[]>('select database() as db');
      expect(rows).toEqual([{ db: 'mysql' }]);
      await conn.end();
    } finally {
      await proxy.stop();
    }
  });

  it('answers with a clear error when the server cannot be reached', async () => {
    const closed = CLOSED_PORT;
    const proxy = await startSluice(`${mysqlListener({ upstream: `{ host: 127.0.0.1, port: ${closed}, user: root, tls: disable }` })}${USERS}`);
    try {
      await expect(connectTo(proxy.port)).rejects.toMatchObject({ errno: 2003, message: expect.stringContaining(`cannot connect to 127.0.0.1:${closed}`) });
    } finally {
      await proxy.stop();
    }
  });
});

describe('a server that dies mid-session', () => {
  let relay: Server;
  const upstreamSockets = new Set<Socket>();
  let proxy: RunningSluice;

  beforeAll(async () => {
    // A TCP relay in front of MariaDB that the test can cut.
    relay = createServer((client) => {
      const server = connect(3306, '127.0.0.1');
      upstreamSockets.add(server);
      client.on('error', () => undefined);
      server.on('error', () => undefined);
      client.pipe(server).pipe(client);
      server.on('close', () => client.destroy());
      client.on('close', () => server.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const port = (relay.address() as { port: number }).port;
    proxy = await startSluice(`${mysqlListener({ upstream: `{ host: 127.0.0.1, port: ${port}, user: root, database: test, tls: disable }` })}${USERS}`);
  });

  afterAll(async () => {
    await proxy?.stop();
    relay?.close();
  });

  it('ends a running statement with an ERR instead of a hang', async () => {
    const conn = await connectTo(proxy.port);
    conn.on('error', () => undefined);
    const pending = conn.query('select sleep(30)');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    for (const socket of upstreamSockets) socket.destroy();
    await expect(pending).rejects.toMatchObject({ errno: 1053, message: expect.stringContaining('database server closed the connection') });
    expect(Date.now() - started).toBeLessThan(3_000);
    conn.destroy();
  });

  it('a packet the server sends out of turn ends only that session, with an ERR', async () => {
    const victim = await connectTo(proxy.port);
    const other = await connectTo(proxy.port);
    const failed = new Promise<Error>((resolve) => victim.on('error', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The upstream side of the victim (the first of the two just opened): an OK packet no command asked for.
    const sockets = [...upstreamSockets];
    sockets.at(-2)!.emit('data', Buffer.from([7, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]));
    const error = await failed;
    expect(error.message).toMatch(/no command in flight/);
    const [rows] = await other.query<RowDataPacket[]>('select 3 as ok');
    expect(rows).toEqual([{ ok: 3 }]);
    await other.end();
  });

  it('tells an idle client too, and the next connection works', async () => {
    const conn = await connectTo(proxy.port);
    const failed = new Promise<Error>((resolve) => conn.on('error', resolve));
    for (const socket of upstreamSockets) socket.destroy();
    const error = await failed;
    expect(error.message).toMatch(/database server closed the connection|Connection lost/);
    const next = await connectTo(proxy.port);
    const [rows] = await next.query<RowDataPacket[]>('select 7 as n');
    expect(rows).toEqual([{ n: 7 }]);
    await next.end();
  });
});

describe('what plugins see', () => {
  let recorded: RunningSluice;
  const events = () => ((globalThis as Record<string, unknown>).mysqlProtocolEvents ??= []) as Record<string, unknown>[];

  beforeAll(async () => {
    const direct = await directConnection();
    await direct.query('drop table if exists sluice_my_proto_fields; create table sluice_my_proto_fields (id int, email varchar(80))');
    await direct.end();
    recorded = await startSluice(`${mysqlListener()}${USERS}
timeouts: { idle: 1500ms }
plugins:
  - use: ./plugins/recorder.js
    with: { key: mysqlProtocolEvents }
`);
  });
  afterAll(async () => {
    await recorded?.stop();
    const direct = await directConnection();
    await direct.query('drop table if exists sluice_my_proto_fields');
    await direct.end();
  });

  it('every statement reaches onQuery (simple, prepare with SQL, execute with parameters) and onResult gets its summary', async () => {
    events().length = 0;
    const conn = await connectTo(recorded.port, { multipleStatements: true, connectAttributes: { program_name: 'proto-test' } });
    await conn.query('create temporary table t_events (id int, v varchar(10))');
    await conn.query("insert into t_events values (1, 'a'), (2, 'b'), (3, 'c')");
    await conn.execute('select id, v from t_events where id >= ?', [2]);
    await expect(conn.query('select * from no_such_table_here')).rejects.toMatchObject({ errno: 1146 });
    await conn.end();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const list = events();
    expect(list.find((e) => e.hook === 'onConnect')).toMatchObject({ user: 'alice', database: 'test', application: 'proto-test' });
    expect(list.filter((e) => e.hook === 'onQuery').map((e) => [e.via, e.sql, e.params])).toEqual([
      ['simple', 'create temporary table t_events (id int, v varchar(10))', undefined],
      ['simple', "insert into t_events values (1, 'a'), (2, 'b'), (3, 'c')", undefined],
      ['prepare', 'select id, v from t_events where id >= ?', undefined],
      ['execute', 'select id, v from t_events where id >= ?', ['2']],
      ['simple', 'select * from no_such_table_here', undefined],
    ]);
    const results = list.filter((e) => e.hook === 'onResult');
    expect(results[1]).toMatchObject({ affected: 3, rows: 0, decision: { action: 'allow' } });
    expect(results[3]).toMatchObject({ rows: 2 });
    expect(results[3]!.bytes).toBeGreaterThan(0);
    expect(results[4]).toMatchObject({ error: { code: '1146', message: expect.stringContaining('no_such_table_here') } });
    expect(list.find((e) => e.hook === 'onResultSet')).toMatchObject({ columns: ['id', 'v'] });
    expect(list.find((e) => e.hook === 'onDisconnect')).toMatchObject({ reason: 'client', statements: 5 });
  });

  it('COM_STMT_SEND_LONG_DATA: the parameter reaches the server and the plugins see it at execute', async () => {
    events().length = 0;
    const conn = await connectTo(recorded.port);
    const statement = ((await conn.prepare('select ? as v')) as unknown as { statement: { id: number } }).statement;
    const stream = (conn as unknown as { connection: { stream: Socket } }).connection.stream;
    const id = Buffer.alloc(4);
    id.writeUInt32LE(statement.id);
    const chunks: Buffer[] = [];
    const response = new Promise<Buffer>((resolve) => {
      const onData = (chunk: Buffer) => {
        chunks.push(chunk);
        const all = Buffer.concat(chunks);
        // count, column, [EOF], row, EOF/OK: done at a 0xfe packet after the row
        let at = 0;
        let sawRow = false;
        while (at + 4 <= all.length && at + 4 + all.readUIntLE(at, 3) <= all.length) {
          const payload = all.subarray(at + 4, at + 4 + all.readUIntLE(at, 3));
          if (payload[0] === 0x00 && payload.length > 1 && !sawRow && at > 0) sawRow = true;
          else if ((payload[0] === 0xfe && sawRow) || payload[0] === 0xff) {
            stream.off('data', onData);
            resolve(all);
          }
          at += 4 + payload.length;
        }
      };
      stream.prependListener('data', onData);
    });
    const packet = (sequence: number, payload: Buffer) => Buffer.concat([Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, 0, sequence]), payload]);
    // Two chunks of long data for parameter 0, then an execute that binds it as a BLOB and sends no value.
    stream.write(packet(0, Buffer.concat([Buffer.from([0x18]), id, Buffer.from([0, 0]), Buffer.from('hello ')])));
    stream.write(packet(0, Buffer.concat([Buffer.from([0x18]), id, Buffer.from([0, 0]), Buffer.from('long data')])));
    stream.write(packet(0, Buffer.concat([Buffer.from([0x17]), id, Buffer.from([0, 1, 0, 0, 0, 0x00, 0x01, 0xfc, 0x00])])));
    const all = await response;
    expect(all.includes(Buffer.from('hello long data'))).toBe(true);
    expect(events().filter((e) => e.hook === 'onQuery').at(-1)).toMatchObject({ via: 'execute', sql: 'select ? as v', params: ['hello long data'] });
    stream.destroy();
  });

  it('an execute pipelined behind its prepare (MariaDB id -1) is judged with that statement and its parameters', async () => {
    events().length = 0;
    const conn = await connectTo(recorded.port);
    await conn.execute('select ? as older', [1]); // a statement prepared before: -1 must not mean this one
    const stream = (conn as unknown as { connection: { stream: Socket } }).connection.stream;
    const chunks: Buffer[] = [];
    const answered = new Promise<Buffer>((resolve) => {
      const onData = (chunk: Buffer) => {
        chunks.push(chunk);
        const all = Buffer.concat(chunks);
        if (all.includes(Buffer.from('pipelined!'))) {
          stream.off('data', onData);
          resolve(all);
        }
      };
      stream.prependListener('data', onData);
    });
    const sql = Buffer.from("select concat(?, '!') as v");
    const prepare = Buffer.concat([Buffer.from([sql.length + 1, 0, 0, 0, 0x16]), sql]);
    const value = Buffer.from('pipelined');
    const executeBody = Buffer.concat([Buffer.from([0x17, 0xff, 0xff, 0xff, 0xff, 0, 1, 0, 0, 0, 0x00, 0x01, 0xfd, 0x00, value.length]), value]);
    const execute = Buffer.concat([Buffer.from([executeBody.length, 0, 0, 0]), executeBody]);
    stream.write(Buffer.concat([prepare, execute])); // one write: the execute leaves before the prepare is answered
    await answered;
    const queries = events().filter((e) => e.hook === 'onQuery').slice(-2);
    expect(queries).toEqual([
      { hook: 'onQuery', via: 'prepare', sql: "select concat(?, '!') as v", params: undefined },
      { hook: 'onQuery', via: 'execute', sql: "select concat(?, '!') as v", params: ['pipelined'] },
    ]);
    stream.destroy();
  });

  it('COM_FIELD_LIST is judged as SHOW COLUMNS and answered with the column definitions', async () => {
    events().length = 0;
    const conn = await connectTo(recorded.port);
    const stream = (conn as unknown as { connection: { stream: Socket } }).connection.stream;
    const received: Buffer[] = [];
    const done = new Promise<void>((resolve) =>
      stream.prependListener('data', (chunk: Buffer) => {
        received.push(chunk);
        const all = Buffer.concat(received);
        // ends with an EOF (0xfe, payload < 9) packet
        for (let at = 0; at + 4 <= all.length; ) {
          const length = all.readUIntLE(at, 3);
          if (at + 4 + length > all.length) return;
          if ((all[at + 4] === 0xfe && length < 9) || all[at + 4] === 0xff) resolve();
          at += 4 + length;
        }
      }),
    );
    const table = 'sluice_my_proto_fields';
    stream.write(Buffer.concat([Buffer.from([1 + table.length + 1, 0, 0, 0, 0x04]), Buffer.from(`${table}\0`)]));
    await done;
    const all = Buffer.concat(received);
    expect(all.includes(Buffer.from('email'))).toBe(true);
    expect(all[4]).not.toBe(0xff);
    expect(events().find((e) => e.hook === 'onQuery')).toMatchObject({ sql: `SHOW COLUMNS FROM \`${table}\``, via: 'simple' });
    stream.destroy();
  });

  it('ends an idle session with ERR 4031', async () => {
    const conn = await connectTo(recorded.port);
    const failed = new Promise<Error & { code?: unknown }>((resolve) => conn.on('error', resolve));
    await conn.query('select sleep(2)'); // a running statement is not idle
    const error = await failed;
    // mysql2 reports an ERR that answers no command with its message, and its number as `code`.
    expect(error.code).toBe(4031);
    expect(error.message).toMatch(/^sluice: terminating connection: idle for more than/);
  });
});

describe('a large result', () => {
  /** 256 MB in the suite; `SLUICE_STREAM_MB=1024` for the full 1 GB run. */
  const MEGABYTES = Number(process.env.SLUICE_STREAM_MB ?? 256);
  const ROW_BYTES = 1000;
  const ROWS = Math.round((MEGABYTES * 1024 * 1024) / ROW_BYTES);

  function rssMegabytes(pid: number): number {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  }

  it(`streams ${MEGABYTES} MB to a slow reader with flat proxy memory`, async () => {
    // Sluice in its own process, so its memory is measured alone.
    const config = join(dir, 'streaming.yaml');
    writeFileSync(config, `${mysqlListener()}${USERS}`);
    const sluice = startProcess('node', [CLI, 'start', '-c', config], /"address":"127\.0\.0\.1:(\d+)","msg":"listening"/);
    try {
      const port = Number(/:(\d+)/.exec(await sluice.started)![1]);
      const pid = sluice.child.pid!;
      const conn = await connectTo(port);
      await conn.query('select 1');
      const baseline = rssMegabytes(pid);
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssMegabytes(pid));
      }, 50);
      let rows = 0;
      const raw = (conn as unknown as { connection: { query(sql: string): { stream(options: object): NodeJS.ReadableStream } } }).connection;
      await pipeline(
        raw.query(`select seq, repeat('x', ${ROW_BYTES - 12}) as pad from seq_1_to_${ROWS}`).stream({ highWaterMark: 16 }),
        new Writable({
          objectMode: true,
          highWaterMark: 16,
          write(_row: unknown, _encoding, done) {
            rows++;
            // The first tenth is read slowly: the proxy must hold the server back, not buffer.
            if (rows < ROWS / 10 && rows % 2000 === 0) setTimeout(done, 20);
            else done();
          },
        }),
      );
      clearInterval(sampler);
      await conn.end();
      expect(rows).toBe(ROWS);
      const growth = peak - baseline;
      console.log(`proxy RSS: baseline ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB, growth ${growth.toFixed(1)} MB for ${MEGABYTES} MB streamed`);
      expect(growth).toBeLessThan(50);
    } finally {
      sluice.child.kill('SIGKILL');
    }
  }, 180_000);
});

describe('malformed packets from a client', () => {
  it('an unreadable handshake response gets an ERR and closes only that connection', async () => {
    const healthy = await connectTo(tls.port);
    const reply = await rawExchange(tls.port, Buffer.from([0x05, 0x00, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05]));
    expect(reply.errors.some((e) => e.code === 1043 || e.code === 1835)).toBe(true);
    expect(reply.closed).toBe(true);
    const [rows] = await healthy.query<RowDataPacket[]>('select 1 as ok');
    expect(rows).toEqual([{ ok: 1 }]);
    await healthy.end();
  });

  it('a broken packet after login ends that session with an error; others go on', async () => {
    const victim = await connectTo(tls.port);
    const other = await connectTo(tls.port);
    const failed = new Promise<Error>((resolve) => victim.on('error', resolve));
    // An empty command packet: no command byte.
    (victim as unknown as { connection: { stream: Socket } }).connection.stream.write(Buffer.from([0, 0, 0, 0]));
    const error = await failed;
    expect(error.message).toMatch(/sluice: empty command packet|Connection lost|closed/);
    const [rows] = await other.query<RowDataPacket[]>('select 2 as ok');
    expect(rows).toEqual([{ ok: 2 }]);
    await other.end();
  });

  it('random and mutated client streams, before and after login, never disturb the proxy or another session', async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const bytes = (length: number) => Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
    const healthy = await connectTo(tls.port);
    for (let i = 0; i < 25; i++) {
      // Before login: after the greeting, a random packet (sometimes well framed, sometimes not).
      const body = bytes(Math.floor(random() * 80));
      const framed = random() < 0.5 ? Buffer.concat([Buffer.from([body.length & 0xff, 0, 0, 1]), body]) : body;
      await rawExchange(tls.port, framed, 300);
      // After login: a command packet with random content, or random bytes.
      const conn = await connectTo(tls.port);
      conn.on('error', () => undefined);
      const stream = (conn as unknown as { connection: { stream: Socket } }).connection.stream;
      const command = Buffer.concat([Buffer.from([[0x03, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1c, 0x02, 0x04, 0xfa][i % 10]!]), bytes(Math.floor(random() * 40))]);
      stream.write(random() < 0.7 ? Buffer.concat([Buffer.from([command.length, 0, 0, 0]), command]) : bytes(30));
      await new Promise((resolve) => setTimeout(resolve, 30));
      conn.destroy();
    }
    const [rows] = await healthy.query<RowDataPacket[]>('select 4 as ok');
    expect(rows).toEqual([{ ok: 4 }]);
    await healthy.end();
    expect(tls.logs.filter((line) => line.msg === 'session failed' || line.msg === 'connection failed' || Number(line.level) >= 50)).toEqual([]);
  });

  it('an unknown command gets ERR 1047 and the session stays usable', async () => {
    const conn = await connectTo(tls.port);
    const stream = (conn as unknown as { connection: { stream: Socket } }).connection.stream;
    const answer = new Promise<Buffer>((resolve) => stream.prependOnceListener('data', (chunk: Buffer) => resolve(chunk)));
    stream.write(Buffer.from([1, 0, 0, 0, 0x99]));
    const chunk = await answer;
    expect(chunk[4]).toBe(0xff);
    expect(chunk.readUInt16LE(5)).toBe(1047);
    expect(chunk.toString('utf8', 13)).toContain('command 0x99 is not supported');
  });
});

/** Reads the greeting, sends `packet`, and collects ERR packets until the server closes. */
function rawExchange(port: number, packet: Buffer, waitMs = 5_000): Promise<{ errors: { code: number; message: string }[]; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const errors: { code: number; message: string }[] = [];
    let greeted = false;
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUIntLE(0, 3)) {
        const payload = buffered.subarray(4, 4 + buffered.readUIntLE(0, 3));
        buffered = buffered.subarray(4 + payload.length);
        if (!greeted) {
          greeted = true;
          socket.write(packet);
        } else if (payload[0] === 0xff) {
          errors.push({ code: payload.readUInt16LE(1), message: payload.toString('utf8', 9) });
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ errors, closed: true }));
    setTimeout(() => {
      socket.destroy();
      resolve({ errors, closed: false });
    }, waitMs).unref();
  });
}
