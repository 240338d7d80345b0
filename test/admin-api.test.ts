// The admin HTTP API: health, authentication and authorization, live sessions, termination, plugin routes.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresListener, startSluice, type RunningSluice } from './helpers/sluice.js';

let proxy: RunningSluice;
let base: string;

beforeAll(async () => {
  proxy = await startSluice(`${postgresListener()}
identity:
  users:
    - { name: alice, password: alice-secret-pw, groups: [dba, sluice-admins] }
    - { name: bob, password: bob-secret-pw, groups: [analyst] }
admin:
  listen: 127.0.0.1:0
plugins:
  - use: ./plugins/admin-echo.js
`);
  const address = proxy.sluice.adminAddress()!;
  base = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await proxy?.stop();
});

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const alice = basic('alice', 'alice-secret-pw');

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('health', () => {
  it('serves /healthz and /readyz without authentication', async () => {
    expect(await call('GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await call('GET', '/readyz');
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready', upstreams: [{ listener: 'pg-test', port: 5432, reachable: true }] } });
  });
});

describe('authentication and authorization', () => {
  it('refuses anonymous calls with 401 and a Basic challenge', async () => {
    const response = await call('GET', '/api/sessions');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Basic');
  });

  it('refuses a wrong password and an unknown user alike', async () => {
    expect((await call('GET', '/api/sessions', basic('alice', 'nope'))).status).toBe(401);
    expect((await call('GET', '/api/sessions', basic('mallory', 'nope'))).status).toBe(401);
  });

  it('refuses an identity outside the admin groups with 403', async () => {
    const response = await call('GET', '/api/sessions', basic('bob', 'bob-secret-pw'));
    expect(response).toMatchObject({ status: 403, body: { error: 'only members of sluice-admins may do this' } });
  });

  it('lets any authenticated identity call a route a plugin opened to them', async () => {
    const response = await call('POST', '/api/echo/hello', basic('bob', 'bob-secret-pw'), { n: 1 });
    expect(response).toMatchObject({ status: 200, body: { caller: 'bob', word: 'hello', body: { n: 1 } } });
  });

  it('answers 404 and 405 for unknown paths and methods, and 400 for bad JSON', async () => {
    expect((await call('GET', '/api/nothing', alice)).status).toBe(404);
    expect((await call('PUT', '/api/sessions', alice)).status).toBe(405);
    const bad = await fetch(`${base}/api/echo/x`, { method: 'POST', headers: { ...alice, 'content-type': 'application/json' }, body: '{not json' });
    expect(bad.status).toBe(400);
  });
});

describe('sessions', () => {
  it('lists live sessions with identity, statements and the running statement, and terminates one', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'bob', password: 'bob-secret-pw', database: 'postgres', application_name: 'admin-test' });
    const errors: { code?: string }[] = [];
    client.on('error', (error) => errors.push(error as { code?: string }));
    await client.connect();
    await client.query('select 1');
    const sleeping = client.query('select pg_sleep(30)').catch((error: { code?: string }) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const { body } = await call('GET', '/api/sessions', alice);
    const sessions = body!.sessions as Record<string, unknown>[];
    const mine = sessions.find((s) => (s.client as { application?: string }).application === 'admin-test')!;
    expect(mine).toMatchObject({
      id: expect.stringMatching(/^s-/),
      client: { address: '127.0.0.1', port: expect.any(Number), application: 'admin-test' },
      since: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      identity: { name: 'bob', groups: ['analyst'], auth: 'password' },
      listener: 'pg-test',
      environment: 'test',
      database: 'postgres',
      statements: 2,
      current: 'select pg_sleep(30)',
    });

    expect((await call('DELETE', `/api/sessions/${String(mine.id)}`, alice)).status).toBe(204);
    const outcome = await sleeping;
    expect([...errors, outcome].map((e) => (e as { code?: string }).code)).toContain('57P01');
    expect((await call('DELETE', '/api/sessions/s-nope', alice)).status).toBe(404);
  });

  it('reports that reload needs a config file when none was given', async () => {
    const response = await call('POST', '/api/reload', alice);
    expect(response).toMatchObject({ status: 422, body: { reloaded: false, error: 'this proxy was not started from a config file' } });
  });

  it('tells the caller who they are', async () => {
    expect(await call('GET', '/api/whoami', basic('bob', 'bob-secret-pw'))).toMatchObject({ status: 200, body: { identity: { name: 'bob', groups: ['analyst'] } } });
  });

  it('never logs a password', () => {
    expect(proxy.logText()).not.toContain('alice-secret-pw');
    expect(proxy.logText()).not.toContain('bob-secret-pw');
  });
});
