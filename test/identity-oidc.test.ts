// OIDC token login through the PostgreSQL driver, against a real OpenID provider: psql and pg over TLS, every refusal, expiry.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { claimsOf, forgeToken, INTROSPECTION_CLIENT, newSigningKey, startIssuer, tamper, type TestIssuer } from './helpers/oidc-provider.js';
import { psql } from './helpers/processes.js';
import { startSluice, type RunningSluice } from './helpers/sluice.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-identity-oidc-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });

// A plugin that keeps what each session knows about its identity, for the test to read.
const sessionsPlugin = join(dir, 'identity-sessions.js');
writeFileSync(
  sessionsPlugin,
  `export default function createPlugin() {
  const events = (globalThis.identityOidcEvents ??= []);
  return {
    name: 'identity-sessions',
    onConnect(session) { events.push({ hook: 'onConnect', session: session.id, identity: session.identity, upstreamUser: session.upstreamUser }); },
    onRefused(refused) { events.push({ hook: 'onRefused', user: refused.user, reason: refused.reason }); },
    onDisconnect(session, info) { events.push({ hook: 'onDisconnect', session: session.id, reason: info.reason, error: info.error }); },
  };
}
`,
);
const events = () => ((globalThis as Record<string, unknown>).identityOidcEvents ??= []) as Record<string, unknown>[];

let issuer: TestIssuer;
let impostor: TestIssuer;
const running: RunningSluice[] = [];

beforeAll(async () => {
  issuer = await startIssuer();
  // Same signing key, another issuer URL: its tokens verify, and differ only in "iss".
  impostor = await startIssuer({ key: issuer.key });
});
afterAll(async () => {
  await Promise.all(running.map((proxy) => proxy.stop(200)));
  await issuer?.close();
  await impostor?.close();
});
beforeEach(() => {
  events().length = 0;
});

function config(oidc: Record<string, unknown> = {}, tls = true): string {
  const settings = { issuer: issuer.issuer, audience: 'sluice', clock_tolerance: 0, introspection: { client_id: INTROSPECTION_CLIENT.id, client_secret: '${env:INTROSPECTION_SECRET}' }, ...oidc };
  return `
listeners:
  - name: pg-sso
    dialect: postgres
    listen: 127.0.0.1:0
    environment: test
${tls ? `    tls: { cert: ${join(dir, 'cert.pem')}, key: ${join(dir, 'key.pem')} }\n` : ''}    upstream: { host: 127.0.0.1, port: 5432, user: postgres, database: postgres, tls: disable }
identity:
  users:
    - { name: alice, password: alice-secret-pw, groups: [dba] }
  oidc: ${JSON.stringify(settings)}
plugins:
  - use: ${sessionsPlugin}
`;
}

async function proxyWith(oidc: Record<string, unknown> = {}, tls = true): Promise<RunningSluice> {
  const proxy = await startSluice(config(oidc, tls), { INTROSPECTION_SECRET: INTROSPECTION_CLIENT.secret });
  running.push(proxy);
  return proxy;
}

const client = (port: number, password: string, extra: Partial<pg.ClientConfig> = {}) =>
  new pg.Client({ host: '127.0.0.1', port, user: 'sso-user', password, database: 'postgres', ssl: { rejectUnauthorized: false }, ...extra });

