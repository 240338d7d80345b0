// Guardrails through Sluice with real clients (pg, psql) against the real PostgreSQL server: rules, presets, log mode, bypasses, approvals.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Identity, SluicePlugin } from '@sluice/core';
import { approvalsOf, type ApprovalsApi, type PendingApproval } from '@sluice/plugin-guardrails';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BYPASS_POLICY, POSTGRES_BYPASSES } from '../packages/plugin-guardrails/src/corpus/bypass.js';
import { run } from './helpers/processes.js';
import { startSluice, type RunningSluice } from './helpers/sluice.js';

/** A database of this file's own: a statement guardrails wrongly let through could only touch it. */
const DATABASE = 'sluice_guardrails';
const FIXTURES = '../../packages/plugin-guardrails/fixtures';
const DIRECT = { host: '127.0.0.1', port: 5432, user: 'postgres' };

/** The statements the bypass corpus puts before or around an attack: the safety net lets exactly these through. */
const HARMLESS = ['select 1', 'select 2', 'select count(*) from orders', 'begin', 'commit', 'savepoint a', 'release a', 'prepare p as select 1'];

const approver = (name: string, groups: string[]): Identity => ({ subject: name, name, groups, auth: 'password' });
const dana = approver('dana', ['dba']);
const bob = approver('bob', ['analyst']);
const aliceWithDba = approver('alice', ['dba']);

type Recorded = { sql: string; via: string; user: string; annotations: Record<string, unknown>; decision: { action: string; rule?: string }; rows: number };
const recorded = (key: string) => ((globalThis as Record<string, unknown>)[key] ??= []) as Recorded[];

function listener(environment: string): string {
  return `
listeners:
  - name: pg-${environment}
    dialect: postgres
    listen: 127.0.0.1:0
    environment: ${environment}
    upstream: { host: 127.0.0.1, port: 5432, user: postgres, database: ${DATABASE}, tls: disable }
identity:
  users:
    - { name: alice, password: alice-secret-pw, groups: [dev] }
    - { name: dana, password: dana-secret-pw, groups: [dba] }
`;
}

let design: RunningSluice;
let guarded: RunningSluice;
let bypass: RunningSluice;
let readOnly: RunningSluice;
let webhookServer: Server;
const webhookBodies: Record<string, unknown>[] = [];

beforeAll(async () => {
  const admin = new pg.Client({ ...DIRECT, database: 'postgres' });
  await admin.connect();
  const exists = await admin.query('select 1 from pg_database where datname = $1', [DATABASE]);
  if (exists.rowCount === 0) await admin.query(`create database ${DATABASE}`);
  await admin.end();
  const direct = new pg.Client({ ...DIRECT, database: DATABASE });
  await direct.connect();
  await direct.query(`drop table if exists orders, payroll, quick;
    create table orders (id int primary key, total numeric not null, status text);
    insert into orders select g, g * 10, 'new' from generate_series(1, 20) g;
    create table payroll (id int primary key, name text, amount int);
    insert into payroll values (1, 'ann', 5000), (2, 'ben', 6000), (3, 'cid', 7000);
    create table quick (id int)`);
  await direct.end();

  webhookServer = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      webhookBodies.push(JSON.parse(body) as Record<string, unknown>);
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => webhookServer.listen(0, '127.0.0.1', resolve));
  const webhookUrl = `http://127.0.0.1:${(webhookServer.address() as AddressInfo).port}/hooks/sluice`;

  [design, guarded, bypass, readOnly] = await Promise.all([
    // The DESIGN.md example, exactly as written there.
    startSluice(`${listener('prod')}
plugins:
  - use: "@sluice/plugin-guardrails"
    with:
      rules:
        - { name: no-drop-in-prod, match: { environment: prod, statement: [drop, truncate] }, action: deny }
        - { name: review-ddl, match: { environment: prod, statement: [alter, create] }, action: require_approval }
        - { name: no-unbounded-delete, match: { statement: [delete, update], where: absent }, action: deny }
  - use: ${FIXTURES}/annotation-recorder.js
    with: { key: designRecords }
`),
    startSluice(`${listener('prod')}
plugins:
  - use: "@sluice/plugin-guardrails"
    with:
      presets: [protect-prod]
      rules:
        - { name: review-payroll-reads, match: { tables: [payroll] }, action: require_approval }
        - { name: quick-review, match: { tables: [quick] }, action: require_approval, timeout: 1s }
        - { name: dry-run-order-updates, match: { statement: [update], tables: [orders] }, action: log }
      approvals:
        approvers: [dba]
        timeout: 30s
        base_url: https://sluice.example.com
        webhooks:
          - { url: "${webhookUrl}", format: json }
  - use: ${FIXTURES}/annotation-recorder.js
    with: { key: guardedRecords }
`),
    // The corpus policy, then a safety net: whatever guardrails misses is denied under another name.
    startSluice(`${listener('prod')}
plugins:
  - use: "@sluice/plugin-guardrails"
    with: ${JSON.stringify(BYPASS_POLICY)}
  - use: ${FIXTURES}/deny-everything.js
    with: { allow: ${JSON.stringify(HARMLESS)} }
`),
    startSluice(`${listener('test')}
plugins:
  - use: "@sluice/plugin-guardrails"
    with: { presets: [read-only] }
`),
  ]);
});

