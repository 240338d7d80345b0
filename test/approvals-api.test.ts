// Held statements decided through the admin API and `sluice approvals`, by a real approver, for a real client.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startIssuer, type TestIssuer } from './helpers/oidc-provider.js';
import { CLI, run } from './helpers/processes.js';
import { postgresListener, startSluice, type RunningSluice } from './helpers/sluice.js';

// Unique per run, so two runs against one server never see each other's rows.
const LEDGER = `approvals_api_ledger_${process.pid}`;
let proxy: RunningSluice;
let issuer: TestIssuer;
let adminUrl: string;
const auditFile = join(mkdtempSync(join(tmpdir(), 'sluice-approvals-api-')), 'audit.jsonl');

interface ApprovalRecord {
  event: string;
  statement?: { sql: string };
  decision: { action: string; approval_id?: string; outcome?: string; approver?: string; rule?: string };
}
const approvalRecords = (id: string): ApprovalRecord[] =>
  readFileSync(auditFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ApprovalRecord)
    .filter((record) => record.event === 'approval' && record.decision.approval_id === id);

beforeAll(async () => {
  const direct = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await direct.connect();
  await direct.query(`drop table if exists ${LEDGER}; create table ${LEDGER} (id int primary key, amount int); insert into ${LEDGER} values (1, 100)`);
  await direct.end();
  issuer = await startIssuer();
  proxy = await startSluice(`${postgresListener()}
identity:
  oidc: { issuer: ${issuer.issuer}, audience: sluice }
  users:
    - { name: alice, password: alice-secret-pw, groups: [developers] }
    - { name: dana, password: dana-secret-pw, groups: [dba] }
    - { name: eve, password: eve-secret-pw, groups: [analyst] }
admin:
  listen: 127.0.0.1:0
plugins:
  - use: "@sluice/plugin-audit"
    with: { sinks: [ { type: file, path: ${auditFile} } ] }
  - use: "@sluice/plugin-guardrails"
    with:
      rules:
        - { name: review-ledger-writes, match: { statement: [update], tables: [${LEDGER}] }, action: require_approval, approvers: [dba] }
`);
  adminUrl = `http://127.0.0.1:${proxy.sluice.adminAddress()!.port}`;
});
afterAll(async () => {
  await proxy?.stop();
  await issuer?.close();
  const direct = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await direct.connect();
  await direct.query(`drop table if exists ${LEDGER}`);
  await direct.end();
});

const approvals = (user: string, password: string, ...args: string[]) =>
  run('node', [CLI, 'approvals', ...args, '--url', adminUrl], { env: { SLUICE_USER: user, SLUICE_PASSWORD: password } });

async function pendingId(): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const listed = await approvals('dana', 'dana-secret-pw', 'list', '--json');
    const items = JSON.parse(listed.stdout || '[]') as { id: string }[];
    if (items.length > 0) return items[0]!.id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no pending approval appeared');
}

it('holds a statement until an approver approves it with `sluice approvals`, then the client gets its answer', { timeout: 120_000 }, async () => {
  const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'alice', password: 'alice-secret-pw', database: 'postgres' });
  client.on('error', () => undefined); // the proxy may end the session at teardown
  const notices: string[] = [];
  client.on('notice', (notice) => notices.push(notice.message ?? ''));
  await client.connect();
  const held = client.query(`update ${LEDGER} set amount = amount + 1 where id = 1`);
  const id = await pendingId();
  expect(notices.join('\n')).toContain(id);
  // The request is in the audit trail while the statement still waits.
  await expect.poll(() => approvalRecords(id)).toMatchObject([
    { statement: { sql: `update ${LEDGER} set amount = amount + 1 where id = 1` }, decision: { action: 'hold', outcome: 'requested', rule: 'review-ledger-writes' } },
  ]);

  // The requester sees their request but may not approve it; someone outside the approver groups sees nothing.
  const own = await fetch(`${adminUrl}/api/approvals`, { headers: { authorization: `Basic ${Buffer.from('alice:alice-secret-pw').toString('base64')}` } });
  expect(((await own.json()) as { approvals: { can_approve: boolean }[] }).approvals).toMatchObject([{ can_approve: false }]);
  const selfApproval = await approvals('alice', 'alice-secret-pw', 'approve', id);
  expect(selfApproval.code).toBe(1);
  expect(selfApproval.stderr).toContain('403');
  const outsider = await approvals('eve', 'eve-secret-pw', 'approve', id);
  expect(outsider.code).toBe(1);
  expect(outsider.stderr).toContain('needs a member of dba');

  const listed = await approvals('dana', 'dana-secret-pw', 'list');
  expect(listed.stdout).toMatch(/review-ledger-writes\s+yes/);
  const approved = await approvals('dana', 'dana-secret-pw', 'approve', id);
  expect(approved.stderr).toBe('');
  expect(approved.stdout.trim()).toBe(`approved ${id}`);
  await expect(held).resolves.toMatchObject({ rowCount: 1 });
  expect((await client.query(`select amount from ${LEDGER} where id = 1`)).rows).toEqual([{ amount: 101 }]);
  await expect.poll(() => approvalRecords(id).map((record) => record.decision)).toMatchObject([
    { action: 'hold', outcome: 'requested' },
    { action: 'allow', outcome: 'approved', approver: 'dana' },
  ]);

  // Deciding twice is a conflict.
  expect((await approvals('dana', 'dana-secret-pw', 'deny', id)).stderr).toContain('409');
  await client.end();
});

