// Identity to database login: upstream.by_group and set_role pick the role; groups drive guardrails and masking.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTROSPECTION_CLIENT, startIssuer, type TestIssuer } from './helpers/oidc-provider.js';
import { startSluice, type RunningSluice } from './helpers/sluice.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-identity-mapping-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
const auditFile = join(dir, 'audit.jsonl');

// Roles are cluster-wide: names unique to this file.
const DBA = 'sluice_identity_dba';
const ANALYST = 'sluice_identity_analyst';
const GATEWAY = 'sluice_identity_gateway';

let issuer: TestIssuer;
let proxy: RunningSluice;

async function asPostgres<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await admin.connect();
  try {
    return await run(admin);
  } finally {
    await admin.end();
  }
}

beforeAll(async () => {
  await asPostgres(async (admin) => {
    for (const [role, login] of [[DBA, true], [ANALYST, true], [GATEWAY, true]] as const) {
      await admin.query(`do $$ begin create role ${role} ${login ? 'login' : 'nologin'}; exception when duplicate_object then null; end $$`);
    }
    await admin.query(`grant ${DBA}, ${ANALYST} to ${GATEWAY}`);
  });
  issuer = await startIssuer();
  const upstream = (extra: string) => `{ host: 127.0.0.1, port: 5432, database: postgres, tls: disable, ${extra} }`;
  const byGroup = `by_group: [ { group: dba, user: ${DBA} }, { group: analyst, user: ${ANALYST} } ]`;
  const tls = `{ cert: ${join(dir, 'cert.pem')}, key: ${join(dir, 'key.pem')} }`;
  proxy = await startSluice(
    `
listeners:
  - { name: pg-logins, dialect: postgres, listen: 127.0.0.1:0, environment: test, tls: ${tls}, upstream: ${upstream(byGroup)} }
  - { name: pg-set-role, dialect: postgres, listen: 127.0.0.1:0, environment: test, tls: ${tls}, upstream: ${upstream(`user: ${GATEWAY}, set_role: true, ${byGroup}`)} }
identity:
  oidc:
    issuer: ${issuer.issuer}
    audience: sluice
    introspection: { client_id: ${INTROSPECTION_CLIENT.id}, client_secret: ${INTROSPECTION_CLIENT.secret} }
plugins:
  - use: "@sluice/plugin-audit"
    with: { sinks: [ { type: file, path: ${auditFile} } ] }
  - use: "@sluice/plugin-guardrails"
    with:
      rules:
        - { name: analysts-read-only, match: { groups: [analyst], statement: [ddl, dml] }, action: deny }
  - use: "@sluice/plugin-masking"
    with: { detect: auto, unmasked_groups: [pii-readers] }
`,
  );
});

afterAll(async () => {
  await proxy?.stop(200);
  await issuer?.close();
});

function portOf(listener: string): number {
  return proxy.sluice.addresses().find((address) => address.name === listener)!.port;
}

async function connectAs(service: string, listener = 'pg-logins', extra: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: portOf(listener),
    user: service,
    password: await issuer.serviceToken(service),
    database: 'postgres',
    ssl: { rejectUnauthorized: false },
    ...extra,
  });
  await client.connect();
  return client;
}

async function roles(client: pg.Client): Promise<{ current: string; session: string }> {
  const { rows } = await client.query('select current_user as current, session_user as session');
  return rows[0] as { current: string; session: string };
}

describe('upstream.by_group', () => {
  it('logs each group in as its own role', async () => {
    for (const [service, role] of [['svc-dba', DBA], ['svc-analyst', ANALYST]] as const) {
      const client = await connectAs(service);
      expect(await roles(client)).toEqual({ current: role, session: role });
      await client.end();
    }
  });

  it('refuses an identity that maps to nothing with 28000 and an audit record', async () => {
    const error = await connectAs('svc-nobody').then(
      () => {
        throw new Error('the login was accepted');
      },
      (failure: pg.DatabaseError) => failure,
    );
    expect(error.code).toBe('28000');
    expect(error.message).toBe('sluice: identity "svc-nobody" (no groups) matches no upstream.by_group entry and the listener has no upstream.user');
    const refusal = () =>
      readFileSync(auditFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { event: string; decision?: { action: string; reason?: string }; identity?: { claimed?: string } })
        .find((record) => record.event === 'connect' && record.identity?.claimed === 'svc-nobody');
    await expect.poll(refusal).toMatchObject({ decision: { action: 'deny', reason: expect.stringContaining('matches no upstream.by_group entry') } });
  });
});

describe('upstream.set_role', () => {
  it('logs in as the listener user and takes the mapped role, which RESET ROLE comes back to', async () => {
    const client = await connectAs('svc-analyst', 'pg-set-role');
    expect(await roles(client)).toEqual({ current: ANALYST, session: GATEWAY });
    await client.query('reset role');
    expect(await roles(client)).toEqual({ current: ANALYST, session: GATEWAY });
    await client.end();
    const dba = await connectAs('svc-dba', 'pg-set-role');
    expect(await roles(dba)).toEqual({ current: DBA, session: GATEWAY });
    await dba.end();
  });

  it('refuses every statement that would leave the mapped role, and the session goes on in it', async () => {
    const client = await connectAs('svc-analyst', 'pg-set-role');
    const attempts = [
      `set role ${DBA}`,
      'set role none',
      `set local role ${DBA}`,
      'reset session authorization',
      `set session authorization ${GATEWAY}`,
      `select set_config('role', '${DBA}', false)`,
      "select set_config($1, 'x', false)",
      `do $$ begin execute 'set role ${DBA}'; end $$`,
      `create function pg_temp.escalate() returns int language sql set role = ${DBA} as 'select 1'`,
    ];
    for (const sql of attempts) {
      const values = sql.includes('$1') ? ['role'] : undefined;
      await expect(client.query(sql, values), sql).rejects.toMatchObject({ code: '42501', message: expect.stringContaining('upstream.set_role') });
      expect(await roles(client)).toEqual({ current: ANALYST, session: GATEWAY });
    }
    await client.query("select set_config('application_name', 'still-allowed', false)");
    await client.query('set search_path = public');
    await client.end();
  });

  it('refuses a client that names its own role in the startup packet', async () => {
    const attempt = connectAs('svc-analyst', 'pg-set-role', { options: `-c role=${DBA}` });
    await expect(attempt).rejects.toMatchObject({ code: '28000', message: expect.stringContaining('"options" may not set the role') });
  });
});

describe('groups from the token drive the plugins', () => {
  it('guardrails deny what the analyst group may not do, and let the dba group do it', async () => {
    const analyst = await connectAs('svc-analyst');
    await expect(analyst.query('create temp table identity_mapping_t (id int)')).rejects.toMatchObject({
      code: '42501',
      message: expect.stringContaining('analysts-read-only'),
    });
    expect((await analyst.query('select 1 as n')).rows).toEqual([{ n: 1 }]);
    await analyst.end();
    const dba = await connectAs('svc-dba');
    await dba.query('create temp table identity_mapping_t (id int)');
    await dba.end();
  });

  it('masking exempts the pii-readers group only', async () => {
    const sql = "select 'ann.lee@example.com'::text as email";
    const analyst = await connectAs('svc-analyst');
    const masked = (await analyst.query(sql)).rows[0].email as string;
    await analyst.end();
    const reader = await connectAs('svc-pii');
    const clear = (await reader.query(sql)).rows[0].email as string;
    await reader.end();
    expect(masked).not.toBe('ann.lee@example.com');
    expect(masked).toContain('@example.com');
    expect(clear).toBe('ann.lee@example.com');
  });
});