afterAll(async () => {
  await Promise.all([design?.stop(), guarded?.stop(), bypass?.stop(), readOnly?.stop()]);
  webhookServer?.closeAllConnections();
  await new Promise((resolve) => webhookServer?.close(resolve));
});

function engine(proxy: RunningSluice): ApprovalsApi {
  const plugin = proxy.sluice.current.plugins.find((p: SluicePlugin) => p.name === 'guardrails');
  const api = plugin && approvalsOf(plugin);
  if (!api) throw new Error('the guardrails plugin has no approval engine');
  return api;
}

interface Connected {
  readonly client: pg.Client;
  readonly notices: string[];
}

async function connect(proxy: RunningSluice, user = 'alice'): Promise<Connected> {
  const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user, password: `${user}-secret-pw`, database: DATABASE });
  const notices: string[] = [];
  client.on('notice', (notice) => notices.push(notice.message ?? ''));
  await client.connect();
  return { client, notices };
}

/** Waits until the engine lists a pending approval for this SQL. */
async function pendingFor(api: ApprovalsApi, sql: string): Promise<PendingApproval> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = api.list().find((approval) => approval.sql === sql);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no pending approval for ${sql}; pending: ${JSON.stringify(api.list().map((a) => a.sql))}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function countOrders(): Promise<number> {
  const direct = new pg.Client({ ...DIRECT, database: DATABASE });
  await direct.connect();
  const { rows } = await direct.query<{ n: number }>('select count(*)::int as n from orders');
  await direct.end();
  return rows[0]!.n;
}

describe('the DESIGN.md example rules', () => {
  it('deny DROP and TRUNCATE in prod with 42501 naming the rule, and the session goes on', async () => {
    const { client } = await connect(design);
    await expect(client.query('DROP TABLE orders')).rejects.toMatchObject({ code: '42501', message: 'sluice: no-drop-in-prod: DROP is not allowed' });
    await expect(client.query('truncate orders')).rejects.toMatchObject({ code: '42501', message: 'sluice: no-drop-in-prod: TRUNCATE is not allowed' });
    const { rows } = await client.query('select count(*)::int as n from orders');
    expect(rows).toEqual([{ n: 20 }]);
    await client.end();
  });

  it('deny an unbounded DELETE or UPDATE and let a bounded one run', async () => {
    const { client } = await connect(design);
    await expect(client.query('delete from orders')).rejects.toMatchObject({ code: '42501', message: 'sluice: no-unbounded-delete: DELETE without WHERE is not allowed' });
    await expect(client.query("update orders set status = 'x'")).rejects.toMatchObject({ message: 'sluice: no-unbounded-delete: UPDATE without WHERE is not allowed' });
    const deleted = await client.query('delete from orders where id = -1');
    expect(deleted.rowCount).toBe(0);
    expect(await countOrders()).toBe(20);
    await client.end();
  });

  it('hold ALTER for approval: the client gets a NOTICE, nobody approves their own, another user approves', async () => {
    const { client, notices } = await connect(design);
    const sql = 'alter table orders add column if not exists note text';
    const running = client.query(sql);
    const api = engine(design);
    const pending = await pendingFor(api, sql);
    expect(pending).toMatchObject({ rule: 'review-ddl', requester: { name: 'alice' }, environment: 'prod', approvers: { 'review-ddl': [] } });
    expect(api.decide(pending.id, aliceWithDba, 'approve')).toMatchObject({ ok: false, code: 'self_approval' });
    expect(api.decide(pending.id, dana, 'approve')).toMatchObject({ ok: true });
    await running;
    expect(notices).toEqual([`sluice: statement held for approval ${pending.id}: ALTER needs approval (rule review-ddl; any approver; waits up to 10m)`]);
    const record = recorded('designRecords').find((r) => r.sql === sql);
    expect(record?.annotations.approval).toEqual({ id: pending.id, approver: 'dana', rule: 'review-ddl' });
    expect(design.logs.some((line) => String(line.msg).includes('rule review-ddl names no approver groups'))).toBe(true);
    await client.end();
  });
});

