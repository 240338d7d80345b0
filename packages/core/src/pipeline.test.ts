// Tests for the hook pipeline: plugin validation, each hook runner, row patching and per-plugin session views.
import { describe, expect, it, vi } from 'vitest';
import { ErrorCodes, SluiceError } from './errors.js';
import { assertValidPlugin, Pipeline, SessionViews } from './pipeline.js';
import type { ApprovalRequest, Decision, QueryEvent, ResultSetInfo, Row, Session, SluicePlugin } from './plugin.js';

function makeSession(): Session {
  return {
    id: 's-test01',
    identity: { subject: 'alice', name: 'Alice', email: 'alice@example.com', groups: ['dba'], auth: 'password' },
    client: { address: '127.0.0.1', port: 50_000, application: 'psql' },
    listener: 'pg-test',
    dialect: 'postgres',
    environment: 'test',
    database: 'postgres',
    startedAt: new Date(0),
    state: {},
  };
}

function makeQuery(sql = 'SELECT 1'): QueryEvent {
  return { sql, dialect: 'postgres', via: 'simple', analysis: () => undefined, annotations: {} };
}

const INFO: ResultSetInfo = {
  index: 0,
  columns: [
    { name: 'id', type: 'int4' },
    { name: 'email', type: 'text' },
    { name: 'phone', type: 'text' },
  ],
};

function setup(...plugins: SluicePlugin[]) {
  const log = { warn: vi.fn(), error: vi.fn() };
  const session = makeSession();
  return { pipeline: new Pipeline(plugins, log), log, session, views: new SessionViews(session) };
}

/** An approval whose decision the test gives when it wants. */
function pendingApproval(id = 'ap-1') {
  let decide!: (decision: Exclude<Decision, { action: 'hold' }>) => void;
  let fail!: (error: unknown) => void;
  const decided = new Promise<Exclude<Decision, { action: 'hold' }>>((resolve, reject) => {
    decide = resolve;
    fail = reject;
  });
  const request: ApprovalRequest = { id, reason: 'production writes need approval', rule: 'prod-writes', wait: () => decided };
  return { request, decide, fail };
}

/** A plugin that wants every column and applies `onRow`. */
const rowPlugin = (name: string, onRow: NonNullable<SluicePlugin['onRow']>): SluicePlugin => ({
  name,
  onResultSet: () => ({ columns: 'all' }),
  onRow,
});

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('plugin validation at registration', () => {
  it('accepts a plugin with every hook', () => {
    const plugin: SluicePlugin = {
      name: 'full',
      onConnect: () => undefined,
      onQuery: async () => undefined,
      onResultSet: () => undefined,
      onRow: () => undefined,
      onResult: () => undefined,
      onDisconnect: async () => undefined,
      onRefused: () => undefined,
      close: async () => undefined,
    };
    expect(() => assertValidPlugin(plugin, 'test')).not.toThrow();
    expect(() => new Pipeline([plugin], { warn: vi.fn(), error: vi.fn() })).not.toThrow();
  });

  it.each([
    ['null', null, 'is not an object'],
    ['a string', 'plugin', 'is not an object'],
    ['a function', () => ({}), 'is not an object'],
    ['no name', { onQuery: () => undefined }, 'has no name'],
    ['an empty name', { name: '' }, 'has no name'],
    ['a non-string name', { name: 42 }, 'has no name'],
    ['an unknown hook', { name: 'typo', onQeury: () => undefined }, '(typo) has an unknown hook "onQeury"'],
    ['a non-function hook', { name: 'bad', onQuery: 'deny' }, '(bad) onQuery is not a function'],
    ['an async onRow', { name: 'slow', onRow: async () => undefined }, '(slow) onRow must be synchronous'],
  ])('refuses %s with a PLUGIN_INVALID error naming the source', (_label, plugin, why) => {
    let thrown: unknown;
    try {
      assertValidPlugin(plugin, './plugins/x.js');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SluiceError);
    expect((thrown as SluiceError).code).toBe(ErrorCodes.PLUGIN_INVALID);
    expect((thrown as SluiceError).message).toBe(`plugin from ./plugins/x.js ${why}`);
  });

  it('refuses invalid plugins when the pipeline is built, not when a hook first runs', () => {
    const log = { warn: vi.fn(), error: vi.fn() };
    expect(() => new Pipeline([{ name: 'ok' }, { name: 'slow', onRow: async () => undefined } as unknown as SluicePlugin], log)).toThrow(
      'onRow must be synchronous',
    );
  });

  it('refuses two plugins with the same name', () => {
    const log = { warn: vi.fn(), error: vi.fn() };
    const build = () => new Pipeline([{ name: 'masking' }, { name: 'audit' }, { name: 'masking' }], log);
    expect(build).toThrow(SluiceError);
    expect(build).toThrow('two plugins are named masking');
  });

  it('accepts a hook explicitly set to undefined, as the SluicePlugin type allows', () => {
    const plugin: SluicePlugin = { name: 'conditional', onRow: undefined, onQuery: undefined };
    expect(() => assertValidPlugin(plugin, 'test')).not.toThrow();
  });
});

