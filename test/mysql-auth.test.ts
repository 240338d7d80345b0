// MySQL authentication through Sluice against a private MariaDB: upstream mysql_native_password and ed25519, every
// upstream TLS mode (a REQUIRE SSL user, verify-full against the test CA, prefer's fallback), TLS from the client,
// the client-side exchanges (mysql_native_password and caching_sha2's fast path for users with a password in the
// config, full authentication for a user configured with a SCRAM verifier, clear password), wrong passwords and
// unknown users, and OIDC token login mapped by group. The path each login took is read from Sluice's debug log
// ("client authenticated", `method`). MySQL 8's caching_sha2_password upstream runs in a container where a Docker
// engine exists.
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { TLSSocket } from 'node:tls';
import { deriveScramSha256Verifier, formatScramSha256Verifier } from '@sluice/core';
import mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import { GenericContainer, getContainerRuntimeClient, Wait } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeToken, INTROSPECTION_CLIENT, newSigningKey, startIssuer, tamper, claimsOf, type TestIssuer } from './helpers/oidc-provider.js';
import { startPrivateMariadb, type PrivateMariadb, type PrivateMariadbUser } from './helpers/private-mariadb.js';
import { connectorJAvailability, connectorJLogin, runClient } from './helpers/mysql-compat.js';
import { startSluice, type RunningSluice } from './helpers/sluice.js';

/** testcontainers finds a Docker engine (socket, DOCKER_HOST, …) or there is none. */
const dockerAvailable = await getContainerRuntimeClient().then(
  () => true,
  () => false,
);

const UPSTREAM_USERS = {
  native: { name: 'sluice_auth_native', plugin: 'mysql_native_password' },
  ed25519: { name: 'sluice_auth_ed25519', plugin: 'ed25519' },
  sslOnly: { name: 'sluice_auth_ssl_only', plugin: 'mysql_native_password', requireSsl: true },
  ed25519SslOnly: { name: 'sluice_auth_ed_ssl', plugin: 'ed25519', requireSsl: true },
} as const satisfies Record<string, PrivateMariadbUser>;

/** carol's password is configured as a SCRAM verifier: no scramble can be checked against it. */
const CAROL_PASSWORD = 'carol-secret-pw';
const STATIC_USERS = `
identity:
  users:
    - { name: alice, password: alice-secret-pw, groups: [dba] }
    - { name: bob, password: "b0b's pässwörd ☃", groups: [analyst] }
    - { name: carol, password: "${formatScramSha256Verifier(deriveScramSha256Verifier(CAROL_PASSWORD))}", groups: [dba] }
`;

/** An address of this machine that is not loopback, so Sluice sees a client from elsewhere (undefined if there is none). */
const REMOTE_ADDRESS = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
const connectorJ = connectorJAvailability();

interface Upstream {
  readonly user: keyof typeof UPSTREAM_USERS | 'shared-root';
  readonly tls: 'disable' | 'prefer' | 'require' | 'verify-full';
  readonly password?: string;
  readonly host?: string;
  readonly ca?: 'ca' | 'other-ca';
}

let server: PrivateMariadb;
let issuer: TestIssuer;
/** Same signing key, another issuer URL: its tokens verify, and differ only in "iss". */
let impostor: TestIssuer;
let proxy: RunningSluice;
let ssoProxy: RunningSluice;
let ca: Buffer;
/** TLS to a Sluice listener that presents the private server's certificate (for localhost), verified against the test CA. */
const verifiedTls = (): mysql.ConnectionOptions => ({ host: 'localhost', ssl: { ca, verifyIdentity: true } });

/** One listener per upstream login scenario, all in one Sluice. */
function scenarios(): Record<string, Upstream> {
  return {
    'native': { user: 'native', tls: 'disable' },
    'ed25519': { user: 'ed25519', tls: 'disable' },
    'native-wrong': { user: 'native', tls: 'disable', password: 'native-wrong-pw' },
    'ed25519-wrong': { user: 'ed25519', tls: 'disable', password: 'ed25519-wrong-pw' },
    'ssl-only-disable': { user: 'sslOnly', tls: 'disable' },
    'ssl-only-require': { user: 'sslOnly', tls: 'require' },
    'ssl-only-prefer': { user: 'sslOnly', tls: 'prefer' },
    'ed25519-ssl-only-verify-full': { user: 'ed25519SslOnly', tls: 'verify-full', host: 'localhost', ca: 'ca' },
    'verify-full': { user: 'sslOnly', tls: 'verify-full', host: 'localhost', ca: 'ca' },
    'verify-full-wrong-ca': { user: 'sslOnly', tls: 'verify-full', host: 'localhost', ca: 'other-ca' },
    // The certificate names only localhost: 127.0.0.1 is the wrong name for it.
    'verify-full-wrong-host': { user: 'sslOnly', tls: 'verify-full', host: '127.0.0.1', ca: 'ca' },
    // The machine's shared MariaDB has no TLS: prefer goes on in plaintext, require refuses.
    'prefer-fallback': { user: 'shared-root', tls: 'prefer' },
    'require-without-server-tls': { user: 'shared-root', tls: 'require' },
  };
}