async function refusal(port: number, password: string, extra: Partial<pg.ClientConfig> = {}): Promise<pg.DatabaseError> {
  const c = client(port, password, extra);
  c.on('error', () => undefined);
  return c.connect().then(
    async () => {
      await c.end();
      throw new Error('the login was accepted');
    },
    (error: pg.DatabaseError) => error,
  );
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const logReasons = (proxy: RunningSluice) => proxy.logs.filter((line) => line.msg === 'client authentication failed').map((line) => String(line.reason));

describe('token login over TLS', () => {
  let proxy: RunningSluice;
  beforeAll(async () => {
    proxy = await proxyWith();
  });

  it('lets psql in with the access token as PGPASSWORD, as the identity the token names', async () => {
    const token = await issuer.serviceToken('svc-dba');
    const result = await psql(proxy.port, 'sso-user', token, 'select current_user', [], { PGSSLMODE: 'require' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('postgres');
    expect(events().find((e) => e.hook === 'onConnect')).toMatchObject({
      identity: { subject: 'svc-dba', name: 'svc-dba', groups: ['dba'], auth: 'oidc' },
      upstreamUser: 'postgres',
    });
    expect(proxy.logText()).not.toContain(token);
  });

  it('lets the pg driver in, and keeps static users on SCRAM beside it', async () => {
    const c = client(proxy.port, await issuer.serviceToken('svc-analyst'));
    await c.connect();
    expect((await c.query('select 41 + 1 as n')).rows).toEqual([{ n: 42 }]);
    await c.end();
    const alice = client(proxy.port, 'alice-secret-pw', { user: 'alice' });
    await alice.connect();
    await alice.end();
    expect(events().filter((e) => e.hook === 'onConnect').map((e) => (e.identity as { auth: string }).auth)).toEqual(['oidc', 'password']);
    // A static user's name is not a token login: a token is a wrong password for alice.
    expect((await refusal(proxy.port, await issuer.serviceToken('svc-dba'), { user: 'alice' })).code).toBe('28P01');
  });

  it('checks opaque tokens by introspection and asks the issuer once per token', async () => {
    const token = await issuer.serviceToken('svc-opaque');
    expect(token.split('.')).toHaveLength(1);
    const before = issuer.introspections();
    for (let i = 0; i < 2; i++) {
      const c = client(proxy.port, token);
      await c.connect();
      await c.end();
    }
    expect(issuer.introspections() - before).toBe(1);
    expect(events().find((e) => e.hook === 'onConnect')).toMatchObject({ identity: { subject: 'svc-opaque', groups: ['analyst'], auth: 'oidc' } });
    expect((await refusal(proxy.port, 'not-a-token-the-issuer-knows')).code).toBe('28P01');
    expect(logReasons(proxy).at(-1)).toBe('token refused: the issuer says the token is not active (expired, revoked or unknown)');
  });

  describe('refuses with 28P01 and says why in the log', () => {
    const cases: [string, () => Promise<string>, RegExp][] = [
      ['an expired token', async () => {
        const token = await issuer.serviceToken('svc-dba', { ttlSeconds: 1 });
        await new Promise((resolve) => setTimeout(resolve, 2_100));
        return token;
      }, /^token refused: the token expired at \d{4}-\d\d-\d\dT/],
      ['a token for another audience', () => issuer.serviceToken('svc-dba', { resource: 'urn:test:other-api' }), /^token refused: the token is meant for audience "other-api", not for sluice$/],
      ['a token from another issuer', () => impostor.serviceToken('svc-dba'), /^token refused: the token was issued by "http:\/\/127\.0\.0\.1:\d+", not by http:\/\/127\.0\.0\.1:\d+$/],
      ['a token signed by another key', async () => forgeToken(claimsOf(await issuer.serviceToken('svc-dba')), newSigningKey('test-key-1')), /^token refused: the token signature does not verify/],
      ['a tampered token', async () => tamper(await issuer.serviceToken('svc-analyst'), { groups: ['dba'] }), /^token refused: the token signature does not verify/],
      ['a token signed by a key the issuer does not publish', async () => forgeToken(claimsOf(await issuer.serviceToken('svc-dba')), newSigningKey('rogue-key')), /^token refused: the token was signed by a key the issuer does not publish$/],
    ];
    for (const [what, tokenFor, reason] of cases) {
      it(what, async () => {
        const token = await tokenFor();
        const error = await refusal(proxy.port, token);
        expect(error.code).toBe('28P01');
        expect(error.message).toBe('password authentication failed for user "sso-user"');
        await waitFor(() => events().some((e) => e.hook === 'onRefused'));
        expect(logReasons(proxy).at(-1)).toMatch(reason);
        expect(events().find((e) => e.hook === 'onRefused')).toMatchObject({ user: 'sso-user', reason: expect.stringMatching(reason) });
        expect(proxy.logText()).not.toContain(token);
      });
    }
  });
});

describe('plaintext connections', () => {
  it('refuse token login before the client sends the token', async () => {
    const proxy = await proxyWith();
    const token = await issuer.serviceToken('svc-dba');
    const error = await refusal(proxy.port, token, { ssl: false });
    expect(error.code).toBe('28000');
    expect(error.message).toBe('sluice: token login needs a TLS connection (identity.oidc.allow_plaintext_loopback would allow plaintext from this machine)');
    const plain = await psql(proxy.port, 'sso-user', token, 'select 1', [], { PGSSLMODE: 'disable' });
    expect(plain.stderr).toContain('token login needs a TLS connection');
    expect(proxy.logText()).not.toContain(token);
  });

  it('allow it from loopback when the config says so', async () => {
    const proxy = await proxyWith({ allow_plaintext_loopback: true }, false);
    const result = await psql(proxy.port, 'sso-user', await issuer.serviceToken('svc-dba'), 'select 5', [], { PGSSLMODE: 'disable' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('5');
  });
});

describe('a token that expires during a session', () => {
  it('ends the session at expiry with on_expiry: end_session', async () => {
    const proxy = await proxyWith({ on_expiry: 'end_session' });
    const token = await issuer.serviceToken('svc-dba', { ttlSeconds: 3 });
    const exp = claimsOf(token).exp as number;
    const c = client(proxy.port, token);
    const errors: { code?: string; message: string }[] = [];
    c.on('error', (error) => errors.push(error as { code?: string; message: string }));
    await c.connect();
    expect((await c.query('select 1 as n')).rows).toEqual([{ n: 1 }]);
    const session = events().find((e) => e.hook === 'onConnect')!.session;
    await waitFor(() => errors.length > 0, 6_000);
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
    expect(errors[0]).toMatchObject({ code: '57P01', message: 'sluice: terminating connection: the access token expired' });
    await waitFor(() => events().some((e) => e.hook === 'onDisconnect' && e.session === session));
    expect(events().find((e) => e.hook === 'onDisconnect' && e.session === session)).toMatchObject({ reason: 'terminated' });
  });

  it('keeps the session until disconnect with on_expiry: keep', async () => {
    const proxy = await proxyWith({ on_expiry: 'keep' });
    const token = await issuer.serviceToken('svc-dba', { ttlSeconds: 2 });
    const c = client(proxy.port, token);
    await c.connect();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await c.query('select 2 as n')).rows).toEqual([{ n: 2 }]);
    await c.end();
    // A new login with the same token is refused all the same.
    expect((await refusal(proxy.port, token)).code).toBe('28P01');
  });
});