describe('onConnect', () => {
  it('runs plugins in config order and allows when none denies', async () => {
    const order: string[] = [];
    const { pipeline, views } = setup(
      { name: 'a', onConnect: () => void order.push('a') },
      { name: 'b' },
      { name: 'c', onConnect: async () => (order.push('c'), { action: 'allow' }) },
    );
    expect(await pipeline.connect(views)).toEqual({ action: 'allow' });
    expect(order).toEqual(['a', 'c']);
  });

  it('runs plugins one after another, each awaited before the next starts', async () => {
    const order: string[] = [];
    const { pipeline, views } = setup(
      { name: 'slow', onConnect: async () => { order.push('slow start'); await flush(); order.push('slow end'); } },
      { name: 'next', onConnect: () => void order.push('next') },
    );
    await pipeline.connect(views);
    expect(order).toEqual(['slow start', 'slow end', 'next']);
  });

  it('stops at the first deny and names the plugin', async () => {
    const later = vi.fn();
    const { pipeline, views } = setup(
      { name: 'hours', onConnect: () => ({ action: 'deny', reason: 'outside working hours', rule: 'office-hours' }) },
      { name: 'later', onConnect: later },
    );
    expect(await pipeline.connect(views)).toStrictEqual({
      action: 'deny',
      reason: 'outside working hours',
      rule: 'office-hours',
      plugin: 'hours',
    });
    expect(later).not.toHaveBeenCalled();
  });

  it('leaves `rule` out of a deny that has none', async () => {
    const { pipeline, views } = setup({ name: 'd', onConnect: () => ({ action: 'deny', reason: 'no' }) });
    expect(await pipeline.connect(views)).toStrictEqual({ action: 'deny', reason: 'no', plugin: 'd' });
  });

  it('denies a connection a plugin tries to hold', async () => {
    const { request } = pendingApproval();
    const { pipeline, views } = setup({ name: 'holder', onConnect: () => ({ action: 'hold', approval: request }) });
    expect(await pipeline.connect(views)).toEqual({ action: 'deny', reason: 'connections cannot be held for approval', plugin: 'holder' });
  });

  it.each([
    ['throws', () => { throw new Error('identity backend down'); }],
    ['rejects', async () => { throw new Error('identity backend down'); }],
  ])('denies when a plugin %s, stops the chain, and logs the error with plugin and hook', async (_label, onConnect) => {
    const later = vi.fn();
    const { pipeline, views, log } = setup({ name: 'broken', onConnect }, { name: 'later', onConnect: later });
    expect(await pipeline.connect(views)).toEqual({ action: 'deny', reason: 'plugin broken failed', plugin: 'broken' });
    expect(later).not.toHaveBeenCalled();
    expect(log.error).toHaveBeenCalledTimes(1);
    const [fields, message] = log.error.mock.calls[0]!;
    expect(fields).toMatchObject({ plugin: 'broken', hook: 'onConnect' });
    expect(fields.err).toBeInstanceOf(SluiceError);
    expect(fields.err).toMatchObject({ code: ErrorCodes.PLUGIN_HOOK, plugin: 'broken', hook: 'onConnect' });
    expect(message).toBe('plugin broken failed in onConnect: identity backend down');
  });
});

