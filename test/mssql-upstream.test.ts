// Sluice's upstream SQL Server login against every server encryption setting: upstream.tls disable,
// prefer, require and verify-full, with the TLS handshake inside PRELOGIN packets and login-only TLS.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSluice, USERS, type RunningSluice } from './helpers/sluice.js';
import { createTestCertificate, TdsTestServer, type EncryptionMode } from './helpers/tds-test-server/index.js';
import { batch, closeTedious, connectTedious } from './helpers/tedious-client.js';

const SCHEMA = 'mssql_upstream';
const UPSTREAM = { user: 'upstream_tls', password: 'Upstream-Tls-Pw-1' };
const certificate = createTestCertificate();
const stranger = createTestCertificate();

const servers = new Map<EncryptionMode, TdsTestServer>();
const running: RunningSluice[] = [];

beforeAll(async () => {
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`drop schema if exists ${SCHEMA} cascade`);
  await admin.end();
  for (const mode of ['not-supported', 'off', 'on', 'required'] as const) {
    servers.set(mode, await TdsTestServer.start({ database: SCHEMA, users: { [UPSTREAM.user]: UPSTREAM.password }, encryption: mode, certificate }));
  }
});

afterAll(async () => {
  await Promise.all(running.map((proxy) => proxy.stop(200)));
  await Promise.all([...servers.values()].map((server) => server.stop()));
});

async function through(mode: EncryptionMode, tls: string, ca?: string): Promise<{ answer: unknown; server: TdsTestServer }> {
  const server = servers.get(mode)!;
  const sluice = await startSluice(`
listeners:
  - name: upstream-${mode}-${tls}
    dialect: mssql
    listen: 127.0.0.1:0
    upstream:
      host: 127.0.0.1
      port: ${server.port}
      user: ${UPSTREAM.user}
      password: ${UPSTREAM.password}
      database: ${SCHEMA}
      tls: ${tls}
${ca ? `      ca: ${ca}\n` : ''}${USERS}`);
  running.push(sluice);
  try {
    const connection = await connectTedious({ port: sluice.port, user: 'alice', password: 'alice-secret-pw' });
    try {
      return { answer: (await batch(connection, 'select 40 + 2 as answer')).rows[0]?.answer, server };
    } finally {
      await closeTedious(connection);
    }
  } catch (error) {
    return { answer: error, server };
  }
}

describe('upstream.tls against each server encryption setting', () => {
  const cases: [EncryptionMode, string, 'none' | 'login-only' | 'full' | 'refused'][] = [
    ['not-supported', 'disable', 'none'],
    ['off', 'disable', 'none'],
    ['on', 'disable', 'refused'],
    ['required', 'disable', 'refused'],
    ['not-supported', 'prefer', 'none'],
    ['off', 'prefer', 'login-only'],
    ['on', 'prefer', 'full'],
    ['required', 'prefer', 'full'],
    ['not-supported', 'require', 'refused'],
    ['off', 'require', 'full'],
    ['required', 'require', 'full'],
  ];
  for (const [mode, tls, expected] of cases) {
    it(`server encryption ${mode}, upstream.tls ${tls}: ${expected}`, async () => {
      const before = servers.get(mode)!.seen('login').length;
      const { answer, server } = await through(mode, tls);
      const logins = server.seen('login').slice(before);
      if (expected === 'refused') {
        expect(answer).toBeInstanceOf(Error);
        expect(logins).toEqual([]);
      } else {
        expect(answer).toBe(42);
        expect(logins.map((login) => login.tls)).toEqual([expected]);
      }
    });
  }

  it('verify-full checks the server certificate against the configured CA and the address dialled', async () => {
    const trusted = await through('required', 'verify-full', certificate.certPath);
    expect(trusted.answer).toBe(42);
    expect(trusted.server.seen('login').at(-1)?.tls).toBe('full');
    const before = servers.get('required')!.seen('login').length;
    const untrusted = await through('required', 'verify-full', stranger.certPath);
    expect(untrusted.answer).toBeInstanceOf(Error);
    expect(servers.get('required')!.seen('login').slice(before)).toEqual([]);
  });
});