describe('bypass attempts through real clients', () => {
  it(`pg: all ${POSTGRES_BYPASSES.length} attempts of the PostgreSQL corpus are caught, each by the rule meant to`, async () => {
    const { client } = await connect(bypass);
    const api = engine(bypass);
    const misses: string[] = [];
    for (const attempt of POSTGRES_BYPASSES) {
      let message: string;
      if (attempt.expect === 'deny') {
        message = await client.query(attempt.sql).then(
          () => 'ran',
          (error: Error & { code?: string }) => `${error.code} ${error.message}`,
        );
      } else {
        // Held: the approver refuses it, so it never reaches the server either.
        const running = client.query(attempt.sql).then(
          () => 'ran',
          (error: Error & { code?: string }) => `${error.code} ${error.message}`,
        );
        const deadline = Date.now() + 5_000;
        while (api.list().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
        for (const pending of api.list()) api.decide(pending.id, dana, 'deny');
        message = await running;
      }
      if (!message.startsWith(`42501 sluice: ${attempt.rule}: `)) misses.push(`${attempt.trick}: ${attempt.sql} -> ${message}`);
    }
    expect(misses).toEqual([]);
    expect(await countOrders()).toBe(20);
    await client.end();
  });

  it('psql: a script mixing attempts and ordinary statements has each attempt refused and the rest run', async () => {
    const script = [
      'select count(*) from orders;',
      '/* tidy up */ DROP TABLE orders;',
      'select 1; delete from orders;',
      'explain analyze delete from orders;',
      "select pg_read_file('/etc/passwd');",
      'begin;',
      'truncate orders;',
      'rollback;',
      'select count(*) from orders;',
    ].join('\n');
    const result = await run('psql', ['-X', '-qAt', '-h', '127.0.0.1', '-p', String(guarded.port), '-U', 'alice', '-d', DATABASE], {
      input: script,
      env: { PGPASSWORD: 'alice-secret-pw', PGCONNECT_TIMEOUT: '10' },
    });
    // psql sends each statement of the script on its own: `select 1` runs, the DELETE after it does not.
    expect(result.stdout.trim().split('\n')).toEqual(['20', '1', '20']);
    const errors = result.stderr.split('\n').filter((line) => line.includes('ERROR'));
    expect(errors).toEqual([
      expect.stringContaining('sluice: protect-prod/no-drop: DROP is not allowed'),
      expect.stringContaining('sluice: protect-prod/no-unbounded-write: DELETE without WHERE is not allowed'),
      expect.stringContaining('sluice: protect-prod/no-unbounded-write: DELETE without WHERE is not allowed'),
      expect.stringContaining('sluice: protect-prod/dangerous-functions: SELECT calling pg_read_file() is not allowed'),
      expect.stringContaining('sluice: protect-prod/no-drop: TRUNCATE is not allowed'),
    ]);
  });
});

describe('protect-prod lets ordinary application SQL through', () => {
  it('reads, bounded writes, transactions, upserts and session settings all run', async () => {
    const { client } = await connect(guarded);
    await client.query("set application_name = 'billing'");
    await client.query('begin');
    await client.query('insert into orders (id, total, status) values (1000, 5, $1) on conflict (id) do update set total = excluded.total', ['new']);
    const updated = await client.query("update orders set status = 'paid' where id = 1000 returning id");
    expect(updated.rows).toEqual([{ id: 1000 }]);
    await client.query('delete from orders where id = 1000');
    await client.query('commit');
    const report = await client.query('with t as (select status, sum(total) s from orders group by status) select status, s::int from t order by status');
    expect(report.rows).toEqual([{ status: 'new', s: 2100 }]);
    await client.end();
  });

  it('denies SQL it cannot analyze in prod', async () => {
    const { client } = await connect(guarded);
    await expect(client.query('frobnicate the orders')).rejects.toMatchObject({ code: '42501', message: expect.stringMatching(/^sluice: unknown-sql: SQL that could not be analyzed \(syntax error/) });
    await client.end();
  });
});

describe('log rules', () => {
  it('let the statement run, and record what they would have denied for the audit trail and the log', async () => {
    const { client } = await connect(guarded);
    const sql = "update orders set status = 'new' where id = 3";
    const result = await client.query(sql);
    expect(result.rowCount).toBe(1);
    const record = recorded('guardedRecords').find((r) => r.sql === sql);
    expect(record?.decision.action).toBe('allow');
    expect(record?.annotations.wouldDeny).toEqual([{ rule: 'dry-run-order-updates', reason: 'UPDATE on orders would be denied' }]);
    expect(guarded.logs.some((line) => line.msg === 'guardrails: dry-run-order-updates would deny' && line.user === 'alice')).toBe(true);
    expect(guarded.logText()).not.toContain(sql);
    await client.end();
  });
});

describe('the read-only preset', () => {
  it('lets reads through and refuses every write, however it is wrapped', async () => {
    const { client } = await connect(readOnly);
    expect((await client.query('select count(*)::int as n from orders')).rows).toEqual([{ n: 20 }]);
    expect((await client.query('explain select * from orders')).rows.length).toBeGreaterThan(0);
    await client.query('begin');
    await client.query('commit');
    for (const [sql, message] of [
      ['insert into quick values (1)', 'sluice: read-only/reads-only: INSERT is not allowed'],
      ['with x as (insert into quick values (1) returning *) select * from x', 'sluice: read-only/reads-only: INSERT is not allowed'],
      ['explain analyze delete from quick', 'sluice: read-only/reads-only: DELETE is not allowed'],
      ['create table guardrails_nope (id int)', 'sluice: read-only/reads-only: CREATE is not allowed'],
      ["select nextval('x')", 'sluice: read-only/no-side-effect-functions: SELECT calling nextval() is not allowed'],
    ]) {
      await expect(client.query(sql!), sql).rejects.toMatchObject({ code: '42501', message });
    }
    await client.end();
  });
});

describe('approvals, driven through the exported engine', () => {
  it('a held SELECT waits with a NOTICE; self-approval and outsiders are refused; an approver approves and the client gets its rows', async () => {
    const { client, notices } = await connect(guarded);
    const sql = 'select id, name, amount from payroll order by id';
    const running = client.query(sql);
    const api = engine(guarded);
    const pending = await pendingFor(api, sql);
    expect(pending).toMatchObject({ rule: 'review-payroll-reads', requester: { subject: 'alice', name: 'alice', groups: ['dev'] }, listener: 'pg-prod', database: DATABASE });
    await expect.poll(() => notices).toEqual([`sluice: statement held for approval ${pending.id}: SELECT on payroll needs approval (rule review-payroll-reads; approvers: dba; waits up to 30s)`]);

    expect(api.decide(pending.id, aliceWithDba, 'approve')).toMatchObject({ ok: false, code: 'self_approval' });
    expect(api.decide(pending.id, bob, 'approve')).toMatchObject({ ok: false, code: 'not_approver' });
    expect(api.decide(pending.id, dana, 'approve')).toMatchObject({ ok: true, verdict: 'approve' });
    const { rows } = await running;
    expect(rows).toEqual([
      { id: 1, name: 'ann', amount: 5000 },
      { id: 2, name: 'ben', amount: 6000 },
      { id: 3, name: 'cid', amount: 7000 },
    ]);
    const record = recorded('guardedRecords').find((r) => r.sql === sql);
    expect(record).toMatchObject({ rows: 3, decision: { action: 'allow' }, annotations: { approval: { id: pending.id, approver: 'dana', rule: 'review-payroll-reads' } } });

    // The webhook heard the request, with the requester, the SQL, the rule and the links.
    const requested = () => webhookBodies.find((body) => body.event === 'approval.requested' && (body.approval as PendingApproval).id === pending.id);
    await expect.poll(requested).toMatchObject({
      approval: { sql, rule: 'review-payroll-reads', requester: { name: 'alice' } },
      links: {
        review: `https://sluice.example.com/console/#/approvals?id=${pending.id}`,
        approve: `https://sluice.example.com/api/approvals/${pending.id}/approve`,
        deny: `https://sluice.example.com/api/approvals/${pending.id}/deny`,
      },
    });
    await expect.poll(() => webhookBodies.some((body) => body.event === 'approval.approved' && (body.by as { name: string }).name === 'dana')).toBe(true);

    // The approval covered that statement once: running it again waits again.
    const again = client.query(sql);
    const second = await pendingFor(api, sql);
    expect(second.id).not.toBe(pending.id);
    api.decide(second.id, dana, 'deny', 'once was enough');
    await expect(again).rejects.toMatchObject({ code: '42501', message: `sluice: review-payroll-reads: approval ${second.id} was denied by dana: once was enough` });
    await client.end();
  });

  it('psql waits, prints the NOTICE, and prints the rows once approved', async () => {
    const sql = 'select name from payroll where amount > 5500 order by name';
    const psqlRun = run('psql', ['-X', '-At', '-h', '127.0.0.1', '-p', String(guarded.port), '-U', 'alice', '-d', DATABASE, '-c', sql], {
      env: { PGPASSWORD: 'alice-secret-pw', PGCONNECT_TIMEOUT: '10' },
    });
    const api = engine(guarded);
    const pending = await pendingFor(api, sql);
    expect(api.decide(pending.id, dana, 'approve').ok).toBe(true);
    const result = await psqlRun;
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual(['ben', 'cid']);
    expect(result.stderr).toContain(`NOTICE:  sluice: statement held for approval ${pending.id}`);
  });

  it('a prepared statement is held at execute, with its parameters, and runs once approved', async () => {
    const { client } = await connect(guarded);
    const sql = 'select name from payroll where id = $1';
    const running = client.query(sql, [2]);
    const api = engine(guarded);
    const pending = await pendingFor(api, sql);
    expect(pending.params).toEqual(['2']);
    api.decide(pending.id, dana, 'approve');
    expect((await running).rows).toEqual([{ name: 'ben' }]);
    const vias = recorded('guardedRecords').filter((r) => r.sql === sql).map((r) => r.via);
    expect(vias).toContain('execute');
    await client.end();
  });

  it('no decision before the timeout denies with a clear message, and the session goes on', async () => {
    const { client, notices } = await connect(guarded);
    const started = Date.now();
    const error = await client.query('select * from quick').catch((e: Error & { code?: string }) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(error).toMatchObject({ code: '42501', message: expect.stringMatching(/^sluice: quick-review: approval apr-[0-9a-f]{12} was not decided within 1s; the statement did not run$/) });
    expect(notices).toHaveLength(1);
    expect(engine(guarded).list().filter((a) => a.sql === 'select * from quick')).toEqual([]);
    expect((await client.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    await client.end();
  });

  it('a client that disconnects while waiting has its request cancelled, and the statement never runs', async () => {
    const { client } = await connect(guarded);
    client.on('error', () => undefined);
    const sql = 'update payroll set amount = amount + 1 where id = 1';
    void client.query(sql).catch(() => undefined);
    const api = engine(guarded);
    const pending = await pendingFor(api, sql);
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The session ended at once, so the request is no longer pending; approving it changes nothing.
    expect(api.decide(pending.id, dana, 'approve').ok).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const direct = new pg.Client({ ...DIRECT, database: DATABASE });
    await direct.connect();
    const { rows } = await direct.query('select amount from payroll where id = 1');
    await direct.end();
    expect(rows).toEqual([{ amount: 5000 }]);
  });

  it('never writes a password into the log', () => {
    for (const proxy of [design, guarded, bypass, readOnly]) {
      expect(proxy.logText()).not.toContain('alice-secret-pw');
      expect(proxy.logText()).not.toContain('dana-secret-pw');
    }
  });
});