describe('onQuery', () => {
  it('runs plugins in config order with the session view and the query', async () => {
    const seen: [string, string][] = [];
    const query = makeQuery('SELECT * FROM t');
    const { pipeline, views } = setup(
      { name: 'first', onQuery: (_s, q) => void seen.push(['first', q.sql]) },
      { name: 'second', onQuery: async (_s, q) => void seen.push(['second', q.sql]) },
    );
    expect(await pipeline.query(views, query)).toEqual({ action: 'allow' });
    expect(seen).toEqual([['first', 'SELECT * FROM t'], ['second', 'SELECT * FROM t']]);
  });

  it('treats undefined and an explicit allow alike: the chain goes on', async () => {
    const last = vi.fn();
    const { pipeline, views } = setup(
      { name: 'silent', onQuery: () => undefined },
      { name: 'explicit', onQuery: () => ({ action: 'allow' }) },
      { name: 'last', onQuery: last },
    );
    expect(await pipeline.query(views, makeQuery())).toEqual({ action: 'allow' });
    expect(last).toHaveBeenCalledTimes(1);
  });

  it('stops at a deny: later plugins do not see the statement', async () => {
    const later = vi.fn();
    const { pipeline, views } = setup(
      { name: 'guard', onQuery: async () => ({ action: 'deny', reason: 'DROP is not allowed', rule: 'no-drop' }) },
      { name: 'later', onQuery: later },
    );
    expect(await pipeline.query(views, makeQuery('DROP TABLE t'))).toStrictEqual({
      action: 'deny',
      reason: 'DROP is not allowed',
      rule: 'no-drop',
      plugin: 'guard',
    });
    expect(later).not.toHaveBeenCalled();
  });

  it('tells the driver about a hold before waiting, then runs later plugins once approved', async () => {
    const approval = pendingApproval('ap-7');
    const events: string[] = [];
    const onHold = vi.fn((request: ApprovalRequest, plugin: string) => void events.push(`hold ${request.id} by ${plugin}`));
    const { pipeline, views } = setup(
      { name: 'approvals', onQuery: () => ({ action: 'hold', approval: approval.request }) },
      { name: 'later', onQuery: () => void events.push('later') },
    );
    const verdict = pipeline.query(views, makeQuery('DELETE FROM orders'), { onHold });
    await flush();
    expect(onHold).toHaveBeenCalledWith(approval.request, 'approvals');
    expect(events).toEqual(['hold ap-7 by approvals']);
    approval.decide({ action: 'allow' });
    expect(await verdict).toEqual({ action: 'allow' });
    expect(events).toEqual(['hold ap-7 by approvals', 'later']);
  });

  it('denies a held statement whose approval is refused, naming the holding plugin', async () => {
    const approval = pendingApproval();
    const later = vi.fn();
    const { pipeline, views } = setup(
      { name: 'approvals', onQuery: () => ({ action: 'hold', approval: approval.request }) },
      { name: 'later', onQuery: later },
    );
    const verdict = pipeline.query(views, makeQuery());
    approval.decide({ action: 'deny', reason: 'refused by bob', rule: 'prod-writes' });
    expect(await verdict).toStrictEqual({ action: 'deny', reason: 'refused by bob', rule: 'prod-writes', plugin: 'approvals' });
    expect(later).not.toHaveBeenCalled();
  });

  it('lets every plugin observe a hold when it is requested and when it is decided', async () => {
    const approval = pendingApproval('ap-9');
    const seen: unknown[] = [];
    const observer = (name: string): SluicePlugin => ({ name, onApproval: (_session, query, event) => void seen.push([name, query.sql, event]) });
    const { pipeline, views } = setup(observer('audit'), { name: 'approvals', onQuery: () => ({ action: 'hold', approval: approval.request }) }, observer('after'));
    const verdict = pipeline.query(views, makeQuery('DELETE FROM orders'));
    await flush();
    const requested = { id: 'ap-9', stage: 'requested', plugin: 'approvals', rule: 'prod-writes', reason: 'production writes need approval' };
    expect(seen).toEqual([['audit', 'DELETE FROM orders', requested], ['after', 'DELETE FROM orders', requested]]);
    approval.decide({ action: 'deny', reason: 'refused by bob', rule: 'prod-writes' });
    await verdict;
    const decided = { id: 'ap-9', stage: 'decided', plugin: 'approvals', rule: 'prod-writes', reason: 'refused by bob', action: 'deny' };
    expect(seen.slice(2)).toEqual([['audit', 'DELETE FROM orders', decided], ['after', 'DELETE FROM orders', decided]]);
  });

  it('denies when the approval wait itself fails', async () => {
    const approval = pendingApproval();
    const { pipeline, views, log } = setup({ name: 'approvals', onQuery: () => ({ action: 'hold', approval: approval.request }) });
    const verdict = pipeline.query(views, makeQuery());
    approval.fail(new Error('approval store unreachable'));
    expect(await verdict).toEqual({ action: 'deny', reason: 'plugin approvals failed', plugin: 'approvals' });
    expect(log.error.mock.calls[0]![0]).toMatchObject({ plugin: 'approvals', hook: 'onQuery' });
  });

  it.each([
    ['throws', () => { throw new TypeError('cannot read properties of undefined'); }],
    ['rejects', () => Promise.reject(new TypeError('cannot read properties of undefined'))],
  ])('denies with "plugin X failed" when a plugin %s, and logs plugin and hook', async (_label, onQuery) => {
    const later = vi.fn();
    const { pipeline, views, log } = setup({ name: 'flaky', onQuery }, { name: 'later', onQuery: later });
    expect(await pipeline.query(views, makeQuery())).toEqual({ action: 'deny', reason: 'plugin flaky failed', plugin: 'flaky' });
    expect(later).not.toHaveBeenCalled();
    const [fields, message] = log.error.mock.calls[0]!;
    expect(fields).toMatchObject({ plugin: 'flaky', hook: 'onQuery', err: { code: ErrorCodes.PLUGIN_HOOK } });
    expect(message).toBe('plugin flaky failed in onQuery: cannot read properties of undefined');
  });

  it('lets a plugin annotate the query for the plugins after it', async () => {
    let seen: unknown;
    const { pipeline, views } = setup(
      { name: 'guard', onQuery: (_s, q) => void (q.annotations.wouldDeny = [{ rule: 'r', reason: 'dry run' }]) },
      { name: 'audit', onQuery: (_s, q) => void (seen = q.annotations.wouldDeny) },
    );
    await pipeline.query(views, makeQuery());
    expect(seen).toEqual([{ rule: 'r', reason: 'dry run' }]);
  });
});

