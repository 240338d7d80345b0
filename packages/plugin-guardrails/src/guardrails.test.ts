// The plugin object on hand-made parses: decisions, annotations, holds through the engine, prepared statements.
import { assertValidPlugin, type Decision, type QueryEvent, type SluicePlugin } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { approvalsOf } from './approvals/registry.js';
import { createGuardrails } from './guardrails.js';
import type { GuardrailsInput } from './options.js';
import { analysis, identity, options, query, recordingLog, session, statement } from './testing/fixtures.js';

const DESIGN: GuardrailsInput = {
  rules: [
    { name: 'no-drop-in-prod', match: { environment: 'prod', statement: ['drop', 'truncate'] }, action: 'deny' },
    { name: 'review-ddl', match: { environment: 'prod', statement: ['alter', 'create'] }, action: 'require_approval', approvers: ['dba'], timeout: '1m' },
    { name: 'no-unbounded-delete', match: { statement: ['delete', 'update'], where: 'absent' }, action: 'deny' },
  ],
};

const dana = identity('dana', ['dba']);
const plugins: SluicePlugin[] = [];

function plugin(input: GuardrailsInput = DESIGN, now?: () => Date) {
  const log = recordingLog();
  const created = createGuardrails(options(input), { log, ...(now ? { now } : {}) });
  plugins.push(created);
  return { plugin: created, log, approvals: approvalsOf(created)! };
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(plugins.splice(0).map((p) => p.close?.()));
});

async function decide(p: SluicePlugin, s = session(), q: QueryEvent): Promise<Decision | undefined> {
  return (await p.onQuery!(s, q)) ?? undefined;
}

describe('the plugin object', () => {
  it('is a valid plugin for core, and carries its approval engine', () => {
    const { plugin: p, approvals } = plugin();
    expect(() => assertValidPlugin(p, 'test')).not.toThrow();
    expect(Object.keys(p).sort()).toEqual(['close', 'name', 'onDisconnect', 'onQuery']);
    expect(p.name).toBe('guardrails');
    expect(typeof approvals.list).toBe('function');
  });

  it('allows with no answer, denies naming the rule', async () => {
    const { plugin: p, log } = plugin();
    expect(await decide(p, session(), query('select 1', analysis(statement('select'))))).toBeUndefined();
    expect(await decide(p, session(), query('drop table t', analysis(statement('drop'))))).toEqual({ action: 'deny', rule: 'no-drop-in-prod', reason: 'DROP is not allowed' });
    expect(log.lines.map((l) => l.msg)).toContain('guardrails: statement denied by no-drop-in-prod');
    expect(log.text()).not.toContain('drop table t');
  });

  it('warns at load about rules that are probably not what was meant', () => {
    const { log } = plugin({ rules: [{ name: 'review', match: { statement: 'alter' }, action: 'require_approval' }] });
    expect(log.lines.map((l) => l.msg)).toEqual([expect.stringContaining('rule review names no approver groups')]);
  });
});

describe('judgements kept per analysis', () => {
  it('judges a shared analysis once per session, and again under the rules of a reloaded instance', async () => {
    const shared = analysis(statement('drop'));
    const s = session();
    const before = plugin({ rules: [] }).plugin;
    expect(await decide(before, s, query('drop table t', shared))).toBeUndefined();
    expect(await decide(before, s, query('drop table t', shared))).toBeUndefined();
    // After a reload the new instance gets the same session state.
    const after = plugin().plugin;
    expect(await decide(after, s, query('drop table t', shared))).toMatchObject({ action: 'deny', rule: 'no-drop-in-prod' });
  });

  it('judges again every time when a rule reads the clock', async () => {
    let now = new Date('2025-11-24T10:00:00Z');
    const { plugin: p } = plugin(
      { rules: [{ name: 'office-hours', match: { statement: ['select'], time: { days: 'mon', from: '09:00', to: '17:00' } }, action: 'deny' }] },
      () => now,
    );
    const shared = analysis(statement('select'));
    const s = session();
    expect(await decide(p, s, query('select 1', shared))).toMatchObject({ action: 'deny' });
    now = new Date('2025-11-24T20:00:00Z');
    expect(await decide(p, s, query('select 1', shared))).toBeUndefined();
  });
});

