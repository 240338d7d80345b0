// OIDC identity on SQL Server traffic, against a real OpenID provider: tedious through Sluice with the token as
// FEDAUTH security token and as the password, every kind of bad token refused with 18456 and its reason in
// Sluice's log, and the token's groups choosing the upstream login (upstream.by_group), guardrails and masking.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Connection } from 'tedious';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsOf, forgeToken, INTROSPECTION_CLIENT, newSigningKey, startIssuer, tamper, type TestIssuer } from './helpers/oidc-provider.js';
import { startSluice, type RunningSluice } from './helpers/sluice.js';
import { TdsTestServer } from './helpers/tds-test-server/index.js';
import { batch, closeTedious } from './helpers/tedious-client.js';
import { tsql, tsqlLines } from './helpers/tsql.js';

const SCHEMA = 'mssql_identity';
const LOGINS = {
  dba: { user: 'identity_dba', password: 'Identity-Dba-Pw-1' },
  analyst: { user: 'identity_analyst', password: 'Identity-Analyst-Pw-1' },
} as const;
/** What tedious is told the user is for a FEDAUTH login: the token names the principal. */
const TOKEN_PRINCIPAL = '<token-identified principal>';

const dir = mkdtempSync(join(tmpdir(), 'sluice-mssql-identity-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });

let server: TdsTestServer;
let issuer: TestIssuer;
let impostor: TestIssuer;
let sluice: RunningSluice;
const connections: Connection[] = [];
let attempts = 0;

beforeAll(async () => {
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA};
    create table ${SCHEMA}.customers (id int primary key, name varchar(50), email varchar(100));
    insert into ${SCHEMA}.customers values (1, 'Ann Lee', 'ann.lee@example.com'), (2, 'Bob Roe', 'bob.roe@example.net')`);
  await admin.end();
  server = await TdsTestServer.start({ database: SCHEMA, users: { [LOGINS.dba.user]: LOGINS.dba.password, [LOGINS.analyst.user]: LOGINS.analyst.password } });
  issuer = await startIssuer();
  // Same signing key, another issuer URL: its tokens verify, and differ only in "iss".
  impostor = await startIssuer({ key: issuer.key });
  const oidc = {
    issuer: issuer.issuer,
    audience: 'sluice',
    clock_tolerance: 0,
    introspection: { client_id: INTROSPECTION_CLIENT.id, client_secret: '${env:INTROSPECTION_SECRET}' },
  };
  sluice = await startSluice(
    `
listeners:
  - name: mssql-sso
    dialect: mssql
    listen: 127.0.0.1:0
    environment: test
    tls: { cert: ${join(dir, 'cert.pem')}, key: ${join(dir, 'key.pem')} }
    upstream:
      host: 127.0.0.1
      port: ${server.port}
      database: ${SCHEMA}
      tls: disable
      by_group:
        - { group: dba, user: ${LOGINS.dba.user}, password: "\${env:DBA_PASSWORD}" }
        - { group: analyst, user: ${LOGINS.analyst.user}, password: "\${env:ANALYST_PASSWORD}" }
identity:
  oidc: ${JSON.stringify(oidc)}
plugins:
  - use: "@sluice/plugin-guardrails"
    with:
      rules:
        - { name: analysts-read-only, match: { groups: [analyst], statement: [ddl, dml] }, action: deny }
  - use: "@sluice/plugin-masking"
    with: { detect: auto, unmasked_groups: [pii-readers] }
`,
    { INTROSPECTION_SECRET: INTROSPECTION_CLIENT.secret, DBA_PASSWORD: LOGINS.dba.password, ANALYST_PASSWORD: LOGINS.analyst.password },
  );
});

afterAll(async () => {
  await Promise.all(connections.map((c) => closeTedious(c).catch(() => undefined)));
  await sluice?.stop(200);
  await server?.stop();
  await issuer?.close();
  await impostor?.close();
});

type Credentials = { readonly token: string } | { readonly user: string; readonly password: string };

interface Login {
  readonly connection?: Connection;
  readonly error?: Error;
  /** ERROR tokens of the login response, as tedious decoded them. */
  readonly errors: { number: number; message: string }[];
  /** The application name the attempt used, to find its upstream login on the test server. */
  readonly appName: string;
}

/** A tedious login through Sluice over TLS; resolves either way, with the ERROR tokens it got. */
function login(credentials: Credentials, encrypt = true): Promise<Login> {
  const appName = `mssql-identity-${++attempts}`;
  const connection = new Connection({
    server: '127.0.0.1',
    authentication:
      'token' in credentials
        ? { type: 'azure-active-directory-access-token', options: { token: credentials.token } }
        : { type: 'default', options: { userName: credentials.user, password: credentials.password } },
    options: { port: sluice.port, encrypt, trustServerCertificate: true, appName, connectTimeout: 15_000, requestTimeout: 30_000, rowCollectionOnRequestCompletion: false },
  });
  const errors: Login['errors'] = [];
  connection.on('errorMessage', (token: { number: number; message: string }) => errors.push({ number: token.number, message: token.message }));
  connection.on('error', () => undefined);
  return new Promise((resolve) => {
    connection.connect((error) => {
      if (error) return resolve({ error, errors, appName });
      connections.push(connection);
      resolve({ connection, errors, appName });
    });
  });
}

async function connected(credentials: Credentials): Promise<{ connection: Connection; appName: string }> {
  const attempt = await login(credentials);
  if (!attempt.connection) throw new Error(`the login was refused: ${attempt.error?.message}`);
  return { connection: attempt.connection, appName: attempt.appName };
}

/** The login Sluice made at the test server for one client login. */
const upstreamUserOf = (appName: string) => server.seen('login').find((l) => l.appName === appName)?.user;

const authFailures = () => sluice.logs.filter((line) => line.msg === 'client authentication failed').map((line) => String(line.reason));

async function expectRefused(credentials: Credentials, user: string, reason: RegExp, secret: string): Promise<void> {
  const failuresBefore = authFailures().length;
  const attempt = await login(credentials);
  expect(attempt.connection).toBeUndefined();
  expect(attempt.errors).toEqual([{ number: 18456, message: `Login failed for user '${user}'.` }]);
  expect(attempt.error).toMatchObject({ code: 'ELOGIN', message: `Login failed for user '${user}'.` });
  // The refusal is logged before the client hears it.
  expect(authFailures().slice(failuresBefore)).toEqual([expect.stringMatching(reason)]);
  expect(upstreamUserOf(attempt.appName)).toBeUndefined();
  expect(sluice.logText()).not.toContain(secret);
}

describe('a valid token', () => {
  it('lets tedious in with azure-active-directory-access-token (FEDAUTH security token)', async () => {
    const token = await issuer.serviceToken('svc-dba');
    const { connection, appName } = await connected({ token });
    expect((await batch(connection, 'select count(*) as n from customers')).rows).toEqual([{ n: '2' }]);
    expect(upstreamUserOf(appName)).toBe(LOGINS.dba.user);
    expect(sluice.logText()).not.toContain(token);
  });

  it('lets tedious in with a JWT as the password of a name that is no static user', async () => {
    const token = await issuer.serviceToken('svc-analyst');
    const { connection, appName } = await connected({ user: 'sso-user', password: token });
    expect((await batch(connection, 'select 41 + 1 as n')).rows).toEqual([{ n: 42 }]);
    expect(upstreamUserOf(appName)).toBe(LOGINS.analyst.user);
    expect(sluice.logText()).not.toContain(token);
  });

  it('lets tedious in with an opaque token as the password, checked by introspection', async () => {
    const token = await issuer.serviceToken('svc-opaque');
    expect(token.split('.')).toHaveLength(1);
    expect(token.length).toBeLessThan(128);
    const introspectionsBefore = issuer.introspections();
    const { connection, appName } = await connected({ user: 'sso-user', password: token });
    expect((await batch(connection, 'select name from customers where id = 2')).rows).toEqual([{ name: 'Bob Roe' }]);
    expect(issuer.introspections() - introspectionsBefore).toBe(1);
    expect(upstreamUserOf(appName)).toBe(LOGINS.analyst.user);
    expect(sluice.logText()).not.toContain(token);
  });
});

describe('a bad token is refused with 18456 and the reason in the log', () => {
  let expiredJwt: Promise<string>;
  let expiredOpaque: Promise<string>;
  beforeAll(() => {
    // Both expire during the wait, once for every case that uses them.
    const expire = async (service: string) => {
      const token = await issuer.serviceToken(service, { ttlSeconds: 1 });
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      return token;
    };
    expiredJwt = expire('svc-dba');
    expiredOpaque = expire('svc-opaque');
  });

  const cases: [string, () => Promise<string>, RegExp][] = [
    ['an expired token', () => expiredJwt, /^token refused: the token expired at \d{4}-\d\d-\d\dT[\d:.]+Z$/],
    ['a token for another audience', () => issuer.serviceToken('svc-dba', { resource: 'urn:test:other-api' }), /^token refused: the token is meant for audience "other-api", not for sluice$/],
    ['a token from another issuer', () => impostor.serviceToken('svc-dba'), /^token refused: the token was issued by "http:\/\/127\.0\.0\.1:\d+", not by http:\/\/127\.0\.0\.1:\d+$/],
    ['a token signed by another key', async () => forgeToken(claimsOf(await issuer.serviceToken('svc-dba')), newSigningKey('test-key-1')), /^token refused: the token signature does not verify: it was altered or signed by another key$/],
    ['a tampered token', async () => tamper(await issuer.serviceToken('svc-analyst'), { groups: ['dba'] }), /^token refused: the token signature does not verify: it was altered or signed by another key$/],
  ];

  for (const [what, tokenFor, reason] of cases) {
    it(`${what}, sent as the FEDAUTH security token`, async () => {
      const token = await tokenFor();
      await expectRefused({ token }, TOKEN_PRINCIPAL, reason, token);
    });
    it(`${what}, sent as the password`, async () => {
      const token = await tokenFor();
      await expectRefused({ user: 'sso-user', password: token }, 'sso-user', reason, token);
    });
  }

  it('an expired opaque token and one the issuer never issued, sent as the password', async () => {
    const notActive = /^token refused: the issuer says the token is not active \(expired, revoked or unknown\)$/;
    const expired = await expiredOpaque;
    await expectRefused({ user: 'sso-user', password: expired }, 'sso-user', notActive, expired);
    await expectRefused({ user: 'sso-user', password: 'not-a-token-the-issuer-knows' }, 'sso-user', notActive, 'not-a-token-the-issuer-knows');
  });

  it('a valid token over a plaintext login, before Sluice looks at it', async () => {
    const token = await issuer.serviceToken('svc-dba');
    const introspectionsBefore = issuer.introspections();
    const attempt = await login({ user: 'sso-user', password: token }, false);
    expect(attempt.connection).toBeUndefined();
    const reason = 'token login needs a TLS connection (identity.oidc.allow_plaintext_loopback would allow plaintext from this machine)';
    expect(attempt.errors).toEqual([{ number: 18456, message: `sluice: ${reason}` }]);
    expect(authFailures().at(-1)).toBe(reason);
    expect(issuer.introspections()).toBe(introspectionsBefore);
    expect(sluice.logText()).not.toContain(token);
  });
});

describe('the groups of the token', () => {
  it('choose the upstream login: the first upstream.by_group entry the identity belongs to', async () => {
    const cases: [string, string][] = [
      ['svc-dba', LOGINS.dba.user],
      ['svc-analyst', LOGINS.analyst.user],
      // groups analyst and pii-readers: only analyst has an entry.
      ['svc-pii', LOGINS.analyst.user],
    ];
    for (const [service, upstreamUser] of cases) {
      const { connection, appName } = await connected({ token: await issuer.serviceToken(service) });
      expect((await batch(connection, 'select 1 as one')).rows).toEqual([{ one: 1 }]);
      expect(upstreamUserOf(appName), service).toBe(upstreamUser);
    }
  });

  it('refuse an identity whose groups map to no upstream login, with a message that says so', async () => {
    const token = await issuer.serviceToken('svc-nobody');
    const attempt = await login({ token });
    expect(attempt.connection).toBeUndefined();
    const reason = 'identity "svc-nobody" (no groups) matches no upstream.by_group entry and the listener has no upstream.user';
    expect(attempt.errors).toEqual([{ number: 18456, message: `sluice: ${reason}` }]);
    expect(sluice.logs.filter((line) => line.msg === 'identity maps to no upstream login').at(-1)).toMatchObject({ identity: 'svc-nobody', reason });
    expect(upstreamUserOf(attempt.appName)).toBeUndefined();
  });

  it('drive guardrails: the analyst group may not change data, the dba group may', async () => {
    const batchesBefore = server.seen('batch').length;
    const analyst = (await connected({ token: await issuer.serviceToken('svc-analyst') })).connection;
    const change = "update customers set name = 'Ann Lee' where id = 1";
    await expect(batch(analyst, change)).rejects.toMatchObject({ number: 229, message: expect.stringMatching(/^sluice: analysts-read-only: /) });
    expect(server.seen('batch').slice(batchesBefore).map((b) => b.sql)).not.toContain(change);
    expect((await batch(analyst, 'select count(*) as n from customers')).rows).toEqual([{ n: '2' }]);
    const dba = (await connected({ token: await issuer.serviceToken('svc-dba') })).connection;
    expect((await batch(dba, change)).rowCount).toBe(1);
  });

  it('drive masking: only the pii-readers group sees the values in clear', async () => {
    const sql = 'select email from customers order by id';
    const analyst = (await connected({ token: await issuer.serviceToken('svc-analyst') })).connection;
    expect((await batch(analyst, sql)).rows).toEqual([{ email: '****@example.com' }, { email: '****@example.net' }]);
    const reader = (await connected({ token: await issuer.serviceToken('svc-pii') })).connection;
    expect((await batch(reader, sql)).rows).toEqual([{ email: 'ann.lee@example.com' }, { email: 'bob.roe@example.net' }]);
    // The opaque token's groups count the same way.
    const opaque = await issuer.serviceToken('svc-opaque');
    const viaPassword = (await connected({ user: 'sso-user', password: opaque })).connection;
    expect((await batch(viaPassword, sql)).rows).toEqual([{ email: '****@example.com' }, { email: '****@example.net' }]);
  });
});

describe('FreeTDS tsql, which has no FEDAUTH', () => {
  it('connects with an opaque token as the password', async () => {
    const token = await issuer.serviceToken('svc-opaque');
    const result = await tsql({ port: sluice.port, user: 'sso-user', password: token, encryption: 'require' }, ['select id, email from customers where id = 1']);
    expect(tsqlLines(result.stdout)).toEqual(['id\temail', '1\t****@example.com']);
    expect(sluice.logText()).not.toContain(token);
  });

  it('is refused with a JWT, which it cuts at 128 characters, and the log says what to do instead', async () => {
    const token = await issuer.serviceToken('svc-dba');
    expect(token.length).toBeGreaterThan(128);
    const failuresBefore = authFailures().length;
    const result = await tsql({ port: sluice.port, user: 'sso-user', password: token, encryption: 'require' }, ['select 1']);
    expect(result.stdout + result.stderr).toMatch(/18456|Login failed/);
    expect(authFailures().slice(failuresBefore)).toEqual([
      expect.stringMatching(/^token refused: .* \(a LOGIN7 password holds at most 128 characters: send a longer token as a FEDAUTH token, or use an opaque token\)$/),
    ]);
    expect(sluice.logText()).not.toContain(token.slice(0, 128));
  });
});
