// The audit trail end to end: psql and pg through Sluice into the file, PostgreSQL and webhook sinks; SIGKILL, verify;
// fail-closed with pg, mysql2 and tedious.
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '@sluice/core';
import { CLI, psql, run, startProcess } from './helpers/processes.js';
import mysql from 'mysql2/promise';
import { TYPES } from 'tedious';
import { directConnection, MARIADB, mysqlListener } from './helpers/mysql.js';
import { fixtures, postgresListener, startSluice, USERS, type RunningSluice } from './helpers/sluice.js';
import { TdsTestServer } from './helpers/tds-test-server/index.js';
import { batch, closeTedious, connectTedious, execSql } from './helpers/tedious-client.js';

interface AuditRecord {
  seq: number;
  event: string;
  session?: string;
  identity?: { sub?: string; name?: string; groups?: string[]; auth?: string; claimed?: string };
  client?: { addr?: string; application?: string };
  listener?: string;
  environment?: string;
  database?: string;
  upstream_user?: string;
  statement?: { sql: string; kinds?: string[]; tables?: { name: string; access: string }[] };
  decision?: { action: string; rule?: string; reason?: string };
  result?: { rows?: number; reason?: string; error?: { code?: string; message: string } };
  masked?: Record<string, { type: string; count: number }>;
  hash: string;
  prev: string;
}

const DIRECT = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const TABLE = 'audit_e2e_customers';
const SCHEMA = `audit_e2e_${process.pid}`;
/** The TDS test server's database (a PostgreSQL schema) for the SQL Server proof of fail-closed. */
const BLOCK_SCHEMA = `audit_block_${process.pid}`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-audit-e2e-'));
  const direct = new pg.Client(DIRECT);
  await direct.connect();
  await direct.query(`drop table if exists ${TABLE}; create table ${TABLE} (id int primary key, name text, email text);
    insert into ${TABLE} select g, 'name ' || g, 'user' || g || '@example.com' from generate_series(1, 20) g`);
  await direct.end();
});

afterAll(async () => {
  const direct = new pg.Client(DIRECT);
  await direct.connect();
  await direct.query(`drop table if exists ${TABLE}; drop schema if exists ${SCHEMA} cascade; drop schema if exists ${BLOCK_SCHEMA} cascade`);
  await direct.end();
  await rm(dir, { recursive: true, force: true });
});

async function readRecords(path: string): Promise<AuditRecord[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.startsWith('{') && line.endsWith('}'))
    .map((line) => JSON.parse(line) as AuditRecord);
}

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function pgClient(port: number, user = 'alice', password = 'alice-secret-pw') {
  return new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
}

