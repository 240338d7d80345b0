// The plugin hooks with a hand-made SQL parser: the records they write, fail-closed, reloads, checkpoints.
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqlParsers, type AdminRoute, type PluginContext, type QueryEvent, type ResultSummary, type Session, type SqlParser } from '@sluice/core';
import { generateKeyPair, loadPrivateKey } from './checkpoint/keys.js';
import { optionsSchema } from './options.js';
import { buildAuditPlugin, describeFailure } from './plugin.js';
import type { Sink } from './sinks/sink.js';
import type { AuditRecord } from './record/types.js';
import { verifyTrail } from './verify/verify-trail.js';

/** A hand-made parser: `select … from <table>` reads the table, `update <table> set <col>` writes it. */
const parser: SqlParser = {
  dialect: 'postgres',
  parse(sql) {
    const read = /from\s+([\w.]+)/i.exec(sql);
    const write = /update\s+([\w.]+)\s+set\s+(\w+)/i.exec(sql);
    if (/^\s*garbage/i.test(sql)) return { statements: [], error: 'syntax error at or near "garbage"' };
    const kind = write ? 'update' : 'select';
    return {
      statements: [
        {
          kind,
          kinds: [kind],
          tables: write ? [{ name: write[1]!, access: 'write' as const }] : read ? [{ name: read[1]!, access: 'read' as const }] : [],
          columns: write ? [{ table: write[1]!, name: write[2]!, access: 'write' as const }] : [],
          functions: [],
        },
      ],
    };
  },
};

let dir: string;
let registered: SqlParser[];
let parsers: SqlParsers;
let routes: AdminRoute[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-audit-plugin-'));
  registered = [];
  routes = [];
  parsers = new SqlParsers();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function context(): PluginContext {
  const noop = () => undefined;
  return {
    configDir: dir,
    log: { debug: noop, info: noop, warn: noop, error: noop },
    registerSqlParser: (p) => {
      registered.push(p);
      parsers.register(p);
    },
    registerAdminRoute: (route) => void routes.push(route),
  };
}

async function plugin(options: Record<string, unknown>) {
  const parsed = await optionsSchema['~standard'].validate(options);
  if (parsed.issues) throw new Error(JSON.stringify(parsed.issues));
  return buildAuditPlugin(parsed.value, context(), { parsers: async () => [parser] });
}

function session(state: Record<string, unknown> = {}): Session {
  return {
    id: 's-1a2b3c',
    identity: { subject: 'alice', name: 'alice', email: 'alice@example.com', groups: ['dba'], auth: 'password' },
    client: { address: '127.0.0.1', port: 50000, application: 'psql' },
    listener: 'pg-test',
    dialect: 'postgres',
    environment: 'test',
    database: 'postgres',
    upstreamUser: 'postgres',
    startedAt: new Date(),
    state,
  };
}

function query(sql: string, extra: Partial<QueryEvent> = {}): QueryEvent {
  return { sql, dialect: 'postgres', via: 'simple', annotations: {}, analysis: () => parsers.analyze('postgres', sql), ...extra };
}

const allowed: ResultSummary = { rows: 2, bytes: 120, durationMs: 1.23456, decision: { action: 'allow' } };

async function records(name = 'audit.jsonl'): Promise<AuditRecord[]> {
  const text = await readFile(join(dir, name), 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line) as AuditRecord);
}

