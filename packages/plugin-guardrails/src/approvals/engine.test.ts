// The approval engine: holding, listing, who may decide, one outcome per approval, timeouts, cancellation, events.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { identity, session } from '../testing/fixtures.js';
import { ApprovalEngine, type ApprovalInput, type HoldingRule } from './engine.js';
import type { ApprovalEvent } from './types.js';

const REVIEW_DDL: HoldingRule = { name: 'review-ddl', approvers: ['dba'], timeoutMs: 60_000 };
const alice = identity('alice', ['dev'], { email: 'alice@example.com' });
const dana = identity('dana', ['dba']);
const bob = identity('bob', ['analyst']);

function input(extra: Partial<ApprovalInput> = {}): ApprovalInput {
  return {
    session: session({ identity: alice }),
    sql: 'alter table orders add column note text',
    rules: [REVIEW_DDL],
    reason: 'ALTER needs approval',
    ...extra,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('holding a statement', () => {
  it('lists it with the requester, the SQL, the parameters, the rules and the deadline', () => {
    const engine = new ApprovalEngine({ now: () => new Date('2025-03-12T10:00:00Z') });
    const held = engine.hold(input({ params: ['42', null, new Uint8Array([1, 2, 3])] }));
    expect(held.id).toMatch(/^apr-[0-9a-f]{12}$/);
    expect(engine.list()).toEqual([
      {
        id: held.id,
        rule: 'review-ddl',
        rules: ['review-ddl'],
        reason: 'ALTER needs approval',
        approvers: { 'review-ddl': ['dba'] },
        requester: { subject: 'alice', name: 'alice', email: 'alice@example.com', groups: ['dev'] },
        session: expect.stringMatching(/^s-test/),
        listener: 'pg-prod',
        environment: 'prod',
        dialect: 'postgres',
        database: 'postgres',
        sql: 'alter table orders add column note text',
        params: ['42', null, '<3 bytes>'],
        createdAt: '2025-03-12T10:00:00.000Z',
        expiresAt: '2025-03-12T10:01:00.000Z',
      },
    ]);
    expect(engine.get(held.id)?.id).toBe(held.id);
    engine.close();
  });

  it('hides literal passwords from approvers', () => {
    const engine = new ApprovalEngine();
    const held = engine.hold(input({ sql: "alter role app password 'hunter2'" }));
    expect(held.pending.sql).toBe("alter role app password '***'");
    engine.close();
  });

  it('gives every held statement its own id', () => {
    const engine = new ApprovalEngine();
    const ids = new Set(Array.from({ length: 50 }, () => engine.hold(input()).id));
    expect(ids.size).toBe(50);
    engine.close();
  });
});

describe('deciding', () => {
  it('an approver of the rule approves: the statement may run, once', async () => {
    const engine = new ApprovalEngine();
    const held = engine.hold(input());
    const result = engine.decide(held.id, dana, 'approve');
    expect(result).toMatchObject({ ok: true, verdict: 'approve', approval: { id: held.id } });
    await expect(held.outcome).resolves.toEqual({ verdict: 'approved', approver: dana });
    expect(engine.list()).toEqual([]);
    // The approval is spent: deciding it again, either way, is refused.
    expect(engine.decide(held.id, dana, 'approve')).toEqual({ ok: false, code: 'not_pending', message: `approval ${held.id} is no longer pending: it was approved` });
    expect(engine.decide(held.id, dana, 'deny')).toMatchObject({ ok: false, code: 'not_pending' });
  });

  it('an approver denies, with a comment the requester reads', async () => {
    const engine = new ApprovalEngine();
    const held = engine.hold(input());
    expect(engine.decide(held.id, dana, 'deny', 'not during the sale').ok).toBe(true);
    await expect(held.outcome).resolves.toEqual({ verdict: 'denied', approver: dana, reason: `approval ${held.id} was denied by dana: not during the sale` });
  });

  it('the requester can never approve their own statement, under any name', async () => {
    const engine = new ApprovalEngine();
    const held = engine.hold(input({ rules: [{ ...REVIEW_DDL, approvers: ['dev', 'dba'] }] }));
    expect(engine.decide(held.id, alice, 'approve')).toEqual({ ok: false, code: 'self_approval', message: `alice requested approval ${held.id} and cannot approve it` });
    const sameByEmail = identity('A. Liddell', ['dba'], { subject: 'oidc|123', email: 'ALICE@example.com', auth: 'oidc' });
    expect(engine.decide(held.id, sameByEmail, 'approve')).toMatchObject({ ok: false, code: 'self_approval' });
    const sameByName = identity('alice', ['dba'], { subject: 'oidc|456', auth: 'oidc' });
    expect(engine.decide(held.id, sameByName, 'approve')).toMatchObject({ ok: false, code: 'self_approval' });
    expect(engine.list()).toHaveLength(1);
    engine.close();
  });

  it('the requester may withdraw their own statement', async () => {
    const engine = new ApprovalEngine();
    const held = engine.hold(input());
    expect(engine.decide(held.id, alice, 'deny').ok).toBe(true);
    await expect(held.outcome).resolves.toMatchObject({ verdict: 'denied' });
  });

  it('someone outside the approver groups can neither approve nor deny', () => {
    const engine = new ApprovalEngine();
    const held = engine.hold(input());
    expect(engine.decide(held.id, bob, 'approve')).toEqual({
      ok: false,
      code: 'not_approver',
      message: `bob may not decide approval ${held.id}: rule review-ddl needs a member of dba`,
    });
    expect(engine.decide(held.id, bob, 'deny')).toMatchObject({ ok: false, code: 'not_approver' });
    expect(engine.list()).toHaveLength(1);
    engine.close();
  });

  it('with several holding rules, the approver must be allowed by each', async () => {
    const engine = new ApprovalEngine();
    const grants: HoldingRule = { name: 'review-grants', approvers: ['security'], timeoutMs: 60_000 };
    const held = engine.hold(input({ rules: [REVIEW_DDL, grants] }));
    expect(engine.decide(held.id, dana, 'approve')).toMatchObject({ ok: false, code: 'not_approver', message: expect.stringContaining('rule review-grants needs a member of security') });
    const both = identity('sam', ['dba', 'security']);
    expect(engine.decide(held.id, both, 'approve').ok).toBe(true);
    await expect(held.outcome).resolves.toMatchObject({ verdict: 'approved' });
  });

  it('a rule without approver groups lets anyone but the requester decide', async () => {
    const engine = new ApprovalEngine();
    const held = engine.hold(input({ rules: [{ ...REVIEW_DDL, approvers: [] }] }));
    expect(engine.decide(held.id, alice, 'approve')).toMatchObject({ ok: false, code: 'self_approval' });
    expect(engine.decide(held.id, bob, 'approve').ok).toBe(true);
  });

  it('an unknown id is refused', () => {
    expect(new ApprovalEngine().decide('apr-000000000000', dana, 'approve')).toEqual({ ok: false, code: 'not_found', message: 'approval apr-000000000000 does not exist' });
  });
});

describe('timeouts and cancellation', () => {
  it('no decision before the timeout denies, with a clear message', async () => {
    vi.useFakeTimers();
    const engine = new ApprovalEngine();
    const held = engine.hold(input({ rules: [{ ...REVIEW_DDL, timeoutMs: 90_000 }] }));
    await vi.advanceTimersByTimeAsync(89_999);
    expect(engine.list()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(held.outcome).resolves.toEqual({ verdict: 'expired', reason: `approval ${held.id} was not decided within 90s; the statement did not run` });
    expect(engine.list()).toEqual([]);
    expect(engine.decide(held.id, dana, 'approve')).toMatchObject({ ok: false, code: 'not_pending', message: expect.stringContaining('it expired') });
  });

  it('the shortest timeout of the holding rules applies', async () => {
    vi.useFakeTimers();
    const engine = new ApprovalEngine();
    const held = engine.hold(input({ rules: [REVIEW_DDL, { name: 'quick', approvers: ['dba'], timeoutMs: 5_000 }] }));
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(held.outcome).resolves.toMatchObject({ verdict: 'expired', reason: expect.stringContaining('within 5s') });
  });

  it('a decision stops the timer', async () => {
    vi.useFakeTimers();
    const events: ApprovalEvent[] = [];
    const engine = new ApprovalEngine({ onEvent: (event) => events.push(event) });
    const held = engine.hold(input());
    engine.decide(held.id, dana, 'approve');
    await vi.advanceTimersByTimeAsync(120_000);
    await expect(held.outcome).resolves.toMatchObject({ verdict: 'approved' });
    expect(events.map((e) => e.type)).toEqual(['requested', 'approved']);
  });

  it('cancel and close end pending approvals; nothing can be held after close', async () => {
    const engine = new ApprovalEngine();
    const first = engine.hold(input());
    const second = engine.hold(input());
    engine.cancel(first.id, 'the client disconnected');
    await expect(first.outcome).resolves.toEqual({ verdict: 'cancelled', reason: `approval ${first.id} was cancelled: the client disconnected` });
    engine.close();
    await expect(second.outcome).resolves.toMatchObject({ verdict: 'cancelled', reason: expect.stringContaining('run the statement again') });
    const late = engine.hold(input());
    await expect(late.outcome).resolves.toMatchObject({ verdict: 'cancelled' });
    expect(engine.list()).toEqual([]);
  });
});

describe('events', () => {
  it('every request and outcome is announced to subscribers, with who decided', async () => {
    vi.useFakeTimers();
    const events: ApprovalEvent[] = [];
    const engine = new ApprovalEngine();
    const unsubscribe = engine.subscribe((event) => events.push(event));
    engine.subscribe(() => {
      throw new Error('a broken listener changes nothing');
    });
    const approved = engine.hold(input());
    const denied = engine.hold(input());
    const expired = engine.hold(input());
    engine.decide(approved.id, dana, 'approve');
    engine.decide(denied.id, dana, 'deny', 'no');
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(expired.outcome).resolves.toMatchObject({ verdict: 'expired' });
    expect(events.map((e) => [e.type, e.approval.id, e.by?.name, e.reason])).toEqual([
      ['requested', approved.id, undefined, undefined],
      ['requested', denied.id, undefined, undefined],
      ['requested', expired.id, undefined, undefined],
      ['approved', approved.id, 'dana', undefined],
      ['denied', denied.id, 'dana', 'no'],
      ['expired', expired.id, undefined, `approval ${expired.id} was not decided within 1m; the statement did not run`],
    ]);
    unsubscribe();
    engine.hold(input());
    expect(events).toHaveLength(6);
    engine.close();
  });
});
