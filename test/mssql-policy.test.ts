// The plugins on SQL Server traffic: guardrails denials (ERROR 229), masking of nvarchar and nvarchar(max)
// values, and audit records, with tedious and FreeTDS tsql through Sluice to the TDS test server.
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Identity, SluicePlugin } from '@sluice/core';
import { approvalsOf, type ApprovalsApi, type PendingApproval } from '@sluice/plugin-guardrails';
import { Request, TYPES, type Connection } from 'tedious';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSluice, type RunningSluice } from './helpers/sluice.js';
import { TdsTestServer } from './helpers/tds-test-server/index.js';
import { batch, closeTedious, connectTedious, execSql } from './helpers/tedious-client.js';
import { tsql, tsqlLines } from './helpers/tsql.js';

const SCHEMA = 'mssql_policy';
const UPSTREAM = { user: 'policy_upstream', password: 'Policy-Upstream-Pw-1' };
const PASSWORDS = { alice: 'alice-policy-pw', bob: 'bob-policy-pw', carol: 'carol-policy-pw' } as const;
const dir = mkdtempSync(join(tmpdir(), 'sluice-mssql-policy-'));
const auditFile = join(dir, 'audit.jsonl');

/** A long note with contact details buried past 4000 characters: an nvarchar(max) value sent as PLP chunks. */
const LONG_NOTE = `${'filler text '.repeat(600)}call ann.lee@example.com or charge 4111 1111 1111 1111${' tail'.repeat(100)}`;

let server: TdsTestServer;
let sluice: RunningSluice;
const connections: Connection[] = [];

async function as(user: keyof typeof PASSWORDS): Promise<Connection> {
  const connection = await connectTedious({ port: sluice.port, user, password: PASSWORDS[user], appName: 'mssql-policy-e2e' });
  connections.push(connection);
  return connection;
}

interface AuditRecord {
  event: string;
  session: string;
  dialect?: string;
  listener?: string;
  identity?: { name?: string; groups?: string[] };
  upstream_user?: string;
  statement?: { sql?: string; kinds?: string[]; tables?: { name: string }[] };
  decision?: { action?: string; rule?: string; reason?: string };
  result?: { rows?: number; error?: { code?: string } };
  masked?: Record<string, { type: string; count: number }>;
}

async function auditRecords(): Promise<AuditRecord[]> {
  const text = await readFile(auditFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as AuditRecord);
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA};
    create table ${SCHEMA}.customers (id int primary key, name varchar(50), email varchar(100), card varchar(30), notes text);
    create table ${SCHEMA}.salaries (id int, amount int); insert into ${SCHEMA}.salaries values (1, 5000), (2, 6000);
    create function ${SCHEMA}.remind() returns int language plpgsql as $$ begin raise notice 'write to ann.lee@example.com'; return 1; end $$`);
  await admin.query(
    `insert into ${SCHEMA}.customers values
      (1, 'Ann Lee', 'ann.lee@example.com', '4111 1111 1111 1111', $1),
      (2, 'Bob Roe', 'bob.roe@example.net', '5555555555554444', 'no contact details'),
      (3, 'Cy Null', null, null, null)`,
    [LONG_NOTE],
  );
  await admin.end();
  server = await TdsTestServer.start({ database: SCHEMA, users: { [UPSTREAM.user]: UPSTREAM.password } });
  sluice = await startSluice(
    `
listeners:
  - name: mssql-prod
    dialect: mssql
    listen: 127.0.0.1:0
    environment: prod
    upstream:
      host: 127.0.0.1
      port: ${server.port}
      user: ${UPSTREAM.user}
      password: \${env:UPSTREAM_PASSWORD}
      database: ${SCHEMA}
      tls: disable
identity:
  users:
    - { name: alice, password: ${PASSWORDS.alice}, groups: [dba] }
    - { name: bob, password: ${PASSWORDS.bob}, groups: [analyst] }
    - { name: carol, password: ${PASSWORDS.carol}, groups: [pii-readers] }
plugins:
  - use: "@sluice/plugin-audit"
    with: { sinks: [ { type: file, path: ${auditFile} } ] }
  - use: "@sluice/plugin-guardrails"
    with:
      rules:
        - { name: no-drop-in-prod, match: { environment: prod, statement: [drop, truncate] }, action: deny }
        - { name: no-unbounded-delete, match: { statement: [delete, update], where: absent }, action: deny }
        - { name: review-salaries, match: { tables: [salaries] }, action: require_approval }
      approvals: { approvers: [dba], timeout: 30s }
  - use: "@sluice/plugin-masking"
    with: { unmasked_groups: [pii-readers] }
