// SQL Server clients and upstream behaviour through Sluice: FreeTDS tsql with every encryption setting,
// OIDC token login with tedious, routing ENVCHANGEs, an upstream that dies mid-result, and a real
// SQL Server through testcontainers where a Docker engine exists.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { GenericContainer, getContainerRuntimeClient, Wait, type StartedTestContainer } from 'testcontainers';
import { Request, TYPES, type Connection } from 'tedious';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTROSPECTION_CLIENT, startIssuer, type TestIssuer } from './helpers/oidc-provider.js';
import { startSluice, USERS, type RunningSluice } from './helpers/sluice.js';
import { TdsTestServer } from './helpers/tds-test-server/index.js';
import { batch, closeTedious, connectTedious, execSql } from './helpers/tedious-client.js';
import { tsql, tsqlLines } from './helpers/tsql.js';

const SCHEMA = 'mssql_clients';
const ROUTED_SCHEMA = 'mssql_clients_routed';
const UPSTREAM = { user: 'clients_upstream', password: 'Clients-Upstream-Pw-1' };

const dir = mkdtempSync(join(tmpdir(), 'sluice-mssql-clients-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
const TLS = `tls: { cert: ${join(dir, 'cert.pem')}, key: ${join(dir, 'key.pem')} }`;

let server: TdsTestServer;
let issuer: TestIssuer;
const running: RunningSluice[] = [];
const connections: Connection[] = [];

function listener(name: string, port: number, extra = ''): string {
  return `
  - name: ${name}
    dialect: mssql
    listen: 127.0.0.1:0
    environment: test
    ${TLS}
    upstream: { host: 127.0.0.1, port: ${port}, user: ${UPSTREAM.user}, password: "\${env:UPSTREAM_PASSWORD}", database: ${SCHEMA}, tls: disable }${extra}`;
}

async function proxy(yaml: string): Promise<RunningSluice> {
  const started = await startSluice(yaml, { UPSTREAM_PASSWORD: UPSTREAM.password, INTROSPECTION_SECRET: INTROSPECTION_CLIENT.secret });
  running.push(started);
  return started;
}

async function tedious(port: number, options: { user?: string; password?: string; token?: string; encrypt?: boolean } = {}): Promise<Connection> {
  const connection = await connectTedious({ port, user: options.user ?? 'alice', password: options.password ?? 'alice-secret-pw', ...(options.token ? { token: options.token } : {}), encrypt: options.encrypt ?? false });
  connections.push(connection);
  return connection;
}

beforeAll(async () => {
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`drop schema if exists ${SCHEMA} cascade; drop schema if exists ${ROUTED_SCHEMA} cascade`);
  await admin.end();
  server = await TdsTestServer.start({ database: SCHEMA, extraDatabases: [ROUTED_SCHEMA], users: { [UPSTREAM.user]: UPSTREAM.password } });
  issuer = await startIssuer();
  const setup = await connectTedious({ port: server.port, user: UPSTREAM.user, password: UPSTREAM.password });
  await batch(setup, `create table items (id int primary key, label varchar(40), price numeric(8,2), added date);
    insert into items select g, 'item ' || g, g * 1.25, date '2024-01-01' + g from generate_series(1, 50) g;
    create table ${ROUTED_SCHEMA}.marker (origin varchar(20)); insert into ${ROUTED_SCHEMA}.marker values ('routed');
    create table types_row (
       i2 int2, i4 int4, i8 int8, b bool, n numeric(12,3), f4 float4, f8 float8, m money, vc varchar(20), t text, ch char(5),
       bin bytea, u uuid, d date, tm time(3), ts timestamp(6), tstz timestamptz, x xml, dt datetime, sdt smalldatetime);
    insert into types_row values
       (-32768, 2147483647, 9007199254740993, true, -123456789.125, 3.25, -1.5e-30, -92233720368547.58, 'héllo wörld ✓',
        repeat('long text ', 2000), 'ab', '\\x0001ff', '6f9619ff-8b86-d011-b42d-00c04fc964ff', '2024-02-29', '13:14:15.123',
        '1999-12-31 23:59:59.999999', '2024-02-29 13:14:15.5+02', '<a b="1">x</a>', '2024-02-29 13:14:15.123', '2024-02-29 13:14:31'),
       (null, 7, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null)`);
  await closeTedious(setup);
});

afterAll(async () => {
  await Promise.all(connections.map((c) => closeTedious(c).catch(() => undefined)));
  await Promise.all(running.map((p) => p.stop(200)));
  await server?.stop();
  await issuer?.close();
});

describe('FreeTDS tsql through Sluice', () => {
  let sluice: RunningSluice;
  beforeAll(async () => {
    sluice = await proxy(`listeners:${listener('mssql-tsql', server.port)}\n${USERS}`);
  });

  for (const encryption of ['off', 'request', 'require'] as const) {
    it(`runs batches with encryption = ${encryption} towards Sluice`, async () => {
      const result = await tsql({ port: sluice.port, user: 'bob', password: 'bob-secret-pw', encryption }, [
        'select id, label, price, added from items where id in (1, 2) order by id',
        'select count(*) as n from items',
      ]);
      expect(result.stderr).not.toMatch(/Msg \d+|error/i);
      expect(tsqlLines(result.stdout)).toEqual(['id\tlabel\tprice\tadded', '1\titem 1\t1.25\tJan  2 2024 12:00AM', '2\titem 2\t2.50\tJan  3 2024 12:00AM', 'n', '50']);
      expect(server.seen('login').at(-1)).toMatchObject({ user: UPSTREAM.user });
    });
  }

  it('prints every mapped type exactly as it prints them straight from the server', async () => {
    const queries = ['select * from types_row order by i4 desc', "select 'x' as only_one where false"];
    const [viaSluice, straight] = await Promise.all([
      tsql({ port: sluice.port, user: 'bob', password: 'bob-secret-pw', encryption: 'require' }, queries),
      tsql({ port: server.port, user: UPSTREAM.user, password: UPSTREAM.password, database: SCHEMA }, queries),
    ]);
    const lines = tsqlLines(viaSluice.stdout);
    expect(lines[0]!.split('\t')).toHaveLength(20);
    expect(lines[1]).toContain('héllo wörld ✓');
    expect(lines).toEqual(tsqlLines(straight.stdout));
  });

  it('refuses a wrong password with 18456', async () => {
    const result = await tsql({ port: sluice.port, user: 'bob', password: 'not-bobs' }, ['select 1']);
    expect(result.stdout + result.stderr).toMatch(/18456|Login failed/);
  });
});

describe('OIDC token login', () => {
  let sluice: RunningSluice;
  beforeAll(async () => {
    sluice = await proxy(`listeners:${listener('mssql-sso', server.port)}
identity:
  users:
    - { name: alice, password: alice-secret-pw, groups: [dba] }
  oidc: ${JSON.stringify({ issuer: issuer.issuer, audience: 'sluice', introspection: { client_id: INTROSPECTION_CLIENT.id, client_secret: '${env:INTROSPECTION_SECRET}' } })}
plugins:
  - use: "@sluice/plugin-audit"
    with: { sinks: [ { type: file, path: ${join(dir, 'sso-audit.jsonl')} } ] }
`);
  });

  it('lets tedious in with azure-active-directory-access-token (FEDAUTH security token), as the identity the token names', async () => {
    const token = await issuer.serviceToken('svc-analyst');
    const connection = await tedious(sluice.port, { token, encrypt: true });
    expect((await batch(connection, 'select count(*) as n from items')).rows).toEqual([{ n: '50' }]);
    const connectRecord = () =>
      (readFileSync(join(dir, 'sso-audit.jsonl'), { encoding: 'utf8', flag: 'a+' }))
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { event: string; identity: unknown; dialect: string })
        .find((record) => record.event === 'connect');
    for (let wait = 0; wait < 100 && !connectRecord(); wait++) await new Promise((resolve) => setTimeout(resolve, 50));
    const connect = connectRecord();
    const audit = readFileSync(join(dir, 'sso-audit.jsonl'), 'utf8');
    expect(connect).toMatchObject({ dialect: 'mssql', identity: { sub: 'svc-analyst', groups: ['analyst', 'reporting'], auth: 'oidc' } });
    expect(sluice.logText()).not.toContain(token);
    expect(audit).not.toContain(token);
    expect(server.seen('login').at(-1)?.user).toBe(UPSTREAM.user);
  });

  it('also takes the token as the password of a name that is no static user', async () => {
    const token = await issuer.serviceToken('svc-dba');
    const connection = await tedious(sluice.port, { user: 'sso-user', password: token, encrypt: true });
    expect((await batch(connection, 'select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(sluice.logText()).not.toContain(token);
  });

  it('refuses a token signed for another audience and a garbage token', async () => {
    const wrongAudience = await issuer.serviceToken('svc-analyst', { resource: 'urn:test:other-api' });
    await expect(connectTedious({ port: sluice.port, user: '', token: wrongAudience, encrypt: true })).rejects.toThrow(/Login failed|token/i);
    await expect(connectTedious({ port: sluice.port, user: '', token: 'not-a-token', encrypt: true })).rejects.toThrow(/Login failed|token/i);
  });
});

describe('routing ENVCHANGE', () => {
  it('follows an upstream that routes the login elsewhere itself, so the client never leaves Sluice', async () => {
    const target = await TdsTestServer.start({ database: ROUTED_SCHEMA, users: { [UPSTREAM.user]: UPSTREAM.password }, certificate: server.certificate });
    const gateway = await TdsTestServer.start({
      database: SCHEMA,
      users: { [UPSTREAM.user]: UPSTREAM.password },
      certificate: server.certificate,
      routing: () => ({ server: '127.0.0.1', port: target.port }),
    });
    try {
      const sluice = await proxy(`listeners:${listener('mssql-routed', gateway.port)}\n${USERS}`);
      const connection = await tedious(sluice.port);
      // Both test servers answer from the same PostgreSQL: the login records show where the session went.
      expect((await batch(connection, `select origin from ${ROUTED_SCHEMA}.marker`)).rows).toEqual([{ origin: 'routed' }]);
      expect(gateway.seen('login').map((l) => l.user)).toEqual([UPSTREAM.user]);
      // Only Sluice logged in at the target: had tedious followed the route itself, alice would have.
      expect(target.seen('login').map((l) => l.user)).toEqual([UPSTREAM.user]);
    } finally {
      await target.stop();
      await gateway.stop();
    }
  });

  it('refuses a routing ENVCHANGE in the middle of a session without handing the address to the client', async () => {
    const sluice = await proxy(`listeners:${listener('mssql-midroute', server.port)}\n${USERS}`);
    const connection = await tedious(sluice.port);
    const routed: unknown[] = [];
    const events = connection as unknown as NodeJS.EventEmitter;
    for (const name of ['rerouting', 'routingChange']) events.on(name, () => routed.push(name));
    const outcome = await batch(connection, '/* tds-test-server: send-routing 203.0.113.9:1433 */ select 1 as one').then(
      () => 'answered',
      (error: Error) => error.message,
    );
    expect(outcome).not.toBe('answered');
    expect(routed).toEqual([]);
    expect(JSON.stringify(outcome)).not.toContain('203.0.113.9');
    const fresh = await tedious(sluice.port);
    expect((await batch(fresh, 'select 2 as two')).rows).toEqual([{ two: 2 }]);
  });
});

describe('malformed bytes from the upstream', () => {
  const cases: [string, string][] = [
    ['an unknown token type', '13000102'],
    ['COLMETADATA with an unknown data type', '810100000000000900fe016100'],
    ['a ROW cut off in the middle', '810100000000000100260401610000d10401'],
    ['an ERROR token whose length runs past the message', 'aaff7f0000'],
    ['a DONE token cut after 3 of its 13 bytes', 'fd0000'],
    ['an ENVCHANGE whose length runs past the message', 'e31000010461006200'],
    ['an INFO token cut short', 'ab0a000000000001'],
    ['an nvarchar(max) value whose PLP chunks end before its declared length', '810100000000000100e7ffff0904d00034016100d10a000000000000000400000061006200'],
  ];
  for (const [what, hex] of cases) {
    it(`closes only that session on ${what}`, async () => {
      const sluice = await proxy(`listeners:${listener(`mssql-garbage-${hex.slice(0, 6)}`, server.port)}\n${USERS}`);
      const bystander = await tedious(sluice.port);
      const victim = await tedious(sluice.port);
      const outcome = await batch(victim, `/* tds-test-server: send-bytes ${hex} */ select 1`).then(
        () => 'answered',
        (error: Error) => error,
      );
      // The client hears it in its own protocol (an ERROR token from Sluice), never half a token.
      expect(outcome).toMatchObject({ message: expect.stringMatching(/^sluice: malformed response from the database server/) });
      expect((await batch(bystander, 'select 8 as eight')).rows).toEqual([{ eight: 8 }]);
      const again = await tedious(sluice.port);
      expect((await batch(again, 'select 9 as nine')).rows).toEqual([{ nine: 9 }]);
    });
  }
});

describe('an upstream that dies mid-result', () => {
  it('ends that client session with an error while Sluice and other sessions go on', async () => {
    const sluice = await proxy(`listeners:${listener('mssql-dying', server.port)}\n${USERS}`);
    const bystander = await tedious(sluice.port);
    const victim = await tedious(sluice.port);
    let rows = 0;
    const error = await new Promise<Error | undefined>((resolve) => {
      const request = new Request('/* tds-test-server: die-after-rows 300 */ select g, repeat(\'d\', 100) as pad from generate_series(1, 100000) g', (e) => resolve(e ?? undefined));
      request.on('row', () => rows++);
      victim.execSqlBatch(request);
    });
    expect(error).toBeDefined();
    expect(rows).toBeLessThanOrEqual(300);
    expect((await execSql(bystander, 'select @x + 1 as y', [['x', TYPES.Int, 41]])).rows).toEqual([{ y: 42 }]);
    const again = await tedious(sluice.port);
    expect((await batch(again, 'select 3 as three')).rows).toEqual([{ three: 3 }]);
  });
});

const dockerAvailable = await getContainerRuntimeClient().then(
  () => true,
  () => false,
);

describe('a real SQL Server (testcontainers)', () => {
  const SA_PASSWORD = 'Sluice-Mssql-Container-1!';
  let container: StartedTestContainer | undefined;
  afterAll(async () => {
    await container?.stop();
  });

  it.skipIf(!dockerAvailable)(
    `tedious through Sluice to mcr.microsoft.com/mssql/server:2022-latest${dockerAvailable ? '' : ' (skipped: no Docker engine)'}`,
    async () => {
      container = await new GenericContainer('mcr.microsoft.com/mssql/server:2022-latest')
        .withEnvironment({ ACCEPT_EULA: 'Y', MSSQL_SA_PASSWORD: SA_PASSWORD })
        .withExposedPorts(1433)
        .withWaitStrategy(Wait.forLogMessage(/SQL Server is now ready for client connections/))
        .withStartupTimeout(180_000)
        .start();
      const port = container.getMappedPort(1433);
      const sluice = await proxy(`
listeners:
  - name: mssql-real
    dialect: mssql
    listen: 127.0.0.1:0
    environment: test
    upstream: { host: ${container.getHost()}, port: ${port}, user: sa, password: "\${env:SA_PASSWORD}", database: master, tls: require }
${USERS}
plugins:
  - use: "@sluice/plugin-masking"
`.replace('${env:SA_PASSWORD}', SA_PASSWORD));
      const direct = await connectTedious({ port, user: 'sa', password: SA_PASSWORD, encrypt: true });
      connections.push(direct);
      await batch(direct, `create table dbo.sluice_people (id int primary key, email nvarchar(100), note nvarchar(max), amount decimal(10,2), at datetimeoffset(3));
        insert into dbo.sluice_people values (1, N'ann.lee@example.com', REPLICATE(CAST(N'x' AS nvarchar(max)), 9000), 12.50, '2024-02-29 13:14:15.500 +02:00')`);
      const connection = await tedious(sluice.port);
      const version = await batch(connection, 'select @@version as v');
      expect(String(version.rows[0]!.v)).toMatch(/Microsoft SQL Server 2022/);
      const rows = await execSql(connection, 'select id, email, len(note) as note_length, amount, at from dbo.sluice_people where id = @id', [['id', TYPES.Int, 1]]);
      expect(rows.rows[0]).toMatchObject({ id: 1, email: '****@example.com', note_length: 9000, amount: 12.5 });
      await expect(batch(connection, 'select * from dbo.no_such_table')).rejects.toMatchObject({ number: 208 });
    },
    300_000,
  );
});