describe('the audit plugin', () => {
  it('writes connect, query, approval and disconnect records with identity, tables, decision and masked counts', async () => {
    const { plugin: audit, trail } = await plugin({ sinks: [{ type: 'file', path: 'audit/audit.jsonl' }] });
    expect(registered).toEqual([parser]);
    const s = session();
    expect(await audit.onConnect!(s)).toBeUndefined();
    const select = query("select * from public.customers where email = 'ann@example.com'");
    expect(await audit.onQuery!(s, select)).toBeUndefined();
    select.annotations.masked = { 'public.customers.email': { type: 'email', count: 2 } };
    await audit.onResult!(s, select, allowed);
    const held = query("update public.customers set email = 'x@y.z' where id = 1");
    const hold = { id: 'ap-1', plugin: 'guardrails', rule: 'review-writes', reason: 'writes need a review' };
    await audit.onApproval!(s, held, { ...hold, stage: 'requested' });
    held.annotations.approval = { id: 'ap-1', approver: 'bob', rule: 'review-writes' };
    await audit.onApproval!(s, held, { ...hold, stage: 'decided', action: 'allow' });
    held.annotations.wouldDeny = [{ rule: 'dry-run-rule', reason: 'would deny' }];
    await audit.onResult!(s, held, { rows: 0, affected: 1, bytes: 0, durationMs: 2, decision: { action: 'allow' } });
    await audit.onResult!(s, query('drop table t'), { rows: 0, bytes: 0, durationMs: 0, decision: { action: 'deny', rule: 'no-drop', reason: 'DROP is not allowed here', plugin: 'guardrails' } });
    await audit.onResult!(s, query('garbage in'), { rows: 0, bytes: 0, durationMs: 0, error: { code: '42601', message: 'syntax error' }, decision: { action: 'allow' } });
    await audit.onDisconnect!(s, { reason: 'client', durationMs: 10, statements: 4 });
    await audit.onRefused!({ listener: 'pg-test', dialect: 'postgres', client: { address: '10.0.0.9', port: 1234 }, user: 'mallory', reason: 'password authentication failed for user "mallory"', at: new Date() });
    await trail.close();

    const all = await records('audit/audit.jsonl');
    expect(all.map((r) => r.event)).toEqual(['connect', 'query', 'approval', 'approval', 'query', 'query', 'query', 'disconnect', 'connect']);
    expect(all[0]).toMatchObject({
      seq: 1,
      session: 's-1a2b3c',
      identity: { sub: 'alice', name: 'alice', email: 'alice@example.com', groups: ['dba'], auth: 'password' },
      client: { addr: '127.0.0.1', port: 50000, application: 'psql' },
      listener: 'pg-test',
      dialect: 'postgres',
      environment: 'test',
      database: 'postgres',
      upstream_user: 'postgres',
      decision: { action: 'allow' },
    });
    expect(all[1]).toMatchObject({
      statement: { sql: "select * from public.customers where email = 'ann@example.com'", fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/), kinds: ['select'], tables: [{ name: 'public.customers', access: 'read' }] },
      decision: { action: 'allow' },
      result: { rows: 2, bytes: 120, duration_ms: 1.235 },
      masked: { 'public.customers.email': { type: 'email', count: 2 } },
    });
    expect(all[2]).toMatchObject({
      event: 'approval',
      statement: { kinds: ['update'] },
      decision: { action: 'hold', approval_id: 'ap-1', rule: 'review-writes', plugin: 'guardrails', reason: 'writes need a review', outcome: 'requested' },
    });
    expect(all[3]).toMatchObject({ event: 'approval', decision: { action: 'allow', approver: 'bob', approval_id: 'ap-1', rule: 'review-writes', outcome: 'approved' } });
    expect(all[4]).toMatchObject({
      statement: { kinds: ['update'], columns: [{ table: 'public.customers', name: 'email', access: 'write' }] },
      decision: { action: 'allow', approver: 'bob', rule: 'review-writes', would_deny: [{ rule: 'dry-run-rule', reason: 'would deny' }] },
      result: { affected: 1 },
    });
    expect(all[5]).toMatchObject({ decision: { action: 'deny', rule: 'no-drop', reason: 'DROP is not allowed here', plugin: 'guardrails' } });
    expect(all[6]).toMatchObject({ statement: { kinds: ['unknown'], parse_error: 'syntax error at or near "garbage"' }, result: { error: { code: '42601' } } });
    expect(all[7]).toMatchObject({ event: 'disconnect', result: { reason: 'client', statements: 4, duration_ms: 10 } });
    expect(all[8]).toMatchObject({ event: 'connect', identity: { claimed: 'mallory' }, client: { addr: '10.0.0.9' }, decision: { action: 'deny' } });
    expect(all[8]).not.toHaveProperty('session');
    expect(verifyTrail([{ name: 'audit.jsonl', text: await readFile(join(dir, 'audit/audit.jsonl'), 'utf8') }]).ok).toBe(true);
  });

  it('records an approval that was refused, from the outcome the guardrails plugin leaves', async () => {
    const { plugin: audit, trail } = await plugin({ sinks: [{ type: 'file', path: 'audit.jsonl' }] });
    const held = query('alter table t add column c int');
    held.annotations.approvalOutcome = { id: 'ap-2', rule: 'review-ddl', rules: ['review-ddl'], outcome: 'denied', by: 'dana', requestedAt: 'x', decidedAt: 'y' };
    await audit.onApproval!(session(), held, { id: 'ap-2', plugin: 'guardrails', rule: 'review-ddl', stage: 'decided', action: 'deny', reason: 'refused by dana' });
    await audit.onResult!(session(), held, { rows: 0, bytes: 0, durationMs: 5, decision: { action: 'deny', rule: 'review-ddl', reason: 'refused by dana', plugin: 'guardrails' } });
    await trail.close();
    expect((await records()).map((r) => [r.event, r.decision])).toEqual([
      ['approval', { action: 'deny', rule: 'review-ddl', plugin: 'guardrails', approval_id: 'ap-2', reason: 'refused by dana', approver: 'dana', outcome: 'denied' }],
      ['query', { action: 'deny', rule: 'review-ddl', reason: 'refused by dana', plugin: 'guardrails', approver: 'dana', approval_id: 'ap-2' }],
    ]);
  });

  it('never records a password or a token, and redacts literals when asked', async () => {
    const { plugin: audit, trail } = await plugin({ sinks: [{ type: 'file', path: 'audit.jsonl' }], redact_literals: true });
    const s = session();
    await audit.onResult!(s, query("alter role app password 'hunter2-secret'"), allowed);
    await audit.onResult!(s, query("select * from customers where email = 'ann@example.com'"), { ...allowed, error: { message: 'invalid input syntax for type integer: "ann@example.com"' } });
    await audit.onResult!(s, query('select $1, $2', { params: ['ann', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.sig'] }), allowed);
    await trail.close();
    const text = await readFile(join(dir, 'audit.jsonl'), 'utf8');
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toContain('ann@example.com');
    expect(text).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    const all = await records();
    expect(all[1]!.statement!.sql).toBe('select * from customers where email = ?');
    expect(all[2]!.statement!.params).toEqual(['[redacted]', '[redacted]']);
  });

  it('records secret-looking parameters as redacted and keeps the others', async () => {
    const { plugin: audit, trail } = await plugin({ sinks: [{ type: 'file', path: 'audit.jsonl' }] });
    await audit.onResult!(session(), query('update users set password = $2 where name = $1', { params: ['ann', 'plain-password'], via: 'execute' }), allowed);
    await trail.close();
    expect((await records())[0]!.statement).toMatchObject({ params: ['ann', '[redacted]'], via: 'execute' });
  });

  it('refuses connections and statements while a block sink cannot write, and not for a buffer sink', async () => {
    await writeFile(join(dir, 'blocked'), 'a file where a directory should be');
    const blocking = await plugin({ sinks: [{ type: 'file', path: 'blocked/audit.jsonl', retry: { initial: '10s' } }] });
    // The file is opened at the first record: that connection's record is what finds the failure.
    expect(await blocking.plugin.onConnect!(session())).toBeUndefined();
    for (let i = 0; i < 50 && blocking.trail.blockingFailure() === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const verdict = await blocking.plugin.onConnect!(session());
    expect(verdict).toMatchObject({ action: 'deny', rule: 'audit', reason: expect.stringMatching(/^the audit trail cannot be written \(file sink: EEXIST: file already exists\); statements are refused until it recovers$/) });
    expect(await blocking.plugin.onQuery!(session(), query('select 1'))).toMatchObject({ action: 'deny', rule: 'audit' });
    await blocking.trail.close();

    const buffering = await plugin({ sinks: [{ type: 'file', path: 'blocked/other.jsonl', on_failure: 'buffer' }] });
    expect(await buffering.plugin.onConnect!(session())).toBeUndefined();
    for (let i = 0; i < 50 && buffering.trail.status()[0]!.ok; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await buffering.plugin.onConnect!(session())).toBeUndefined();
    expect(await buffering.plugin.onQuery!(session(), query('select 1'))).toBeUndefined();
    const status = await routes.findLast((route) => route.path === '/api/audit/sinks')!.handle({ identity: session().identity, params: {}, query: new URLSearchParams(), body: undefined });
    expect(status).toMatchObject({ status: 200, body: { sinks: [{ kind: 'file', on_failure: 'buffer', ok: false, error: expect.stringMatching(/EEXIST/), pending: 2 }] } });
    await buffering.trail.close();
  });

  it('writes a connect record for a session another plugin refused before this one saw it', async () => {
    const { plugin: audit, trail } = await plugin({ sinks: [{ type: 'file', path: 'audit.jsonl' }] });
    await audit.onDisconnect!(session(), { reason: 'denied', error: 'outside allowed hours', durationMs: 1, statements: 0 });
    await trail.close();
    expect((await records()).map((r) => [r.event, r.decision?.action, r.decision?.reason ?? r.result?.reason])).toEqual([
      ['connect', 'deny', 'outside allowed hours'],
      ['disconnect', undefined, 'denied'],
    ]);
  });

  it('signs checkpoints, continues one chain across a reload, and seals it when the last instance closes', async () => {
    const { privatePem, publicPem } = generateKeyPair();
    await writeFile(join(dir, 'audit.key'), privatePem);
    const options = { sinks: [{ type: 'file', path: 'audit.jsonl' }], checkpoints: { private_key_file: 'audit.key', every_records: 3 } };
    const before = await plugin(options);
    for (let i = 0; i < 4; i++) await before.plugin.onResult!(session(), query(`select ${i}`), allowed);
    const after = await plugin(options);
    await before.trail.close();
    for (let i = 0; i < 4; i++) await after.plugin.onResult!(session(), query(`select ${i}`), allowed);
    await after.trail.close();

    const all = await records();
    expect(all.map((r) => r.seq)).toEqual([...Array(all.length).keys()].map((i) => i + 1));
    expect(all.filter((r) => r.event === 'checkpoint').map((r) => r.checkpoint!.reason)).toEqual(['records', 'records', 'close']);
    const report = verifyTrail([{ name: 'audit.jsonl', text: await readFile(join(dir, 'audit.jsonl'), 'utf8') }], { publicKey: createPublicKey(publicPem), requireSeal: true });
    expect(report).toMatchObject({ ok: true, sealed: true, checkpoints: 3 });
    expect(await readFile(join(dir, 'audit.jsonl'), 'utf8')).not.toContain('PRIVATE KEY');
  });

  it('writes a checkpoint after the interval when fewer records came', async () => {
    const { privatePem } = generateKeyPair();
    const { plugin: audit, trail } = await plugin({ sinks: [{ type: 'file', path: 'audit.jsonl' }], checkpoints: { private_key: privatePem, every: '50ms' } });
    await audit.onResult!(session(), query('select 1'), allowed);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(trail.sinks[0]!.stats().written + trail.sinks[0]!.stats().pending).toBe(2);
    await trail.close();
    expect((await records()).map((r) => r.checkpoint?.reason)).toEqual([undefined, 'interval', 'close']);
    expect(loadPrivateKey(privatePem).asymmetricKeyType).toBe('ed25519');
  });

  it('refuses options that cannot work, with the plugin name', async () => {
    const bad = await optionsSchema['~standard'].validate({ sinks: [] });
    expect(bad.issues?.[0]?.message).toMatch(/at least one sink/);
    const unknown = await optionsSchema['~standard'].validate({ sinks: [{ type: 'kafka' }] });
    expect(unknown.issues).toBeDefined();
    await expect(plugin({ sinks: [{ type: 'file', path: 'a.jsonl' }, { type: 'file', path: './a.jsonl' }] })).rejects.toThrow(/^audit: sinks\[1\] writes to the same place/);
    await expect(plugin({ sinks: [{ type: 'file', path: 'a.jsonl' }], checkpoints: { private_key: 'not a key' } })).rejects.toThrow(/^audit: .*not a PEM private key/);
  });
});

describe('describeFailure', () => {
  const sink = { kind: 'webhook' } as Sink;
  it('keeps the error and drops paths and addresses', () => {
    expect(describeFailure(sink, 'POST failed: connect ECONNREFUSED 127.0.0.1:9999')).toBe('webhook sink: POST failed: connect ECONNREFUSED');
    expect(describeFailure(sink, "ENOSPC: no space left on device, open '/var/log/audit.jsonl'")).toBe('webhook sink: ENOSPC: no space left on device');
    expect(describeFailure(sink, 'the file is being written by another process (pid 42; its lock is /a/b.lock)')).toBe('webhook sink: the file is being written by another process (pid 42)');
  });
});
