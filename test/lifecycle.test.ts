// Session lifecycle through the PostgreSQL driver: hooks in order, timeouts, TLS, upstream failures.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { psql } from './helpers/processes.js';
import { CLOSED_PORT, postgresListener, startSluice, USERS, type RunningSluice } from './helpers/sluice.js';

type Recorded = Record<string, unknown> & { hook: string };
const recorded = () => ((globalThis as Record<string, unknown>).lifecycleEvents ??= []) as Recorded[];

let proxy: RunningSluice | undefined;
afterEach(async () => {
  await proxy?.stop(200);
  proxy = undefined;
});
beforeEach(() => {
  recorded().length = 0;
});

const client = (port: number, extra: Partial<pg.ClientConfig> = {}) =>
  new pg.Client({ host: '127.0.0.1', port, user: 'alice', password: 'alice-secret-pw', database: 'postgres', ...extra });

describe('hooks', () => {
  it('run in order with what plugins need to know', async () => {
    proxy = await startSluice(`${postgresListener()}${USERS}
plugins:
  - use: ./plugins/recorder.js
    with: { key: lifecycleEvents }
`);
    const c = client(proxy.port, { application_name: 'lifecycle-test' });
    await c.connect();
    await c.query('create temp table hooks (id int)');
    await c.query('insert into hooks select generate_series(1, 3)');
    await c.query('select id from hooks order by id');
    await c.end();
    await waitFor(() => recorded().some((e) => e.hook === 'onDisconnect'));
    expect(recorded().map((e) => e.hook)).toEqual([
      'onConnect',
      'onQuery', 'onResult',
      'onQuery', 'onResult',
      'onQuery', 'onResultSet', 'onResult',
      'onDisconnect',
    ]);
    expect(recorded()[0]).toMatchObject({ user: 'alice', groups: ['dba'], listener: 'pg-test', environment: 'test', database: 'postgres', application: 'lifecycle-test' });
    const results = recorded().filter((e) => e.hook === 'onResult');
    expect(results[1]).toMatchObject({ sql: 'insert into hooks select generate_series(1, 3)', affected: 3, decision: { action: 'allow' } });
    expect(results[2]).toMatchObject({ rows: 3, decision: { action: 'allow' } });
    expect(recorded().at(-1)).toMatchObject({ reason: 'client', statements: 3 });
  });

  it('let onRow replace values on the way to the client', async () => {
    proxy = await startSluice(`${postgresListener()}${USERS}
plugins:
  - use: ./plugins/recorder.js
    with: { key: lifecycleEvents, upper: true }
`);
    const c = client(proxy.port);
    await c.connect();
    const { rows } = await c.query("select 'abc' as a, null::text as b, 'x' || 'y' as c, 42 as n");
    expect(rows).toEqual([{ a: 'ABC', b: null, c: 'XY', n: 42 }]);
    await c.end();
  });

  it('report refused logins to onRefused', async () => {
    proxy = await startSluice(`${postgresListener()}${USERS}
plugins:
  - use: ./plugins/refusals.js
`);
    await expect(client(proxy.port, { password: 'wrong' }).connect()).rejects.toMatchObject({ code: '28P01' });
    await waitFor(() => recorded().length > 0);
    expect(recorded()[0]).toMatchObject({ hook: 'onRefused', user: 'alice', listener: 'pg-test', reason: 'password authentication failed for user "alice"' });
  });

  it('deny a statement when a plugin throws, and the session goes on', async () => {
    proxy = await startSluice(`${postgresListener()}${USERS}
plugins:
  - use: ./plugins/throws.js
`);
    const c = client(proxy.port);
    await c.connect();
    await expect(c.query('select 1 /* boom */')).rejects.toMatchObject({ code: '42501', message: expect.stringContaining('plugin throws failed') });
    expect((await c.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    await c.end();
    expect(proxy.logText()).toContain('plugin throws failed in onQuery');
  });
});

describe('timeouts', () => {
  it('end an idle session with 57P05', async () => {
    proxy = await startSluice(`${postgresListener()}${USERS}
timeouts: { idle: 300ms }
`);
    const c = client(proxy.port);
    const errors: { code?: string }[] = [];
    c.on('error', (error) => errors.push(error as { code?: string }));
    await c.connect();
    await c.query('select pg_sleep(0.5)'); // a running statement is not idle
    await waitFor(() => errors.length > 0, 3_000);
    expect(errors[0]!.code).toBe('57P05');
  });

  it('close a connection that never finishes its login', async () => {
    proxy = await startSluice(`${postgresListener()}${USERS}
timeouts: { connect: 200ms }
`);
    const started = Date.now();
    const closed = await new Promise<Buffer>((resolve) => {
      const socket = connect(proxy!.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(chunks)));
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(closed.toString('latin1')).toContain('timed out');
  });
});

describe('upstream failures', () => {
  it('give the client a clean FATAL when the server is down', async () => {
    const port = CLOSED_PORT;
    proxy = await startSluice(postgresListener(USERS).replace('port: 5432', `port: ${port}`));
    const error = await client(proxy.port).connect().then(() => undefined, (e: unknown) => e as { code?: string; message: string });
    expect(error).toMatchObject({ code: '08006' });
    expect(error!.message).toMatch(/^sluice: cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED$/);
  });

  it('pass the server’s refusal of the upstream login to the client', async () => {
    proxy = await startSluice(postgresListener(USERS).replace('user: postgres', 'user: no_such_role_sluice'));
    await expect(client(proxy.port).connect()).rejects.toMatchObject({
      code: '28000',
      message: expect.stringContaining('role "no_such_role_sluice" does not exist'),
    });
  });

  it('end the session with a FATAL error when the server dies mid-session', async () => {
    proxy = await startSluice(`${postgresListener()}${USERS}`);
    const victim = client(proxy.port);
    const errors: { code?: string }[] = [];
    victim.on('error', (error) => errors.push(error as { code?: string }));
    await victim.connect();
    const { rows } = await victim.query('select pg_backend_pid() as pid');
    const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [rows[0].pid]);
    await admin.end();
    await waitFor(() => errors.length > 0, 3_000);
    // The server's own FATAL is relayed; Sluice's 08006 follows if the client is still listening.
    expect(['57P01', '08006']).toContain(errors[0]!.code);
    await expect(victim.query('select 1')).rejects.toThrow();
  });
});

describe('TLS to clients', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  writeFileSync(join(dir, 'empty'), '');

  it('serves psql and pg over TLS after an SSLRequest', async () => {
    proxy = await startSluice(
      postgresListener(USERS).replace('    environment: test', `    environment: test\n    tls: { cert: ${join(dir, 'cert.pem')}, key: ${join(dir, 'key.pem')} }`),
    );
    const result = await psql(proxy.port, 'alice', 'alice-secret-pw', 'select 7', [], { PGSSLMODE: 'require' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('7');
    const c = client(proxy.port, { ssl: { rejectUnauthorized: false } });
    await c.connect();
    expect((c as unknown as { connection: { stream: { encrypted?: boolean } } }).connection.stream.encrypted).toBe(true);
    expect((await c.query('select 8 as n')).rows).toEqual([{ n: 8 }]);
    await c.end();
  });

  it('answers an SSLRequest with N when the listener has no TLS', async () => {
    proxy = await startSluice(`${postgresListener()}${USERS}`);
    const result = await psql(proxy.port, 'alice', 'alice-secret-pw', 'select 1', [], { PGSSLMODE: 'require' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('server does not support SSL');
    const plain = await psql(proxy.port, 'alice', 'alice-secret-pw', 'select 1', [], { PGSSLMODE: 'prefer' });
    expect(plain.stdout.trim()).toBe('1');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