function listenerYaml(name: string, upstream: Upstream): string {
  const fields =
    upstream.user === 'shared-root'
      ? { host: '127.0.0.1', port: 3306, user: 'root', database: 'test', tls: upstream.tls }
      : {
          host: upstream.host ?? '127.0.0.1',
          port: server.port,
          user: UPSTREAM_USERS[upstream.user].name,
          password: upstream.password ?? server.passwords[UPSTREAM_USERS[upstream.user].name],
          database: server.database,
          tls: upstream.tls,
          ...(upstream.ca ? { ca: upstream.ca === 'ca' ? server.tls.caFile : server.tls.otherCaFile } : {}),
        };
  // JSON is YAML: the generated passwords need no quoting care.
  return `  - { name: ${name}, dialect: mysql, listen: 127.0.0.1:0, environment: test, upstream: ${JSON.stringify(fields)} }`;
}

beforeAll(async () => {
  server = await startPrivateMariadb(Object.values(UPSTREAM_USERS));
  ca = readFileSync(server.tls.caFile);
  issuer = await startIssuer();
  impostor = await startIssuer({ key: issuer.key });
  await server.query(`CREATE TABLE ${server.database}.contacts (id INT PRIMARY KEY, email VARCHAR(80));
    INSERT INTO ${server.database}.contacts VALUES (1, 'ann.lee@example.com'), (2, 'bob.roe@example.net')`);
  const tlsBlock = `tls: { cert: ${server.tls.serverCertFile}, key: ${server.tls.serverKeyFile} }`;
  const listeners = Object.entries(scenarios()).map(([name, upstream]) => listenerYaml(name, upstream));
  // A listener with TLS towards the client, in front of the native password user.
  listeners.push(
    `  - { name: client-tls, dialect: mysql, listen: 127.0.0.1:0, environment: test, ${tlsBlock}, upstream: ${JSON.stringify({
      host: '127.0.0.1',
      port: server.port,
      user: UPSTREAM_USERS.native.name,
      password: server.passwords[UPSTREAM_USERS.native.name],
      database: server.database,
      tls: 'disable',
    })} }`,
  );
  // The same, without TLS, on an address that is not loopback: Sluice's loopback allowances do not apply.
  if (REMOTE_ADDRESS) {
    listeners.push(
      `  - { name: client-remote, dialect: mysql, listen: "${REMOTE_ADDRESS}:0", environment: test, upstream: ${JSON.stringify({
        host: '127.0.0.1',
        port: server.port,
        user: UPSTREAM_USERS.native.name,
        password: server.passwords[UPSTREAM_USERS.native.name],
        database: server.database,
        tls: 'disable',
      })} }`,
    );
  }
  proxy = await startSluice(`listeners:\n${listeners.join('\n')}\n${STATIC_USERS}`);

  // Token login: dba reaches the database as the native user over TLS, analyst as the ed25519 user.
  const byGroup = [
    { group: 'dba', user: UPSTREAM_USERS.sslOnly.name, password: server.passwords[UPSTREAM_USERS.sslOnly.name] },
    { group: 'analyst', user: UPSTREAM_USERS.ed25519.name, password: server.passwords[UPSTREAM_USERS.ed25519.name] },
  ];
  const upstream = { host: 'localhost', port: server.port, database: server.database, tls: 'verify-full', ca: server.tls.caFile, by_group: byGroup };
  const oidc = { issuer: issuer.issuer, audience: 'sluice', clock_tolerance: 0, introspection: { client_id: INTROSPECTION_CLIENT.id, client_secret: INTROSPECTION_CLIENT.secret } };
  ssoProxy = await startSluice(`
listeners:
  - { name: sso-tls, dialect: mysql, listen: 127.0.0.1:0, environment: test, ${tlsBlock}, upstream: ${JSON.stringify(upstream)} }
  - { name: sso-plain, dialect: mysql, listen: 127.0.0.1:0, environment: test, upstream: ${JSON.stringify(upstream)} }
identity:
  oidc: ${JSON.stringify(oidc)}
plugins:
  - use: "@sluice/plugin-guardrails"
    with:
      rules:
        - { name: analysts-read-only, match: { groups: [analyst], statement: [delete, update, insert] }, action: deny }
  - use: "@sluice/plugin-masking"
    with: { unmasked_groups: [pii-readers] }
`);
}, 120_000);