describe('judge: onQuery without a promise when no hook needs one', () => {
  it('answers synchronously when every hook does', () => {
    const calls: string[] = [];
    const { pipeline, views } = setup(
      { name: 'a', onQuery: () => void calls.push('a') },
      { name: 'b', onQuery: () => (calls.push('b'), { action: 'allow' }) },
    );
    expect(pipeline.judge(views, makeQuery())).toEqual({ action: 'allow' });
    expect(calls).toEqual(['a', 'b']);
  });

  it('denies synchronously, naming the plugin; a throw denies too', () => {
    const later = vi.fn();
    const denying = setup({ name: 'guard', onQuery: () => ({ action: 'deny', reason: 'no', rule: 'r1' }) }, { name: 'later', onQuery: later });
    expect(denying.pipeline.judge(denying.views, makeQuery())).toEqual({ action: 'deny', reason: 'no', rule: 'r1', plugin: 'guard' });
    expect(later).not.toHaveBeenCalled();
    const throwing = setup({ name: 'flaky', onQuery: () => { throw new Error('boom'); } });
    expect(throwing.pipeline.judge(throwing.views, makeQuery())).toEqual({ action: 'deny', reason: 'plugin flaky failed', plugin: 'flaky' });
  });

  it('switches to a promise at the first async hook and keeps the order of the rest', async () => {
    const calls: string[] = [];
    const { pipeline, views } = setup(
      { name: 'sync', onQuery: () => void calls.push('sync') },
      { name: 'async', onQuery: async () => void calls.push('async') },
      { name: 'after', onQuery: () => ({ action: 'deny', reason: `after ${calls.push('after')}` }) },
    );
    const verdict = pipeline.judge(views, makeQuery());
    expect(verdict).toBeInstanceOf(Promise);
    expect(calls).toEqual(['sync', 'async']);
    expect(await verdict).toEqual({ action: 'deny', reason: 'after 3', plugin: 'after' });
  });

  it('denies when an async hook rejects', async () => {
    const { pipeline, views } = setup({ name: 'flaky', onQuery: async () => { throw new Error('later'); } });
    expect(await pipeline.judge(views, makeQuery())).toEqual({ action: 'deny', reason: 'plugin flaky failed', plugin: 'flaky' });
  });

  it('waits for a synchronous hold, then runs the later hooks', async () => {
    const { request, decide } = pendingApproval();
    const later = vi.fn();
    const onHold = vi.fn();
    const { pipeline, views } = setup({ name: 'holder', onQuery: () => ({ action: 'hold', approval: request }) }, { name: 'later', onQuery: later });
    const verdict = pipeline.judge(views, makeQuery(), { onHold });
    expect(verdict).toBeInstanceOf(Promise);
    await flush();
    expect(onHold).toHaveBeenCalledWith(request, 'holder');
    expect(later).not.toHaveBeenCalled();
    decide({ action: 'allow' });
    expect(await verdict).toEqual({ action: 'allow' });
    expect(later).toHaveBeenCalledTimes(1);
  });
});