it('denies the statement when the approver denies it over the API, with their comment', { timeout: 120_000 }, async () => {
  const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'alice', password: 'alice-secret-pw', database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  const held = client.query(`update ${LEDGER} set amount = 0 where id = 1`);
  held.catch(() => undefined); // asserted below; keeps the rejection from counting as unhandled meanwhile
  const id = await pendingId();
  const denied = await approvals('dana', 'dana-secret-pw', 'deny', id, '--comment', 'not during the audit');
  expect(denied.stdout.trim()).toBe(`denied ${id}`);
  await expect(held).rejects.toMatchObject({ code: '42501', message: expect.stringContaining('not during the audit') });
  await expect.poll(() => approvalRecords(id).map((record) => record.decision)).toMatchObject([
    { action: 'hold', outcome: 'requested' },
    { action: 'deny', outcome: 'denied', approver: 'dana' },
  ]);
  expect((await client.query(`select amount from ${LEDGER} where id = 1`)).rows).toEqual([{ amount: 101 }]);
  await client.end();
});

it('explains a missing password and an unreachable admin API', { timeout: 60_000 }, async () => {
  const noPassword = await run('node', [CLI, 'approvals', 'list', '--url', adminUrl], { env: { SLUICE_USER: 'dana', SLUICE_PASSWORD: '' } });
  expect(noPassword.code).toBe(1);
  const unreachable = await run('node', [CLI, 'approvals', 'list', '--url', 'http://127.0.0.1:1'], { env: { SLUICE_USER: 'dana', SLUICE_PASSWORD: 'x' } });
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr).toContain('cannot reach the admin API');
});

it('lets an approver sign in to `sluice approvals` with an OIDC access token ($SLUICE_TOKEN)', { timeout: 120_000 }, async () => {
  const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'alice', password: 'alice-secret-pw', database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  const held = client.query(`update ${LEDGER} set amount = amount + 1 where id = 1`);
  const id = await pendingId();
  const asToken = (token: string, ...args: string[]) => run('node', [CLI, 'approvals', ...args, '--url', adminUrl], { env: { SLUICE_TOKEN: token, SLUICE_USER: '', SLUICE_PASSWORD: '' } });
  const analyst = await asToken(await issuer.serviceToken('svc-analyst'), 'approve', id);
  expect(analyst.code).toBe(1);
  expect(analyst.stderr).toContain('needs a member of dba');
  const token = await issuer.serviceToken('svc-dba');
  const approved = await asToken(token, 'approve', id);
  expect(approved.stdout.trim()).toBe(`approved ${id}`);
  await expect(held).resolves.toMatchObject({ rowCount: 1 });
  await expect.poll(() => approvalRecords(id).map((record) => record.decision)).toMatchObject([
    { action: 'hold', outcome: 'requested' },
    { action: 'allow', outcome: 'approved', approver: 'svc-dba' },
  ]);
  expect(proxy.logText()).not.toContain(token);
  await client.end();
});