describe('log rules', () => {
  it('add to query.annotations.wouldDeny, keep what earlier plugins put there, and log the rule', async () => {
    const { plugin: p, log } = plugin({ rules: [{ name: 'dry-no-truncate', match: { statement: 'truncate' }, action: 'log' }] });
    const q = query('truncate audit_log', analysis(statement('truncate')));
    q.annotations.wouldDeny = [{ rule: 'other-plugin', reason: 'x' }];
    expect(await decide(p, session({ environment: 'dev' }), q)).toBeUndefined();
    expect(q.annotations.wouldDeny).toEqual([
      { rule: 'other-plugin', reason: 'x' },
      { rule: 'dry-no-truncate', reason: 'TRUNCATE would be denied' },
    ]);
    expect(log.lines.find((l) => l.msg === 'guardrails: dry-no-truncate would deny')?.obj).toMatchObject({ rule: 'dry-no-truncate', user: 'alice' });
  });
});

describe('holding for approval', () => {
  it('holds, and the approval lets the statement run with the approval on its annotations', async () => {
    const { plugin: p, approvals } = plugin();
    const q = query('alter table t add c int', analysis(statement('alter')));
    const decision = await decide(p, session(), q);
    expect(decision?.action).toBe('hold');
    if (decision?.action !== 'hold') return;
    expect(decision.approval.rule).toBe('review-ddl');
    expect(decision.approval.reason).toBe('ALTER needs approval (rule review-ddl; approvers: dba; waits up to 1m)');
    expect(approvals.list().map((a) => a.id)).toEqual([decision.approval.id]);
    const waiting = decision.approval.wait();
    expect(approvals.decide(decision.approval.id, dana, 'approve').ok).toBe(true);
    await expect(waiting).resolves.toEqual({ action: 'allow' });
    expect(q.annotations.approval).toEqual({ id: decision.approval.id, approver: 'dana', rule: 'review-ddl' });
    expect(q.annotations.approvalOutcome).toMatchObject({ id: decision.approval.id, rule: 'review-ddl', rules: ['review-ddl'], outcome: 'approved', by: 'dana' });
  });

  it('a denial or a timeout denies the statement, naming the rule', async () => {
    vi.useFakeTimers();
    const { plugin: p, approvals } = plugin();
    const alter = query('alter table t add c int', analysis(statement('alter')));
    const first = (await decide(p, session(), alter)) as Extract<Decision, { action: 'hold' }>;
    approvals.decide(first.approval.id, dana, 'deny');
    await expect(first.approval.wait()).resolves.toEqual({ action: 'deny', rule: 'review-ddl', reason: `approval ${first.approval.id} was denied by dana` });
    expect(alter.annotations.approval).toBeUndefined();
    expect(alter.annotations.approvalOutcome).toMatchObject({ outcome: 'denied', by: 'dana' });
    const create = query('create table u (id int)', analysis(statement('create')));
    const second = (await decide(p, session(), create)) as Extract<Decision, { action: 'hold' }>;
    const waiting = second.approval.wait();
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(waiting).resolves.toEqual({
      action: 'deny',
      rule: 'review-ddl',
      reason: `approval ${second.approval.id} was not decided within 1m; the statement did not run`,
    });
    expect(create.annotations.approvalOutcome).toMatchObject({ id: second.approval.id, outcome: 'expired' });
    expect(create.annotations.approvalOutcome).not.toHaveProperty('by');
  });

  it('the same statement again needs a new approval', async () => {
    const { plugin: p, approvals } = plugin();
    const sql = 'alter table t add c int';
    const first = (await decide(p, session(), query(sql, analysis(statement('alter'))))) as Extract<Decision, { action: 'hold' }>;
    approvals.decide(first.approval.id, dana, 'approve');
    await first.approval.wait();
    const again = await decide(p, session(), query(sql, analysis(statement('alter'))));
    expect(again?.action).toBe('hold');
  });

  it('a disconnecting client cancels its pending approvals', async () => {
    const { plugin: p, approvals } = plugin();
    const s = session();
    const held = (await decide(p, s, query('alter table t add c int', analysis(statement('alter'))))) as Extract<Decision, { action: 'hold' }>;
    const waiting = held.approval.wait();
    await p.onDisconnect!(s, { reason: 'client', durationMs: 1, statements: 1 });
    await expect(waiting).resolves.toMatchObject({ action: 'deny', reason: expect.stringContaining('the client disconnected') });
    expect(approvals.list()).toEqual([]);
  });

  it('close cancels every pending approval', async () => {
    const { plugin: p } = plugin();
    const held = (await decide(p, session(), query('alter table t add c int', analysis(statement('alter'))))) as Extract<Decision, { action: 'hold' }>;
    const waiting = held.approval.wait();
    await p.close!();
    await expect(waiting).resolves.toMatchObject({ action: 'deny' });
  });
});