describe('onResultSet', () => {
  it('asks for no rows when no plugin has onResultSet', () => {
    const { pipeline, views } = setup({ name: 'a', onQuery: () => undefined, onRow: () => undefined });
    expect(pipeline.wantsRows).toBe(false);
    expect(pipeline.resultSet(views, makeQuery(), INFO)).toBeUndefined();
  });

  it('asks for no rows when every plugin declines', () => {
    const { pipeline, views } = setup({ name: 'a', onResultSet: () => undefined, onRow: vi.fn() });
    expect(pipeline.wantsRows).toBe(true);
    expect(pipeline.resultSet(views, makeQuery(), INFO)).toBeUndefined();
  });

  it('passes the session view, the query and the result set info', () => {
    const onResultSet = vi.fn(() => undefined);
    const plugin: SluicePlugin = { name: 'a', onResultSet };
    const { pipeline, views } = setup(plugin);
    const query = makeQuery();
    pipeline.resultSet(views, query, INFO);
    expect(onResultSet).toHaveBeenCalledWith(views.for(plugin), query, INFO);
  });

  it('decodes the sorted union of the columns the plugins asked for', () => {
    const { pipeline, views } = setup(
      { name: 'a', onResultSet: () => ({ columns: [2, 0] }), onRow: () => undefined },
      { name: 'b', onResultSet: () => ({ columns: [0, 1] }), onRow: () => undefined },
    );
    expect(pipeline.resultSet(views, makeQuery(), INFO)?.columns).toEqual([0, 1, 2]);
  });

  it("decodes every column when any plugin asks for 'all'", () => {
    const { pipeline, views } = setup(
      { name: 'a', onResultSet: () => ({ columns: [1] }), onRow: () => undefined },
      { name: 'b', onResultSet: () => ({ columns: 'all' }), onRow: () => undefined },
      { name: 'c', onResultSet: () => ({ columns: [2] }), onRow: () => undefined },
    );
    expect(pipeline.resultSet(views, makeQuery(), INFO)?.columns).toBe('all');
  });

  it('runs onRow only for the plugins that showed interest', () => {
    const interested = vi.fn(() => undefined);
    const uninterested = vi.fn(() => undefined);
    const { pipeline, views } = setup(
      { name: 'uninterested', onResultSet: () => undefined, onRow: uninterested },
      { name: 'interested', onResultSet: () => ({ columns: [1] }), onRow: interested },
      { name: 'no-hook', onRow: uninterested },
    );
    const filter = pipeline.resultSet(views, makeQuery(), INFO)!;
    filter.apply({ values: [undefined, 'a@example.com', undefined] });
    expect(interested).toHaveBeenCalledTimes(1);
    expect(uninterested).not.toHaveBeenCalled();
  });

  it('asks for no rows when the interested plugins have no onRow', () => {
    const { pipeline, views } = setup({ name: 'counter', onResultSet: () => ({ columns: 'all' }) });
    expect(pipeline.resultSet(views, makeQuery(), INFO)).toBeUndefined();
  });

  it('reports a throwing onResultSet as a SluiceError naming plugin and hook, never a raw error', () => {
    const { pipeline, views } = setup({ name: 'masking', onResultSet: () => { throw new Error('bad rule'); }, onRow: () => undefined });
    let thrown: unknown;
    try {
      const filter = pipeline.resultSet(views, makeQuery(), INFO);
      filter?.apply({ values: ['1', 'a@example.com', '555'] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SluiceError);
    expect(thrown).toMatchObject({ code: ErrorCodes.PLUGIN_HOOK, plugin: 'masking', hook: 'onResultSet' });
  });
});

describe('onRow', () => {
  const row: Row = { values: ['1', 'alice@example.com', '+1 555 0100'] };

  it('returns undefined when no plugin changes the row', () => {
    const { pipeline, views } = setup(rowPlugin('a', () => undefined), rowPlugin('b', () => undefined));
    expect(pipeline.resultSet(views, makeQuery(), INFO)!.apply(row)).toBeUndefined();
  });

  it('chains plugins: each sees the row as the ones before it left it', () => {
    const seenBySecond: (readonly (string | null | undefined)[])[] = [];
    const { pipeline, views } = setup(
      rowPlugin('email', () => [undefined, 'a***@example.com']),
      rowPlugin('phone', (_s, current) => {
        seenBySecond.push(current.values);
        return [undefined, undefined, null];
      }),
    );
    const patch = pipeline.resultSet(views, makeQuery(), INFO)!.apply(row);
    expect(seenBySecond).toEqual([['1', 'a***@example.com', '+1 555 0100']]);
    expect(patch).toEqual([undefined, 'a***@example.com', null]);
  });

  it('lets a later plugin replace what an earlier one wrote, and keeps values its undefined entries skip', () => {
    const { pipeline, views } = setup(
      rowPlugin('first', () => ['x', 'first']),
      rowPlugin('second', () => [undefined, 'second']),
    );
    expect(pipeline.resultSet(views, makeQuery(), INFO)!.apply(row)).toEqual(['x', 'second', undefined]);
  });

  it('keeps the row when a plugin returns undefined between two that change it', () => {
    const third = vi.fn(() => undefined);
    const { pipeline, views } = setup(
      rowPlugin('first', () => [undefined, undefined, 'masked']),
      rowPlugin('second', () => undefined),
      rowPlugin('third', (_s, current) => (third(), current.values[2] === 'masked' ? undefined : ['wrong'])),
    );
    expect(pipeline.resultSet(views, makeQuery(), INFO)!.apply(row)).toEqual([undefined, undefined, 'masked']);
    expect(third).toHaveBeenCalledTimes(1);
  });

  it('returns a patch with only the changed positions set, and never modifies the input row', () => {
    const input: Row = { values: ['1', 'a@example.com', null] };
    const { pipeline, views } = setup(rowPlugin('m', () => [undefined, '***']));
    const patch = pipeline.resultSet(views, makeQuery(), INFO)!.apply(input);
    expect(patch).toHaveLength(3);
    expect(patch).toEqual([undefined, '***', undefined]);
    expect(input.values).toEqual(['1', 'a@example.com', null]);
  });

  it('passes the session view and the result set info to onRow', () => {
    const onRow = vi.fn(() => undefined);
    const plugin = rowPlugin('p', onRow);
    const { pipeline, views } = setup(plugin);
    pipeline.resultSet(views, makeQuery(), INFO)!.apply(row);
    expect(onRow).toHaveBeenCalledWith(views.for(plugin), row, INFO);
  });

  it('throws a SluiceError naming the plugin and the hook when onRow throws, and runs no later plugin', () => {
    const later = vi.fn(() => undefined);
    const { pipeline, views } = setup(
      rowPlugin('masking', () => {
        throw new Error('no such mask');
      }),
      rowPlugin('later', later),
    );
    const filter = pipeline.resultSet(views, makeQuery(), INFO)!;
    let thrown: unknown;
    try {
      filter.apply(row);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SluiceError);
    expect(thrown).toMatchObject({
      code: ErrorCodes.PLUGIN_HOOK,
      plugin: 'masking',
      hook: 'onRow',
      message: 'plugin masking failed in onRow: no such mask',
    });
    expect(later).not.toHaveBeenCalled();
  });

  it('refuses an onRow that returns a Promise instead of leaking the row unchanged', () => {
    const downLevelledAsync = (() => Promise.resolve(['1', '***', '***'])) as unknown as NonNullable<SluicePlugin['onRow']>;
    const { pipeline, views } = setup(rowPlugin('masking', downLevelledAsync));
    const filter = pipeline.resultSet(views, makeQuery(), INFO)!;
    expect(() => filter.apply(row)).toThrow(SluiceError);
  });

  it('returns undefined when plugins return patches that change nothing', () => {
    const { pipeline, views } = setup(rowPlugin('a', () => []), rowPlugin('b', () => [undefined, undefined]));
    expect(pipeline.resultSet(views, makeQuery(), INFO)!.apply(row)).toBeUndefined();
  });
});

describe('observe-only hooks', () => {
  const summary = { rows: 1, bytes: 10, durationMs: 1, decision: { action: 'allow' as const } };

  it('onResult: logs sync and async failures with plugin and hook, never throws, still runs the others', async () => {
    const seen = vi.fn();
    const { pipeline, views, log } = setup(
      { name: 'sync-fail', onResult: () => { throw new Error('disk full'); } },
      { name: 'async-fail', onResult: async () => { throw new Error('network down'); } },
      { name: 'fine', onResult: seen },
    );
    expect(() => pipeline.result(views, makeQuery(), summary)).not.toThrow();
    await flush();
    expect(seen).toHaveBeenCalledWith(views.for(pipeline.plugins[2]!), expect.objectContaining({ sql: 'SELECT 1' }), summary);
    expect(log.warn).toHaveBeenCalledWith(
      { plugin: 'sync-fail', hook: 'onResult', error: 'disk full' },
      'plugin sync-fail failed in onResult',
    );
    expect(log.warn).toHaveBeenCalledWith(
      { plugin: 'async-fail', hook: 'onResult', error: 'network down' },
      'plugin async-fail failed in onResult',
    );
    expect(log.error).not.toHaveBeenCalled();
  });

  it('onDisconnect: resolves after every plugin has seen it, failures logged', async () => {
    const done: string[] = [];
    const info = { reason: 'client' as const, durationMs: 5, statements: 2 };
    const { pipeline, views, log } = setup(
      { name: 'slow', onDisconnect: async () => { await flush(); done.push('slow'); } },
      { name: 'broken', onDisconnect: () => { throw new Error('oops'); } },
      { name: 'fast', onDisconnect: (_s, received) => void done.push(`fast ${received.reason}`) },
    );
    await expect(pipeline.disconnect(views, info)).resolves.toBeUndefined();
    expect(done.sort()).toEqual(['fast client', 'slow']);
    expect(log.warn).toHaveBeenCalledWith(
      expect.objectContaining({ plugin: 'broken', hook: 'onDisconnect' }),
      'plugin broken failed in onDisconnect',
    );
  });

  it('onRefused: resolves, failures logged', async () => {
    const refused = {
      listener: 'pg',
      dialect: 'postgres',
      client: { address: '10.0.0.1', port: 1 },
      reason: 'bad password',
      at: new Date(0),
    };
    const seen = vi.fn();
    const { pipeline, log } = setup(
      { name: 'broken', onRefused: async () => { throw new Error('audit sink down'); } },
      { name: 'audit', onRefused: seen },
    );
    await expect(pipeline.refused(refused)).resolves.toBeUndefined();
    expect(seen).toHaveBeenCalledWith(refused);
    expect(log.warn).toHaveBeenCalledWith(
      expect.objectContaining({ plugin: 'broken', hook: 'onRefused', error: 'audit sink down' }),
      'plugin broken failed in onRefused',
    );
  });

  it('close: closes every plugin in order, failures logged', async () => {
    const closed: string[] = [];
    const { pipeline, log } = setup(
      { name: 'a', close: () => void closed.push('a') },
      { name: 'b', close: async () => { throw new Error('already closed'); } },
      { name: 'c', close: async () => void closed.push('c') },
    );
    await expect(pipeline.close()).resolves.toBeUndefined();
    expect(closed).toEqual(['a', 'c']);
    expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ plugin: 'b', hook: 'close' }), 'plugin b failed in close');
  });
});