afterAll(async () => {
  await proxy?.stop(200);
  await ssoProxy?.stop(200);
  await issuer?.close();
  await impostor?.close();
  await server?.stop();
});

function portOf(running: RunningSluice, listener: string): number {
  const address = running.sluice.addresses().find((candidate: { name: string }) => candidate.name === listener);
  if (!address) throw new Error(`no listener ${listener}`);
  return address.port;
}

function connectThrough(listener: string, extra: mysql.ConnectionOptions = {}, running = proxy) {
  return mysql.createConnection({ host: '127.0.0.1', port: portOf(running, listener), user: 'alice', password: 'alice-secret-pw', ...extra });
}

const WHO_SQL = "SELECT CURRENT_USER() AS who, (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher') AS cipher, 6 * 7 AS answer";

/** Logs in through a listener and reports who the server says we are and the server side's TLS cipher ('' without TLS). */
async function loginThrough(listener: string, extra: mysql.ConnectionOptions = {}, running = proxy): Promise<{ who: string; cipher: string; answer: number }> {
  const connection = await connectThrough(listener, extra, running);
  try {
    const [rows] = await connection.query<RowDataPacket[]>(WHO_SQL);
    return rows[0] as { who: string; cipher: string; answer: number };
  } finally {
    await connection.end();
  }
}

interface Refusal {
  errno?: number;
  sqlState?: string;
  message: string;
}

/** The error a login through the listener fails with: an ERR packet the client can read, not a dropped socket. */
async function refusalThrough(listener: string, extra: mysql.ConnectionOptions = {}, running = proxy): Promise<Refusal> {
  const error = await connectThrough(listener, extra, running).then(
    async (connection) => {
      await connection.end();
      throw new Error(`the login through ${listener} succeeded`);
    },
    (caught: unknown) => caught as Refusal & { fatal?: boolean; code?: string },
  );
  expect(error.errno, `an ERR packet, not ${error.message}`).toBeTypeOf('number');
  for (const secret of [...Object.values(server.passwords), 'alice-secret-pw', CAROL_PASSWORD, 'native-wrong-pw', 'ed25519-wrong-pw']) {
    expect(error.message).not.toContain(secret);
  }
  return error;
}

const userAt = (user: string) => expect.stringMatching(new RegExp(`^${user}@`));

describe('the private MariaDB itself', () => {
  it('enforces what the scenarios rely on: each plugin, REQUIRE SSL, and the test CA', async () => {
    const direct = (user: keyof typeof UPSTREAM_USERS, extra: mysql.ConnectionOptions = {}) =>
      mysql.createConnection({ host: '127.0.0.1', port: server.port, user: UPSTREAM_USERS[user].name, password: server.passwords[UPSTREAM_USERS[user].name], ...extra });
    const native = await direct('native');
    await native.end();
    // mysql2 cannot answer client_ed25519, which is why this file exists: the server really asks for it.
    await expect(direct('ed25519')).rejects.toThrow(/client_ed25519/);
    await expect(direct('sslOnly')).rejects.toMatchObject({ errno: 1045 });
    const overTls = await direct('sslOnly', verifiedTls());
    await overTls.end();
  });
});

describe('upstream authentication plugins', () => {
  it.each([
    ['native', UPSTREAM_USERS.native.name],
    ['ed25519', UPSTREAM_USERS.ed25519.name],
  ])('logs in upstream with %s and relays queries', async (listener, user) => {
    expect(await loginThrough(listener)).toEqual({ who: userAt(user), cipher: '', answer: 42 });
  });

  it.each(['native-wrong', 'ed25519-wrong'])('refuses the client with 1045 when the upstream password is wrong (%s)', async (listener) => {
    const refusal = await refusalThrough(listener);
    expect(refusal).toMatchObject({ errno: 1045, sqlState: '28000' });
    expect(proxy.logText()).not.toContain('-wrong-pw');
  });

  it("checks a non-ASCII static password (caching_sha2's fast path, UTF-8) and maps it to the upstream login", async () => {
    const { result, method } = await methodOf(() => loginThrough('ed25519', { user: 'bob', password: "b0b's pässwörd ☃" }), 'bob');
    expect(result).toMatchObject({ who: userAt(UPSTREAM_USERS.ed25519.name) });
    expect(method).toBe(FAST_PATH);
    await expect(refusalThrough('ed25519', { user: 'bob', password: "b0b's passwörd ☃" })).resolves.toMatchObject({ errno: 1045 });
  });
});