describe('a psql session through Sluice', () => {
  let proxy: RunningSluice;
  const file = () => join(dir, 'session', 'audit.jsonl');

  beforeAll(async () => {
    // Audit first, so its fail-closed check runs before any other plugin decides.
    proxy = await startSluice(`${postgresListener()}${USERS}
plugins:
  - use: "@sluice/plugin-audit"
    with: { sinks: [ { type: file, path: ${file()} } ] }
  - use: ./plugins/deny-drop.js
    with: { rule: no-drop-in-test }
  - use: "@sluice/plugin-masking"
    with: { detect: auto }
`);
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  it('produces connect, query and disconnect records with identity, tables, masked counts and decisions', async () => {
    const script = `select id, email from ${TABLE} where id <= 3 order by id;\ndrop table ${TABLE};\n`;
    const result = await run('psql', ['-X', '-At', '-h', '127.0.0.1', '-p', String(proxy.port), '-U', 'alice', '-d', 'postgres'], {
      input: script,
      env: { PGPASSWORD: 'alice-secret-pw', PGAPPNAME: 'audit-e2e' },
    });
    expect(result.stdout).not.toContain('user1@example.com');
    expect(result.stderr).toContain('sluice: no-drop-in-test: DROP is not allowed here');

    const records = await waitFor(async () => {
      const all = await readRecords(file());
      return all.some((r) => r.event === 'disconnect') ? all : undefined;
    }, 'the disconnect record');
    const session = records.find((r) => r.event === 'connect')!.session!;
    const mine = records.filter((r) => r.session === session);
    expect(mine.map((r) => r.event)).toEqual(['connect', 'query', 'query', 'disconnect']);
    const [connect, select, drop, disconnect] = mine as [AuditRecord, AuditRecord, AuditRecord, AuditRecord];
    expect(connect).toMatchObject({
      identity: { sub: 'alice', name: 'alice', groups: ['dba'], auth: 'password' },
      client: { addr: '127.0.0.1', application: 'audit-e2e' },
      listener: 'pg-test',
      environment: 'test',
      database: 'postgres',
      upstream_user: 'postgres',
      decision: { action: 'allow' },
    });
    expect(select).toMatchObject({
      identity: { name: 'alice' },
      statement: { sql: `select id, email from ${TABLE} where id <= 3 order by id;`, kinds: ['select'], tables: [{ name: TABLE, access: 'read' }] },
      decision: { action: 'allow' },
      result: { rows: 3 },
    });
    const masked = Object.entries(select.masked ?? {});
    expect(masked).toHaveLength(1);
    expect(masked[0]![0]).toMatch(/email$/);
    expect(masked[0]![1]).toEqual({ type: 'email', count: 3 });
    expect(drop).toMatchObject({
      statement: { kinds: ['drop'], tables: [{ name: TABLE, access: 'write' }] },
      decision: { action: 'deny', rule: 'no-drop-in-test', reason: 'DROP is not allowed here' },
      result: { rows: 0, error: { code: '42501' } },
    });
    expect(disconnect).toMatchObject({ result: { reason: 'client', statements: 2 } });

    const verified = await run('node', [CLI, 'audit', 'verify', file()]);
    expect(verified.stdout).toMatch(/^OK \d+ record\(s\)/);
    expect(verified.code).toBe(0);
    const search = await run('node', [CLI, 'audit', 'search', file(), '--table', TABLE, '--decision', 'deny', '--json']);
    expect(search.code).toBe(0);
    expect(search.stdout.trim().split('\n').map((line) => (JSON.parse(line) as AuditRecord).seq)).toEqual([drop.seq]);
  });

  it('records a refused login with only the claimed user, and never a password', async () => {
    const refused = await psql(proxy.port, 'alice', 'wrong-password-xyz', 'select 1');
    expect(refused.code).not.toBe(0);
    const record = await waitFor(async () => (await readRecords(file())).find((r) => r.event === 'connect' && r.decision?.action === 'deny'), 'the refused connect record');
    expect(record).toMatchObject({ identity: { claimed: 'alice' }, listener: 'pg-test', decision: { action: 'deny', reason: expect.stringContaining('password authentication failed') } });
    expect(record.identity).not.toHaveProperty('sub');
    expect(record).not.toHaveProperty('session');
    const text = await readFile(file(), 'utf8');
    expect(text).not.toContain('wrong-password-xyz');
    expect(text).not.toContain('alice-secret-pw');
  });
});

describe('a config reload', () => {
  it('keeps one chain in one file, with the session that spans it recorded whole', async () => {
    const file = join(dir, 'reload', 'audit.jsonl');
    const keys = await keyPair();
    const yaml = (every: number) => `${postgresListener()}${USERS}
plugins:
  - use: "@sluice/plugin-audit"
    with:
      sinks: [ { type: file, path: ${file} } ]
      checkpoints: { private_key_file: ${keys.privateKey}, every_records: ${every} }
`;
    const proxy = await startSluice(yaml(3));
    const client = pgClient(proxy.port);
    await client.connect();
    for (let i = 0; i < 4; i++) await client.query(`select ${i}`);
    await proxy.sluice.reload(parseConfigText(yaml(2), { file: join(fixtures, 'inline.yaml') }));
    for (let i = 0; i < 4; i++) await client.query(`select ${i}`);
    await client.end();
    await proxy.stop();

    const records = await readRecords(file);
    expect(records.map((r) => r.seq)).toEqual([...Array(records.length).keys()].map((i) => i + 1));
    expect(records.filter((r) => r.event === 'query')).toHaveLength(8);
    const verified = await run('node', [CLI, 'audit', 'verify', '--require-seal', '--public-key', keys.publicKey, file]);
    expect(verified.stdout).toMatch(/^OK .*signatures valid; sealed/);
    expect(verified.code).toBe(0);
  });
});

describe('the PostgreSQL sink', () => {
  it('writes the same records as the file, batched, into its own schema', async () => {
    const file = join(dir, 'pg', 'audit.jsonl');
    const proxy = await startSluice(`${postgresListener()}${USERS}
plugins:
  - use: "@sluice/plugin-audit"
    with:
      sinks:
        - { type: file, path: ${file} }
        - { type: postgres, connection: { host: 127.0.0.1, port: 5432, user: postgres, database: postgres }, schema: ${SCHEMA}, batch_size: 4, flush_interval: 50ms }
`);
    const client = pgClient(proxy.port, 'bob', 'bob-secret-pw');
    await client.connect();
    for (let i = 0; i < 5; i++) await client.query(`select name from ${TABLE} where id = ${i + 1}`);
    await client.end();
    await proxy.stop();

    const fileRecords = await readRecords(file);
    const direct = new pg.Client(DIRECT);
    await direct.connect();
    const { rows } = await direct.query<{ seq: string; event: string; user_name: string; tables: string[]; hash: string }>(
      `select seq, event, user_name, tables, hash from ${SCHEMA}.records order by id`,
    );
    await direct.end();
    expect(rows.map((row) => row.hash)).toEqual(fileRecords.map((record) => record.hash));
    expect(rows.map((row) => row.event)).toEqual(['connect', 'query', 'query', 'query', 'query', 'query', 'disconnect']);
    expect(rows[1]).toMatchObject({ user_name: 'bob', tables: [TABLE] });
  });
});

describe('the webhook sink', () => {
  it('delivers every record, in order, once, after the endpoint was down for a while', async () => {
    const port = await freePort();
    const file = join(dir, 'webhook', 'audit.jsonl');
    const proxy = await startSluice(`${postgresListener()}${USERS}
plugins:
  - use: "@sluice/plugin-audit"
    with:
      sinks:
        - { type: file, path: ${file} }
        - { type: webhook, url: "http://127.0.0.1:${port}/siem", headers: { authorization: "Bearer siem-secret-token" }, batch_size: 3, flush_interval: 20ms, retry: { initial: 50ms, max: 200ms }, spool: { dir: ${join(dir, 'webhook', 'spool')} } }
`);
    const client = pgClient(proxy.port);
    await client.connect();
    for (let i = 0; i < 6; i++) await client.query(`select ${i}`);
    await waitFor(() => proxy.logs.some((line) => line.msg === 'audit sink cannot write' && /webhook/.test(String(line.sink))), 'the webhook sink to fail');
    for (let i = 0; i < 6; i++) await client.query(`select ${i}`);

    const received: AuditRecord[] = [];
    const tokens = new Set<string | undefined>();
    const server: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(...(JSON.parse(body) as AuditRecord[]));
        tokens.add(request.headers.authorization);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    for (let i = 0; i < 3; i++) await client.query(`select ${i}`);
    await client.end();
    await waitFor(async () => {
      const written = await readRecords(file);
      return written.length > 0 && written.some((r) => r.event === 'disconnect') && received.length === written.length;
    }, 'every record at the endpoint');
    await proxy.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const written = await readRecords(file);
    expect(received.map((r) => r.seq)).toEqual(written.map((r) => r.seq));
    expect(received.map((r) => r.hash)).toEqual(written.map((r) => r.hash));
    expect(new Set(received.map((r) => r.seq)).size).toBe(received.length);
    expect([...tokens]).toEqual(['Bearer siem-secret-token']);
    expect(proxy.logText()).not.toContain('siem-secret-token');
  });
});

describe('a block sink that cannot write makes the next statement fail in each dialect', () => {
  const REFUSAL = 'sluice: audit: the audit trail cannot be written (file sink: EFBIG: file too large); statements are refused until it recovers';

  /**
   * Sluice as a child process under a real file size limit (RLIMIT_FSIZE, 16 × 512 bytes): once the trail
   * reaches it, writes fail with EFBIG. Runs `use` against its port, then checks the trail verifies.
   */
  async function withBlockingSluice(listener: string, use: (port: number) => Promise<void>, env: NodeJS.ProcessEnv = {}): Promise<string> {
    const work = await mkdtemp(join(dir, 'block-'));
    const file = join(work, 'audit.jsonl');
    const config = join(work, 'sluice.yaml');
    await writeFile(config, `${listener}${USERS}
logging: { level: info, format: json }
plugins:
  - use: "@sluice/plugin-audit"
    with: { sinks: [ { type: file, path: ${file}, on_failure: block } ] }
`);
    const sluice = startProcess('sh', ['-c', `ulimit -f 16; exec node ${CLI} start -c ${config}`], /"msg":"listening"/, { env });
    try {
      await sluice.started;
      await use(Number(/"address":"127\.0\.0\.1:(\d+)","msg":"listening"/.exec(sluice.output())![1]));
      expect(sluice.output()).toMatch(/"msg":"audit sink cannot write"/);
    } finally {
      sluice.child.kill('SIGKILL');
      await sluice.exited;
    }
    const verified = await run('node', [CLI, 'audit', 'verify', file]);
    expect(verified.stdout).toMatch(/^OK/);
    expect(verified.code).toBe(0);
    return sluice.output();
  }

  /** Runs statement n = 0, 1, … until one fails; the trail fills up long before 200. */
  async function untilRefused(statement: (n: number) => Promise<unknown>): Promise<{ allowed: number; failure: Error & Record<string, unknown> }> {
    for (let n = 0; n < 200; n++) {
      try {
        await statement(n);
      } catch (error) {
        return { allowed: n, failure: error as Error & Record<string, unknown> };
      }
    }
    throw new Error('200 statements were allowed: the trail never filled up');
  }

  it('PostgreSQL: 42501 and a clear message, and a trail verify accepts', async () => {
    await withBlockingSluice(postgresListener(), async (port) => {
      const client = pgClient(port);
      await client.connect();
      const { allowed, failure } = await untilRefused((n) => client.query(`select '${'x'.repeat(200)}' as padding, ${n} as n`));
      expect(allowed).toBeGreaterThan(0);
      expect(failure).toMatchObject({ code: '42501', message: REFUSAL });
      await expect(client.query('select 1')).rejects.toMatchObject({ code: '42501' });
      await client.end();
      // A new session is refused at login, with the same reason.
      await expect(pgClient(port).connect()).rejects.toMatchObject({ code: '28000', message: REFUSAL });
    });
  });

  it('MySQL: ERR 1142 with the same message, and the refused statement never reaches MariaDB', async () => {
    const table = `audit_block_${process.pid}`;
    const direct = await directConnection();
    await direct.query(`drop table if exists ${table}; create table ${table} (n int primary key, padding text)`);
    try {
      await withBlockingSluice(mysqlListener(), async (port) => {
        const client = await mysql.createConnection({ host: '127.0.0.1', port, user: 'alice', password: 'alice-secret-pw', database: MARIADB.database });
        const { allowed, failure } = await untilRefused((n) => client.query(`insert into ${table} values (${n}, '${'x'.repeat(200)}')`));
        expect(allowed).toBeGreaterThan(0);
        expect(failure).toMatchObject({ errno: 1142, sqlState: '42000', message: REFUSAL });
        // The session goes on, refusing statements in the text and the binary protocol alike.
        await expect(client.query('select 1')).rejects.toMatchObject({ errno: 1142, message: REFUSAL });
        await expect(client.execute('select ? as n', [1])).rejects.toMatchObject({ errno: 1142, message: REFUSAL });
        await client.end();
        // A new session is refused at login, with the same reason.
        await expect(mysql.createConnection({ host: '127.0.0.1', port, user: 'alice', password: 'alice-secret-pw', database: MARIADB.database })).rejects.toMatchObject({ errno: 1045, message: REFUSAL });
        const [rows] = await direct.query<mysql.RowDataPacket[]>(`select n from ${table} order by n`);
        expect(rows.map((row) => row.n)).toEqual([...Array(allowed).keys()]);
      });
    } finally {
      await direct.query(`drop table if exists ${table}`);
      await direct.end();
    }
  });

  it('SQL Server: ERROR 229 with the same message, and the refused statement never reaches the server', async () => {
    const upstream = { user: 'audit_block_upstream', password: 'Audit-Block-Pw-1' };
    const server = await TdsTestServer.start({ database: BLOCK_SCHEMA, users: { [upstream.user]: upstream.password } });
    const listener = `
listeners:
  - name: mssql-block
    dialect: mssql
    listen: 127.0.0.1:0
    environment: test
    upstream: { host: 127.0.0.1, port: ${server.port}, user: ${upstream.user}, password: "\${env:UPSTREAM_PASSWORD}", database: ${BLOCK_SCHEMA}, tls: disable }
`;
    try {
      const setup = await connectTedious({ port: server.port, user: upstream.user, password: upstream.password });
      await batch(setup, 'create table audit_block (n int primary key, padding text)');
      await closeTedious(setup);
      const output = await withBlockingSluice(
        listener,
        async (port) => {
          const client = await connectTedious({ port, user: 'alice', password: 'alice-secret-pw' });
          try {
            const insert = (n: number) => `insert into audit_block values (${n}, '${'x'.repeat(200)}')`;
            const { allowed, failure } = await untilRefused((n) => batch(client, insert(n)));
            expect(allowed).toBeGreaterThan(0);
            expect(failure).toMatchObject({ number: 229, message: REFUSAL });
            expect(server.seen('batch').map((b) => b.sql)).not.toContain(insert(allowed));
            // The session goes on, refusing batches and RPCs alike.
            await expect(batch(client, 'select 1')).rejects.toMatchObject({ number: 229, message: REFUSAL });
            await expect(execSql(client, 'select @n as n', [['n', TYPES.Int, 1]])).rejects.toMatchObject({ number: 229, message: REFUSAL });
            expect(server.seen('rpc')).toEqual([]);
            const check = await connectTedious({ port: server.port, user: upstream.user, password: upstream.password });
            const { rows } = await batch(check, 'select n from audit_block order by n');
            await closeTedious(check);
            expect(rows.map((row) => row.n)).toEqual([...Array(allowed).keys()]);
            // A new session is refused at login, with the same reason.
            await expect(connectTedious({ port, user: 'alice', password: 'alice-secret-pw' })).rejects.toMatchObject({ code: 'ELOGIN', message: REFUSAL });
          } finally {
            await closeTedious(client);
          }
        },
        { UPSTREAM_PASSWORD: upstream.password },
      );
      expect(output).not.toContain(upstream.password);
    } finally {
      await server.stop();
    }
  });
});

describe('SIGKILL in the middle of a stream of statements', () => {
  it('loses no record the file sink confirmed durable, and leaves a file verify accepts', async () => {
    const work = await mkdtemp(join(dir, 'kill-'));
    const file = join(work, 'audit.jsonl');
    const config = join(work, 'sluice.yaml');
    await writeFile(config, `${postgresListener()}${USERS}
logging: { level: debug, format: json }
plugins:
  - use: "@sluice/plugin-audit"
    with: { sinks: [ { type: file, path: ${file}, fsync: record } ] }
`);
    const sluice = startProcess('node', [CLI, 'start', '-c', config], /"msg":"listening"/);
    await sluice.started;
    const port = Number(/"address":"127\.0\.0\.1:(\d+)","msg":"listening"/.exec(sluice.output())![1]);
    const durable = () => {
      let max = 0;
      for (const line of sluice.output().split('\n')) {
        if (!line.includes('"msg":"audit records durable"')) continue;
        try {
          max = Math.max(max, (JSON.parse(line) as { seq: number }).seq);
        } catch {
          // The last line may still be arriving.
        }
      }
      return max;
    };

    const clients = await Promise.all([pgClient(port), pgClient(port, 'bob', 'bob-secret-pw')].map(async (client) => {
      client.on('error', () => undefined);
      await client.connect();
      return client;
    }));
    let stop = false;
    const streams = clients.map(async (client, index) => {
      for (let i = 0; !stop; i++) await client.query(`select ${index} as client, ${i} as n, '${'y'.repeat(i % 50)}' as pad`);
    });
    const settled = Promise.allSettled(streams);
    await waitFor(() => durable() >= 300, '300 durable records', 30_000);
    sluice.child.kill('SIGKILL');
    await sluice.exited;
    const confirmed = durable();
    stop = true;
    await settled;
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));

    const records = await readRecords(file);
    expect(confirmed).toBeGreaterThanOrEqual(300);
    expect(records.length).toBeGreaterThanOrEqual(confirmed);
    expect(records.slice(0, confirmed).map((r) => r.seq)).toEqual([...Array(confirmed).keys()].map((i) => i + 1));
    const verified = await run('node', [CLI, 'audit', 'verify', file]);
    expect(verified.stdout).toMatch(/^OK \d+ record\(s\), seq 1 to \d+/);
    expect(verified.code).toBe(0);

    // A restart continues the same chain after the kill.
    const again = startProcess('node', [CLI, 'start', '-c', config], /"msg":"listening"/);
    await again.started;
    const port2 = Number(/"address":"127\.0\.0\.1:(\d+)","msg":"listening"/.exec(again.output())![1]);
    // `sluice check` beside the running proxy neither takes its lock nor writes to its trail.
    const sizeBefore = (await readFile(file)).length;
    const checked = await run('node', [CLI, 'check', '-c', config]);
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(0);
    expect((await readFile(file)).length).toBe(sizeBefore);
    const client = pgClient(port2);
    await client.connect();
    await client.query('select 1');
    await client.end();
    again.child.kill('SIGTERM');
    await again.exited;
    const after = await run('node', [CLI, 'audit', 'verify', file]);
    expect(after.code).toBe(0);
    expect((await readRecords(file)).length).toBeGreaterThan(records.length);
  });
});

/** Paths of a key pair written by `sluice audit keygen`. */
async function keyPair(): Promise<{ privateKey: string; publicKey: string }> {
  const work = await mkdtemp(join(dir, 'keys-'));
  const keys = { privateKey: join(work, 'audit.pem'), publicKey: join(work, 'audit.pub') };
  const generated = await run('node', [CLI, 'audit', 'keygen', keys.privateKey, keys.publicKey]);
  expect(generated.code).toBe(0);
  return keys;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