`,
    { UPSTREAM_PASSWORD: UPSTREAM.password },
  );
});

afterAll(async () => {
  await Promise.all(connections.map((c) => closeTedious(c).catch(() => undefined)));
  await sluice?.stop();
  await server?.stop();
});

describe('guardrails on SQL Server traffic', () => {
  it('denies with ERROR 229 "sluice: <rule>: <reason>", never reaches the server, and the connection goes on', async () => {
    const connection = await as('alice');
    const batchesBefore = server.seen('batch').length;
    await expect(batch(connection, 'drop table customers')).rejects.toMatchObject({ number: 229, message: expect.stringMatching(/^sluice: no-drop-in-prod: /) });
    await expect(execSql(connection, 'delete from customers', [])).rejects.toMatchObject({ number: 229, message: expect.stringMatching(/^sluice: no-unbounded-delete: /) });
    await expect(execSql(connection, 'update customers set name = @n', [['n', TYPES.NVarChar, 'x']])).rejects.toMatchObject({ number: 229 });
    expect(server.seen('batch').slice(batchesBefore).map((b) => b.sql)).not.toContainEqual(expect.stringMatching(/drop/i));
    expect(server.seen('rpc').map((r) => r.parameters?.[0]?.value)).not.toContain('delete from customers');
    expect((await batch(connection, 'select count(*) as n from customers')).rows).toEqual([{ n: '3' }]);
    expect((await execSql(connection, 'delete from customers where id = @id', [['id', TYPES.Int, 99]])).rowCount).toBe(0);
  });

  it('denies for tsql too, which prints the message and runs the next batch', async () => {
    const result = await tsql({ port: sluice.port, user: 'alice', password: PASSWORDS.alice }, ['drop table customers', 'select 40 + 2 as answer']);
    expect(result.stdout + result.stderr).toMatch(/Msg 229[\s\S]*sluice: no-drop-in-prod: /);
    expect(tsqlLines(result.stdout)).toContain('42');
  });
});

describe('approvals on SQL Server traffic', () => {
  const dana: Identity = { subject: 'alice', name: 'alice', groups: ['dba'], auth: 'password' };
  const engine = (): ApprovalsApi => approvalsOf(sluice.sluice.current.plugins.find((p: SluicePlugin) => p.name === 'guardrails')!)!;
  async function pendingFor(sql: string): Promise<PendingApproval> {
    return waitFor(async () => engine().list().find((approval) => approval.sql === sql), `a pending approval for ${sql}`);
  }

  it('holds a statement until an approver approves, then the client gets its rows with the hold notice', async () => {
    const connection = await as('bob');
    const sql = 'select id, amount from salaries order by id';
    const running = batch(connection, sql);
    const pending = await pendingFor(sql);
    expect(server.seen('batch').map((b) => b.sql)).not.toContain(sql);
    expect(engine().decide(pending.id, dana, 'approve')).toMatchObject({ ok: true });
    const result = await running;
    expect(result.rows).toEqual([
      { id: 1, amount: 5000 },
      { id: 2, amount: 6000 },
    ]);
    expect(result.infos.map((info) => info.message)).toContainEqual(expect.stringMatching(new RegExp(`^sluice: statement held for approval ${pending.id}`)));
  });

  it('answers a refused approval with ERROR 229 and never runs the statement', async () => {
    const connection = await as('bob');
    const sql = 'select amount from salaries where id = 2';
    const running = batch(connection, sql);
    const pending = await pendingFor(sql);
    engine().decide(pending.id, dana, 'deny');
    await expect(running).rejects.toMatchObject({ number: 229 });
    expect(server.seen('batch').map((b) => b.sql)).not.toContain(sql);
    expect((await batch(connection, 'select 5 as five')).rows).toEqual([{ five: 5 }]);
  });

  it('lets the client cancel a held statement (Attention) and go on', async () => {
    const connection = await as('bob');
    const sql = 'select amount from salaries where id = 1';
    const running = new Promise<Error | undefined>((resolve) => connection.execSqlBatch(new Request(sql, (error) => resolve(error ?? undefined))));
    await pendingFor(sql);
    connection.cancel();
    expect(await running).toMatchObject({ code: 'ECANCEL' });
    expect((await batch(connection, 'select 6 as six')).rows).toEqual([{ six: 6 }]);
    expect(server.seen('batch').map((b) => b.sql)).not.toContain(sql);
  });
});

describe('masking of SQL Server rows', () => {
  it('masks emails and cards in nvarchar columns and inside an nvarchar(max) PLP value', async () => {
    const result = await batch(await as('bob'), 'select id, name, email, card, notes from customers order by id');
    const [ann, bob, cy] = result.rows;
    expect(ann).toMatchObject({ id: 1, name: 'Ann Lee', email: '****@example.com', card: '**** **** **** 1111' });
    expect(bob).toMatchObject({ email: '****@example.net', card: '************4444' });
    expect(cy).toEqual({ id: 3, name: 'Cy Null', email: null, card: null, notes: null });
    const notes = ann!.notes as string;
    expect(notes.length).toBeGreaterThan(4000);
    expect(notes).not.toContain('ann.lee@example.com');
    expect(notes).not.toContain('4111 1111 1111 1111');
    expect(notes).toContain('****@example.com');
    expect(result.resultSets[0]!.columns.find((c) => c.name === 'notes')?.dataLength).toBe(65535);
  });

  it('masks rows of parameterised statements (sp_executesql) and leaves them clear for pii-readers', async () => {
    const sql = 'select email, card from customers where id = @id';
    const masked = await execSql(await as('bob'), sql, [['id', TYPES.Int, 1]]);
    expect(masked.rows).toEqual([{ email: '****@example.com', card: '**** **** **** 1111' }]);
    const clear = await execSql(await as('carol'), sql, [['id', TYPES.Int, 1]]);
    expect(clear.rows).toEqual([{ email: 'ann.lee@example.com', card: '4111 1111 1111 1111' }]);
  });

  it('masks every result set of a multi-statement sp_executesql, and notices the server sends', async () => {
    const connection = await as('bob');
    const result = await execSql(connection, "select email from customers where id = @a; select card from customers where id = @b; select remind() as reminded", [
      ['a', TYPES.Int, 1],
      ['b', TYPES.Int, 2],
    ]);
    expect(result.resultSets.map((set) => set.rows)).toEqual([[['****@example.com']], [['************4444']], [[1]]]);
    expect(result.infos.map((info) => info.message)).toEqual(['write to ****@example.com']);
  });

  it('masks what tsql prints', async () => {
    const result = await tsql({ port: sluice.port, user: 'bob', password: PASSWORDS.bob }, ['select email, card from customers where id = 1']);
    const lines = tsqlLines(result.stdout);
    expect(lines).toEqual(['email\tcard', '****@example.com\t**** **** **** 1111']);
  });
});

describe('audit records of SQL Server sessions', () => {
  it('records connects, allowed and denied statements with their decision and masked counts, never a password', async () => {
    const connection = await as('bob');
    await batch(connection, 'select id, email from customers where id <= 2 order by id');
    await execSql(connection, 'select name from customers where id = @id', [['id', TYPES.Int, 2]]);
    await expect(batch(connection, 'drop table customers')).rejects.toMatchObject({ number: 229 });
    await closeTedious(connection);
    const records = await waitFor(async () => {
      const all = await auditRecords();
      const connect = all.filter((r) => r.event === 'connect' && r.identity?.name === 'bob').at(-1);
      return connect && all.some((r) => r.event === 'disconnect' && r.session === connect.session) ? all.filter((r) => r.session === connect.session) : undefined;
    }, "bob's disconnect record");
    const [connect, ...rest] = records;
    expect(connect).toMatchObject({ dialect: 'mssql', listener: 'mssql-prod', upstream_user: UPSTREAM.user, identity: { name: 'bob', groups: ['analyst'] } });
    const select = rest.find((r) => r.event === 'query' && r.statement?.sql?.startsWith('select id, email'))!;
    expect(select).toMatchObject({ statement: { kinds: ['select'] }, decision: { action: 'allow' }, result: { rows: 2 } });
    expect(Object.values(select.masked ?? {})).toContainEqual({ type: 'email', count: 2 });
    const parameterised = rest.find((r) => r.event === 'query' && r.statement?.sql === 'select name from customers where id = @id');
    expect(parameterised).toMatchObject({ statement: { kinds: ['select'] }, decision: { action: 'allow' }, result: { rows: 1 } });
    const drop = rest.find((r) => r.event === 'query' && r.statement?.sql === 'drop table customers')!;
    expect(drop).toMatchObject({ statement: { kinds: ['drop'] }, decision: { action: 'deny', rule: 'no-drop-in-prod' } });
    const text = await readFile(auditFile, 'utf8');
    for (const secret of [...Object.values(PASSWORDS), UPSTREAM.password]) expect(text).not.toContain(secret);
    expect(sluice.logText()).not.toContain(UPSTREAM.password);
  });
});