describe('upstream TLS modes', () => {
  it('disable: a REQUIRE SSL user is refused by the server, and the client hears why', async () => {
    const refusal = await refusalThrough('ssl-only-disable');
    expect(refusal).toMatchObject({ errno: 1045, sqlState: '28000' });
  });

  it.each(['ssl-only-require', 'ssl-only-prefer', 'verify-full'])('%s: logs in over TLS', async (listener) => {
    const login = await loginThrough(listener);
    expect(login.who).toEqual(userAt(UPSTREAM_USERS.sslOnly.name));
    expect(login.cipher).not.toBe('');
  });

  it('verify-full with ed25519: both at once', async () => {
    const login = await loginThrough('ed25519-ssl-only-verify-full');
    expect(login.who).toEqual(userAt(UPSTREAM_USERS.ed25519SslOnly.name));
    expect(login.cipher).not.toBe('');
  });

  it.each([
    ['verify-full-wrong-ca', /certificate|verify|self.signed|issuer/i],
    ['verify-full-wrong-host', /host|name|altname|IP/i],
  ])('%s: refuses the server certificate', async (listener, why) => {
    const refusal = await refusalThrough(listener);
    expect(refusal.message).toMatch(why);
    expect(refusal.message).toMatch(/^sluice:/);
  });

  it('prefer: falls back to plaintext when the server has no TLS', async () => {
    expect(await loginThrough('prefer-fallback')).toEqual({ who: userAt('root'), cipher: '', answer: 42 });
  });

  it('require: refuses when the server has no TLS', async () => {
    const refusal = await refusalThrough('require-without-server-tls');
    expect(refusal.message).toMatch(/TLS|SSL/);
  });
});

/** The methods of the logins `user` made through `running` after its first `from` log lines. */
const methodsSince = (from: number, user: string, running = proxy) =>
  running.logs.slice(from).filter((line) => line.msg === 'client authenticated' && line.user === user).map((line) => line.method);

/** Runs one successful login and returns how Sluice authenticated it, as its log says. */
async function methodOf<T>(login: () => Promise<T>, user = 'alice', running = proxy): Promise<{ result: T; method: unknown }> {
  const from = running.logs.length;
  const result = await login();
  await expect.poll(() => methodsSince(from, user, running).length, { timeout: 10_000 }).toBe(1);
  return { result, method: methodsSince(from, user, running)[0] };
}

/** The reasons Sluice logged for the refusals after its first `from` log lines. */
const refusalReasonsSince = (from: number, running = proxy) =>
  running.logs.slice(from).filter((line) => line.msg === 'client authentication failed').map((line) => String(line.reason));

const FAST_PATH = 'caching_sha2_password fast path';
const NATIVE = 'mysql_native_password';
const FULL_RSA = 'caching_sha2_password full authentication with RSA';
const FULL_TLS = 'caching_sha2_password full authentication over TLS';