describe('prepared statements', () => {
  it('are judged once at prepare; the approval is asked at execute, with the parameters, every time', async () => {
    const { plugin: p, approvals } = plugin();
    const s = session();
    const parse = vi.fn(() => analysis(statement('alter')));
    const prepare: QueryEvent = { ...query('alter table t alter c set default $1', undefined, { via: 'prepare' }), analysis: parse };
    expect(await decide(p, s, prepare)).toBeUndefined();
    const execute = (params: string[]): QueryEvent => ({ ...query(prepare.sql, undefined, { via: 'execute', params }), analysis: parse });
    const held = (await decide(p, s, execute(['7']))) as Extract<Decision, { action: 'hold' }>;
    expect(held.action).toBe('hold');
    expect(approvals.get(held.approval.id)?.params).toEqual(['7']);
    approvals.decide(held.approval.id, dana, 'approve');
    await held.approval.wait();
    const again = (await decide(p, s, execute(['7']))) as Extract<Decision, { action: 'hold' }>;
    expect(again.action).toBe('hold');
    expect(again.approval.id).not.toBe(held.approval.id);
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('a statement denied at prepare is denied there', async () => {
    const { plugin: p } = plugin();
    const decision = await decide(p, session(), query('delete from t', analysis(statement('delete', { hasWhere: false })), { via: 'prepare' }));
    expect(decision).toMatchObject({ action: 'deny', rule: 'no-unbounded-delete' });
  });

  it('an execute whose prepare was not seen is judged at execute', async () => {
    const { plugin: p } = plugin();
    const decision = await decide(p, session(), query('drop table t', analysis(statement('drop')), { via: 'execute', params: [] }));
    expect(decision).toMatchObject({ action: 'deny', rule: 'no-drop-in-prod' });
  });

  it('are judged again at execute when a rule has a time window', async () => {
    let now = new Date('2025-03-12T10:00:00Z'); // a Wednesday
    const input: GuardrailsInput = { rules: [{ name: 'no-weekend-writes', match: { statement: 'update', time: { days: 'sat-sun' } }, action: 'deny' }] };
    const { plugin: p } = plugin(input, () => now);
    const s = session();
    const parse = analysis(statement('update', { hasWhere: true }));
    expect(await decide(p, s, query('update t set a = $1 where id = $2', parse, { via: 'prepare' }))).toBeUndefined();
    now = new Date('2025-03-15T10:00:00Z'); // Saturday
    expect(await decide(p, s, query('update t set a = $1 where id = $2', parse, { via: 'execute', params: ['1', '2'] }))).toMatchObject({
      action: 'deny',
      rule: 'no-weekend-writes',
    });
  });
});