describe('SessionViews', () => {
  it("gives each plugin its own state object, separate from the base session's", () => {
    const session = makeSession();
    const views = new SessionViews(session);
    const a = views.for({ name: 'a' });
    const b = views.for({ name: 'b' });
    a.state.count = 1;
    expect(b.state).toEqual({});
    expect(session.state).toEqual({});
    expect(a.state).not.toBe(b.state);
    expect(views.session).toBe(session);
  });

  it('returns the same view, and so the same state, on every call for a plugin', () => {
    const views = new SessionViews(makeSession());
    const plugin = { name: 'p' };
    views.for(plugin).state.seen = true;
    expect(views.for(plugin)).toBe(views.for(plugin));
    expect(views.for(plugin).state).toEqual({ seen: true });
  });

  it("lets a view read every field of the base session", () => {
    const session = makeSession();
    const view = new SessionViews(session).for({ name: 'p' });
    expect(view.id).toBe('s-test01');
    expect(view.identity).toBe(session.identity);
    expect(view.client).toBe(session.client);
    expect(view.listener).toBe('pg-test');
    expect(view.dialect).toBe('postgres');
    expect(view.environment).toBe('test');
    expect(view.database).toBe('postgres');
    expect(view.startedAt).toBe(session.startedAt);
  });

  it('keeps state across hooks of one session through the pipeline', async () => {
    const plugin: SluicePlugin = {
      name: 'counter',
      onConnect: (session) => void (session.state.statements = 0),
      onQuery: (session) => void (session.state.statements = (session.state.statements as number) + 1),
      onResultSet: (session) => ({ columns: [session.state.statements as number] }),
      onRow: () => undefined,
    };
    const other: SluicePlugin = { name: 'other', onQuery: (session) => void (session.state.statements = 'not yours') };
    const { pipeline, views } = setup(plugin, other);
    await pipeline.connect(views);
    await pipeline.query(views, makeQuery());
    await pipeline.query(views, makeQuery());
    expect(pipeline.resultSet(views, makeQuery(), INFO)?.columns).toEqual([2]);
    expect(views.for(plugin).state).toEqual({ statements: 2 });
    expect(views.for(other).state).toEqual({ statements: 'not yours' });
  });

  it("keeps the session's fields when a plugin copies its view", () => {
    const view = new SessionViews(makeSession()).for({ name: 'audit' });
    expect({ ...view }).toMatchObject({ id: 's-test01', listener: 'pg-test', identity: { subject: 'alice' } });
    expect(JSON.parse(JSON.stringify(view))).toMatchObject({ id: 's-test01' });
  });
});