describe('the client side', () => {
  it("mysql2 over TLS verifies the listener certificate against the test CA and signs in through caching_sha2's fast path", async () => {
    const { result: rows, method } = await methodOf(async () => {
      const connection = await connectThrough('client-tls', verifiedTls());
      const stream = (connection as unknown as { connection: { stream: unknown } }).connection.stream;
      expect(stream).toBeInstanceOf(TLSSocket);
      const [rows] = await connection.query<RowDataPacket[]>(WHO_SQL);
      await connection.end();
      return rows;
    });
    expect(rows[0]).toEqual({ who: userAt(UPSTREAM_USERS.native.name), cipher: '', answer: 42 });
    expect(method).toBe(FAST_PATH);
  });

  it("mysql2 without TLS signs in through caching_sha2's fast path: no RSA key, no password on the wire", async () => {
    const { result, method } = await methodOf(() => loginThrough('client-tls'));
    expect(result).toMatchObject({ who: userAt(UPSTREAM_USERS.native.name) });
    expect(method).toBe(FAST_PATH);
  });

  it('mysql2 COM_CHANGE_USER (it answers with mysql_native_password) checks the scramble too', async () => {
    const connection = await connectThrough('client-tls');
    try {
      const from = proxy.logs.length;
      await connection.changeUser({ user: 'alice', password: 'alice-secret-pw' });
      await expect.poll(() => proxy.logs.slice(from).filter((line) => line.msg === 'COM_CHANGE_USER: client authenticated').map((line) => line.method), { timeout: 10_000 }).toEqual([NATIVE]);
      await expect(connection.changeUser({ user: 'alice', password: 'wrong-pw' })).rejects.toMatchObject({ errno: 1045 });
    } finally {
      connection.destroy();
    }
  });

  it('a wrong password goes through full authentication (as a MySQL 8 cache miss) to 1045 / 28000 with the MySQL wording, over TLS and without; a verifier user and an unknown user get the same answer', async () => {
    for (const [tls, full] of [[{}, FULL_RSA], [verifiedTls(), FULL_TLS]] as const) {
      const from = proxy.logs.length;
      const wrong = await refusalThrough('client-tls', { password: 'wrong-pw', ...tls });
      const verifierWrong = await refusalThrough('client-tls', { user: 'carol', password: 'wrong-pw', ...tls });
      const unknown = await refusalThrough('client-tls', { user: 'mallory', password: 'wrong-pw', ...tls });
      expect(wrong).toMatchObject({ errno: 1045, sqlState: '28000', message: "Access denied for user 'alice'@'127.0.0.1' (using password: YES)" });
      expect(verifierWrong).toMatchObject({ errno: 1045, sqlState: '28000', message: "Access denied for user 'carol'@'127.0.0.1' (using password: YES)" });
      expect(unknown).toMatchObject({ errno: 1045, sqlState: '28000', message: "Access denied for user 'mallory'@'127.0.0.1' (using password: YES)" });
      // The log tells them apart; the client cannot.
      await expect
        .poll(() => refusalReasonsSince(from), { timeout: 10_000 })
        .toEqual([`wrong password for user "alice" (${full})`, `wrong password for user "carol" (${full})`, 'unknown user "mallory"']);
    }
    expect(proxy.logText()).not.toContain('wrong-pw');
  });

  it('a user configured with a SCRAM verifier signs in through full authentication: RSA without TLS, the password inside TLS', async () => {
    const carol = { user: 'carol', password: CAROL_PASSWORD };
    const plain = await methodOf(() => loginThrough('client-tls', carol), 'carol');
    expect(plain).toMatchObject({ result: { who: userAt(UPSTREAM_USERS.native.name) }, method: FULL_RSA });
    const overTls = await methodOf(() => loginThrough('client-tls', { ...carol, ...verifiedTls() }), 'carol');
    expect(overTls).toMatchObject({ result: { who: userAt(UPSTREAM_USERS.native.name) }, method: FULL_TLS });
    const wrong = await refusalThrough('client-tls', { ...carol, password: 'wrong-pw' });
    expect(wrong).toMatchObject({ errno: 1045, sqlState: '28000', message: "Access denied for user 'carol'@'127.0.0.1' (using password: YES)" });
    expect(proxy.logText()).not.toContain(CAROL_PASSWORD);
  });

  // `localhost` with --protocol=TCP: the name in the listener's certificate, over TCP rather than the server's socket.
  const cli = (listener: string, args: string[], password = 'alice-secret-pw', options: { running?: RunningSluice; user?: string; host?: string } = {}) =>
    runClient(
      'mariadb',
      ['--no-defaults', '--protocol=TCP', '-h', options.host ?? 'localhost', '-P', String(portOf(options.running ?? proxy, listener)), '-u', options.user ?? 'alice', '--batch', '--skip-column-names', ...args],
      { env: { MYSQL_PWD: password } },
    );

  it("the mariadb client: TLS with certificate verification, and without; its first answer is for the greeting's caching_sha2_password (fast path)", async () => {
    const verified = await methodOf(() => cli('client-tls', ['--ssl', `--ssl-ca=${server.tls.caFile}`, '--ssl-verify-server-cert', '-e', 'status']));
    expect(verified.result.stderr).toBe('');
    expect(verified.result.stdout).toMatch(/SSL:\s+Cipher in use is \S+/);
    expect(verified.method).toBe(FAST_PATH);
    const plain = await methodOf(() => cli('client-tls', ['--ssl=0', '-e', 'SELECT CURRENT_USER()']));
    expect(plain.result.stderr).toBe('');
    expect(plain.result.stdout).toMatch(new RegExp(`^${UPSTREAM_USERS.native.name}@`));
    expect(plain.method).toBe(FAST_PATH);
  });

  it.skipIf(!REMOTE_ADDRESS)(
    `the mariadb client without TLS from an address that is not loopback: --default-auth=mysql_native_password gets a switch to caching_sha2_password (fast path), the fast path by default, RSA for a verifier-only user and a wrong password${REMOTE_ADDRESS ? '' : ' (skipped: this machine has no address besides loopback)'}`,
    async () => {
      const remote = { host: REMOTE_ADDRESS! };
      // With --default-auth it answers the greeting with an empty mysql_native_password packet and waits for
      // the switch; Sluice switches everyone to caching_sha2_password, so the switch says nothing about the user.
      const switched = await methodOf(() => cli('client-remote', ['--ssl=0', '--default-auth=mysql_native_password', '-e', 'SELECT CURRENT_USER()'], undefined, remote));
      expect(switched.result.stderr).toBe('');
      expect(switched.result.stdout).toMatch(new RegExp(`^${UPSTREAM_USERS.native.name}@`));
      expect(switched.method).toBe(FAST_PATH);
      const fast = await methodOf(() => cli('client-remote', ['--ssl=0', '-e', 'SELECT 6 * 7'], undefined, remote));
      expect(fast.result).toMatchObject({ stderr: '', stdout: '42\n' });
      expect(fast.method).toBe(FAST_PATH);
      // Sluice sees the client's own address, and the same answer for a wrong password, a verifier user and an unknown
      // name: each scramble fails, so each goes through full authentication with RSA.
      const from = proxy.logs.length;
      for (const user of ['alice', 'carol', 'mallory']) {
        const wrong = await cli('client-remote', ['--ssl=0', '--default-auth=mysql_native_password', '-e', 'SELECT 1'], 'wrong-pw', { ...remote, user });
        expect(wrong.stderr.trim()).toBe(`ERROR 1045 (28000): Access denied for user '${user}'@'${REMOTE_ADDRESS}' (using password: YES)`);
      }
      await expect
        .poll(() => refusalReasonsSince(from), { timeout: 10_000 })
        .toEqual([`wrong password for user "alice" (${FULL_RSA})`, `wrong password for user "carol" (${FULL_RSA})`, 'unknown user "mallory"']);
      // A verifier-only user needs full authentication: this libmariadb (built with OpenSSL) asks for the RSA key itself.
      const carol = await methodOf(() => cli('client-remote', ['--ssl=0', '-e', 'SELECT 6 * 7'], CAROL_PASSWORD, { ...remote, user: 'carol' }), 'carol');
      expect(carol).toEqual({ result: { code: 0, stdout: '42\n', stderr: '' }, method: FULL_RSA });
    },
  );

  it('the mariadb client with mysql_clear_password over TLS', async () => {
    const { result, method } = await methodOf(() => cli('client-tls', ['--ssl', `--ssl-ca=${server.tls.caFile}`, '--default-auth=mysql_clear_password', '-e', 'SELECT 42']));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('42\n');
    expect(method).toBe('mysql_clear_password');
  });

  it('the mariadb client: a wrong password, a verifier user and an unknown user get the same ERROR 1045 (28000)', async () => {
    for (const user of ['alice', 'carol', 'mallory']) {
      const result = await cli('client-tls', ['-e', 'SELECT 1'], 'wrong-pw', { user });
      expect(result.stderr.trim()).toBe(`ERROR 1045 (28000): Access denied for user '${user}'@'127.0.0.1' (using password: YES)`);
    }
  });

  describe.skipIf(!connectorJ.ok)(`MariaDB Connector/J${connectorJ.ok ? '' : ` (skipped: ${connectorJ.reason})`}`, () => {
    // From an address that is not loopback when the machine has one.
    const target = (user: string, password: string, options = '') =>
      REMOTE_ADDRESS
        ? { host: REMOTE_ADDRESS, port: portOf(proxy, 'client-remote'), user, password, options }
        : { host: '127.0.0.1', port: portOf(proxy, 'client-tls'), user, password, options };
    const address = REMOTE_ADDRESS ?? '127.0.0.1';

    it('signs in without allowPublicKeyRetrieval: its first answer is mysql_native_password, checked as sent', async () => {
      const { result, method } = await methodOf(() => connectorJLogin(target('alice', 'alice-secret-pw')));
      expect(result).toMatch(new RegExp(`^ok ${UPSTREAM_USERS.native.name}@\\S+ 42$`));
      expect(method).toBe(NATIVE);
    }, 120_000);

    it('a wrong password, a verifier user and an unknown user: the same RSA public-key error without allowPublicKeyRetrieval (full authentication, as against MySQL 8), the same ERR 1045 with it', async () => {
      // Connector/J wraps the server's message: "Could not connect to address=… : (conn=<id>) <message>\n<advice>".
      const normalized = (output: string, user: string) => output.replace(/\(conn=\d+\)/, '(conn=N)').replace(`'${user}'@`, "'…'@");
      for (const options of ['', '?allowPublicKeyRetrieval=true']) {
        const outputs = [];
        for (const user of ['alice', 'carol', 'mallory']) outputs.push(normalized(await connectorJLogin(target(user, 'wrong-pw', options)), user));
        if (options === '') expect(outputs[0]).toMatch(/^error \S+ .*RSA public key/);
        else {
          expect(outputs[0]).toMatch(/^error 28000\/1045 /);
          expect(outputs[0]).toContain(`Access denied for user '…'@'${address}' (using password: YES)`);
        }
        expect(outputs[1]).toBe(outputs[0]);
        expect(outputs[2]).toBe(outputs[0]);
      }
    }, 120_000);

    it('a verifier-only user still needs the RSA exchange without TLS, so allowPublicKeyRetrieval (as with MySQL 8)', async () => {
      expect(await connectorJLogin(target('carol', CAROL_PASSWORD))).toMatch(/^error \S+ .*RSA public key/);
      const { result, method } = await methodOf(() => connectorJLogin(target('carol', CAROL_PASSWORD, '?allowPublicKeyRetrieval=true')), 'carol');
      expect(result).toMatch(/^ok \S+ 42$/);
      expect(method).toBe(FULL_RSA);
    }, 120_000);
  });
});

describe('Sluice as the upstream server of another Sluice (the upstream side of caching_sha2_password)', () => {
  it.each([
    ['alice', 'disable', FAST_PATH, 'alice-secret-pw'],
    ['carol', 'disable', FULL_RSA, CAROL_PASSWORD],
    ['carol', 'verify-full', FULL_TLS, CAROL_PASSWORD],
  ] as const)('logs in upstream as %s with tls %s: %s', async (user, tls, expected, password) => {
    const upstream = { host: tls === 'verify-full' ? 'localhost' : '127.0.0.1', port: portOf(proxy, 'client-tls'), user, password, tls, ...(tls === 'verify-full' ? { ca: server.tls.caFile } : {}) };
    const front = await startSluice(`
listeners:
  - { name: front, dialect: mysql, listen: 127.0.0.1:0, environment: test, upstream: ${JSON.stringify(upstream)} }
${STATIC_USERS}`);
    try {
      const { result, method } = await methodOf(() => loginThrough('front', {}, front), user);
      expect(result).toMatchObject({ who: userAt(UPSTREAM_USERS.native.name), answer: 42 });
      expect(method).toBe(expected);
      expect(front.logText()).not.toContain(password);
    } finally {
      await front.stop(200);
    }
  });
});

describe('token login (identity.oidc) to the private MariaDB', () => {
  const asToken = (listener: string, token: string, extra: mysql.ConnectionOptions = {}) =>
    connectThrough(listener, { user: 'sso-user', password: token, ...verifiedTls(), ...extra }, ssoProxy);

  it('mysql2 signs in over TLS with the access token; the group picks the upstream login (native over verify-full, ed25519)', async () => {
    for (const [service, user] of [['svc-dba', UPSTREAM_USERS.sslOnly.name], ['svc-analyst', UPSTREAM_USERS.ed25519.name]] as const) {
      const token = await issuer.serviceToken(service);
      const connection = await asToken('sso-tls', token);
      const [rows] = await connection.query<RowDataPacket[]>(WHO_SQL);
      expect(rows[0]).toMatchObject({ who: userAt(user), answer: 42 });
      expect((rows[0] as { cipher: string }).cipher).not.toBe('');
      await connection.end();
      expect(ssoProxy.logText()).not.toContain(token);
    }
  });

  it('the mariadb client signs in with the token as its password over TLS', async () => {
    const token = await issuer.serviceToken('svc-dba');
    const result = await runClient(
      'mariadb',
      ['--no-defaults', '--protocol=TCP', '-h', 'localhost', '-P', String(portOf(ssoProxy, 'sso-tls')), '-u', 'sso-user', '--ssl', `--ssl-ca=${server.tls.caFile}`, '--ssl-verify-server-cert', '-N', '-e', 'SELECT CURRENT_USER()'],
      { env: { MYSQL_PWD: token } },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^${UPSTREAM_USERS.sslOnly.name}@`));
  });

  const logReasons = () => ssoProxy.logs.filter((line) => line.msg === 'client authentication failed' || line.msg === 'identity maps to no upstream login').map((line) => String(line.reason));

  it('names both issuers in the log when a token comes from another issuer', async () => {
    const before = logReasons().length;
    await expect(asToken('sso-tls', await impostor.serviceToken('svc-dba'))).rejects.toMatchObject({ errno: 1045 });
    await expect.poll(() => logReasons().length, { timeout: 10_000 }).toBeGreaterThan(before);
    expect(logReasons().at(-1)).toBe(`token refused: the token was issued by "${impostor.issuer}", not by ${issuer.issuer}`);
  });

  it('refuses a token over plaintext with 1045 and says it needs TLS', async () => {
    const valid = await issuer.serviceToken('svc-dba');
    const plaintext = await refusalThrough('sso-plain', { user: 'sso-user', password: valid }, ssoProxy);
    expect(plaintext).toMatchObject({ errno: 1045 });
    expect(plaintext.message).toMatch(/TLS/);
    expect(ssoProxy.logText()).not.toContain(valid);
  });

  describe('refuses with 1045 and says why in the log', () => {
    const cases: [string, () => Promise<string>, RegExp][] = [
      ['an expired token', async () => {
        const token = await issuer.serviceToken('svc-dba', { ttlSeconds: 1 });
        await new Promise((resolve) => setTimeout(resolve, 2_100));
        return token;
      }, /^token refused: the token expired at \d{4}-\d\d-\d\dT/],
      ['a token for another audience', () => issuer.serviceToken('svc-dba', { resource: 'urn:test:other-api' }), /^token refused: the token is meant for audience "other-api", not for sluice$/],
      ['a token from another issuer', () => impostor.serviceToken('svc-dba'), /^token refused: the token was issued by "http:\/\/127\.0\.0\.1:\d+", not by http:\/\/127\.0\.0\.1:\d+$/],
      ['a token signed by another key', async () => forgeToken(claimsOf(await issuer.serviceToken('svc-dba')), newSigningKey('test-key-1')), /^token refused: the token signature does not verify|signed by a key the issuer does not publish/],
      ['a tampered token', async () => tamper(await issuer.serviceToken('svc-analyst'), { groups: ['dba'] }), /^token refused: the token signature does not verify/],
      ['an identity that maps to no upstream login', () => issuer.serviceToken('svc-nobody'), /matches no upstream\.by_group entry/],
    ];
    for (const [what, tokenFor, reason] of cases) {
      it(what, async () => {
        const token = await tokenFor();
        const before = logReasons().length;
        const refusal = await asToken('sso-tls', token).then(
          async (connection) => {
            await connection.end();
            return { errno: 0, message: 'accepted' } as Refusal;
          },
          (error: Refusal) => error,
        );
        expect(refusal.errno, refusal.message).toBe(1045);
        expect(refusal.message).not.toContain(token);
        await expect.poll(() => logReasons().length).toBeGreaterThan(before);
        expect(logReasons().at(-1)).toMatch(reason);
        if (reason.source.startsWith('^token refused')) {
          // Why the token was refused is for the log only: the client gets MySQL's own wording.
          expect(refusal).toMatchObject({ sqlState: '28000', message: "Access denied for user 'sso-user'@'127.0.0.1' (using password: YES)" });
        }
        expect(ssoProxy.logText()).not.toContain(token);
      });
    }
  });

  it('the groups in the token drive guardrails and masking: an analyst may not delete and sees masked e-mails, a pii-reader sees them clear', async () => {
    const analyst = await asToken('sso-tls', await issuer.serviceToken('svc-analyst'));
    try {
      await expect(analyst.query(`DELETE FROM ${server.database}.contacts WHERE id = 1`)).rejects.toMatchObject({ errno: 1142, sqlState: '42000', message: expect.stringMatching(/^sluice: analysts-read-only: /) });
      const [rows] = await analyst.query<RowDataPacket[]>(`SELECT email FROM ${server.database}.contacts ORDER BY id`);
      expect(JSON.stringify(rows)).not.toContain('ann.lee@example.com');
      expect(rows).toHaveLength(2);
    } finally {
      await analyst.end();
    }
    const reader = await asToken('sso-tls', await issuer.serviceToken('svc-pii'));
    try {
      const [rows] = await reader.execute<RowDataPacket[]>(`SELECT email FROM ${server.database}.contacts WHERE id > ? ORDER BY id`, [0]);
      expect(rows).toEqual([{ email: 'ann.lee@example.com' }, { email: 'bob.roe@example.net' }]);
    } finally {
      await reader.end();
    }
  });
});

describe('MySQL 8 caching_sha2_password upstream (testcontainers)', () => {
  it.skipIf(!dockerAvailable)(`logs in upstream with caching_sha2_password, fast and full authentication${dockerAvailable ? '' : ' (skipped: no Docker engine)'}`, async () => {
    const container = await new GenericContainer('mysql:8.4')
      .withEnvironment({ MYSQL_ROOT_PASSWORD: 'root-pw-8', MYSQL_USER: 'sha2_user', MYSQL_PASSWORD: 'sha2-user-pw', MYSQL_DATABASE: 'sluice' })
      .withExposedPorts(3306)
      .withWaitStrategy(Wait.forLogMessage(/port: 3306\s+MySQL Community Server/))
      .withStartupTimeout(180_000)
      .start();
    try {
      const host = container.getHost();
      const port = container.getMappedPort(3306);
      for (const tls of ['disable', 'require'] as const) {
        const sha2 = await startSluice(`
listeners:
  - { name: mysql8, dialect: mysql, listen: 127.0.0.1:0, upstream: ${JSON.stringify({ host, port, user: 'sha2_user', password: 'sha2-user-pw', database: 'sluice', tls })} }
${STATIC_USERS}`);
        try {
          // The first login is full authentication (RSA without TLS, cleartext inside TLS); the second hits the server's cache.
          for (let attempt = 0; attempt < 2; attempt++) {
            const connection = await mysql.createConnection({ host: '127.0.0.1', port: sha2.port, user: 'alice', password: 'alice-secret-pw' });
            const [rows] = await connection.query<RowDataPacket[]>("SELECT CURRENT_USER() AS who, @@version AS version");
            expect(rows[0]).toMatchObject({ who: 'sha2_user@%', version: expect.stringMatching(/^8\.4/) });
            await connection.end();
          }
        } finally {
          await sha2.stop();
        }
      }
    } finally {
      await container.stop();
    }
  }, 300_000);
});
