// The plugin harness: decisions, rows, messages, state, failures and the session lifecycle, through the real pipeline.
import { describe, expect, it } from 'vitest';
import { definePlugin, type Decision, type QueryEvent, type ResultSummary, type Session, type SluicePlugin } from '../index.js';
import { createPluginHarness } from './index.js';

const noUnboundedDelete: SluicePlugin = {
  name: 'no-unbounded-delete',
  onQuery(_session, query) {
    const statements = query.analysis()?.statements ?? [];
    if (statements.some((statement) => statement.kind === 'delete' && statement.hasWhere === false)) {
      return { action: 'deny', rule: 'no-unbounded-delete', reason: 'DELETE needs a WHERE clause' };
    }
    return undefined;
  },
};

describe('decisions through the real parsers', () => {
  it.each([
    ['postgres', 'DELETE FROM public.orders', { code: '42501' }],
    ['mysql', 'DELETE FROM `orders`', { code: '1142', sqlState: '42000' }],
    ['mssql', 'DELETE FROM [dbo].[orders]', { code: '229' }],
  ] as const)('%s: a plugin denies from query.analysis() and the client gets its dialect error', async (dialect, sql, code) => {
    const h = await createPluginHarness(noUnboundedDelete, { dialect });
    const s = await h.connect({ user: 'alice', groups: ['dba'] });
    const denied = await s.query(sql);
    expect(denied).toMatchObject({ action: 'deny', rule: 'no-unbounded-delete', plugin: 'no-unbounded-delete', reason: 'DELETE needs a WHERE clause' });
    expect(denied.error).toEqual({ ...code, message: 'sluice: no-unbounded-delete: DELETE needs a WHERE clause' });
    expect(denied.query.analysis()?.statements[0]?.kind).toBe('delete');
    expect((await s.query(`${sql} WHERE id = 1`)).action).toBe('allow');
    expect(() => denied.result({ columns: ['x'] })).toThrow(/denied/);
    await h.close();
  });

  it('gives no analysis when only the plugins may register parsers and none does', async () => {
    const h = await createPluginHarness(noUnboundedDelete, { sqlParsers: 'plugins' });
    const s = await h.connect();
    const statement = await s.query('DELETE FROM t');
    expect(statement.query.analysis()).toBeUndefined();
    expect(statement.action).toBe('allow');
    expect(h.analyze('select 1')).toBeUndefined();
  });

  it('judges each statement of a PostgreSQL multi-statement string and denies the string when one is denied', async () => {
    const seen: string[] = [];
    const results: [string, ResultSummary['decision']][] = [];
    const h = await createPluginHarness([
      { name: 'observer', onQuery: (_s, q) => void seen.push(q.sql), onResult: (_s, q, summary) => void results.push([q.sql, summary.decision]) },
      noUnboundedDelete,
    ]);
    const s = await h.connect();
    const statement = await s.query('SELECT 1; DELETE FROM t; SELECT 2');
    expect(seen).toEqual(['SELECT 1', 'DELETE FROM t']);
    expect(statement.action).toBe('deny');
    expect(statement.query.sql).toBe('DELETE FROM t');
    expect(statement.parts.map((part) => part.sql)).toEqual(['SELECT 1', 'DELETE FROM t', 'SELECT 2']);
    expect(results).toEqual([
      ['SELECT 1', { action: 'deny', reason: 'another statement in the same query string was denied' }],
      ['SELECT 2', { action: 'deny', reason: 'another statement in the same query string was denied' }],
      ['DELETE FROM t', { action: 'deny', reason: 'DELETE needs a WHERE clause', rule: 'no-unbounded-delete', plugin: 'no-unbounded-delete' }],
    ]);
    const allowed = await s.query('SELECT 1; SELECT 2');
    allowed.complete();
    expect(results.at(-1)).toEqual(['SELECT 1; SELECT 2', { action: 'allow' }]);
    expect(s.statements).toBe(4);
  });

  it('splits MySQL multi-statement strings too, and leaves SQL Server batches whole', async () => {
    const mysql = await createPluginHarness(noUnboundedDelete, { dialect: 'mysql' });
    const denied = await (await mysql.connect()).query('SELECT 1; DELETE FROM t');
    expect(denied.parts.map((part) => part.sql)).toEqual(['SELECT 1', 'DELETE FROM t']);
    expect(denied.query.sql).toBe('DELETE FROM t');
    const mssql = await createPluginHarness(noUnboundedDelete, { dialect: 'mssql' });
    const batch = await (await mssql.connect()).query('SELECT 1; DELETE FROM t');
    expect(batch.parts.map((part) => part.sql)).toEqual(['SELECT 1; DELETE FROM t']);
    expect(batch.action).toBe('deny');
  });

  it('stops at the first deny: later plugins do not see the statement', async () => {
    const later: string[] = [];
    const h = await createPluginHarness([noUnboundedDelete, { name: 'later', onQuery: (_s, q) => void later.push(q.sql) }]);
    const s = await h.connect();
    await s.query('DELETE FROM t');
    await s.query('DELETE FROM t WHERE id = 2');
    expect(later).toEqual(['DELETE FROM t WHERE id = 2']);
  });

  it('passes params and the protocol path', async () => {
    let got: QueryEvent | undefined;
    const h = await createPluginHarness({ name: 'p', onQuery: (_s, q) => void (got = q) });
    const s = await h.connect();
    await s.query('SELECT * FROM t WHERE id = $1', { via: 'execute', params: ['42', null] });
    expect(got).toMatchObject({ sql: 'SELECT * FROM t WHERE id = $1', via: 'execute', params: ['42', null], dialect: 'postgres' });
  });
});

describe('sessions', () => {
  it('reports identity, listener, environment and database, and keeps state per plugin and per session', async () => {
    const sessions: Session[] = [];
    const counter = (name: string): SluicePlugin => ({
      name,
      onQuery(session) {
        session.state.count = ((session.state.count as number | undefined) ?? 0) + 1;
        sessions.push(session);
        return undefined;
      },
    });
    const h = await createPluginHarness([counter('a'), counter('b')], { dialect: 'mysql', environment: 'prod', listener: 'my-prod' });
    const alice = await h.connect({ user: 'alice', groups: ['dba'], email: 'alice@example.com', application: 'psql' });
    const bob = await h.connect({ user: 'bob', environment: 'staging', database: 'shop' });
    await alice.query('SELECT 1');
    await alice.query('SELECT 2');
    await bob.query('SELECT 3');
    const [aliceA, aliceB, , , bobA] = sessions;
    expect(aliceA!.identity).toEqual({ subject: 'alice', name: 'alice', email: 'alice@example.com', groups: ['dba'], auth: 'password' });
    expect(aliceA).toMatchObject({ listener: 'my-prod', dialect: 'mysql', environment: 'prod', database: 'test', client: { address: '127.0.0.1', application: 'psql' } });
    expect(bobA).toMatchObject({ environment: 'staging', database: 'shop' });
    expect(aliceA!.state).toEqual({ count: 2 });
    expect(aliceB!.state).toEqual({ count: 2 });
    expect(aliceA!.state).not.toBe(aliceB!.state);
    expect(bobA!.state).toEqual({ count: 1 });
    expect(alice.session.id).not.toBe(bob.session.id);
  });

  it('refuses a login onConnect denies, and runs onDisconnect with reason denied', async () => {
    const ended: string[] = [];
    const h = await createPluginHarness({
      name: 'office-hours',
      onConnect: (session) => (session.identity.groups.includes('contractors') ? { action: 'deny', reason: 'contractors connect through the VPN' } : undefined),
      onDisconnect: (_s, info) => void ended.push(`${info.reason}:${info.error ?? ''}`),
    });
    const refused = await h.connect({ user: 'carol', groups: ['contractors'] });
    expect(refused.connected).toBe(false);
    expect(refused.error).toEqual({ code: '28000', message: 'sluice: office-hours: contractors connect through the VPN' });
    expect(ended).toEqual(['denied:contractors connect through the VPN']);
    await expect(refused.query('SELECT 1')).rejects.toThrow(/refused at connect/);
    const ok = await h.connect({ user: 'dave' });
    expect(ok.connected).toBe(true);
    await ok.query('SELECT 1');
    await ok.close();
    expect(ended[1]).toBe('client:');
  });

  it('runs onDisconnect with the statement count, and close() ends open sessions and closes plugins', async () => {
    const events: string[] = [];
    const h = await createPluginHarness({
      name: 'lifecycle',
      onDisconnect: (session, info) => void events.push(`${session.identity.name}:${info.reason}:${info.statements}`),
      close: () => void events.push('close'),
    });
    const a = await h.connect({ user: 'a' });
    await a.query('SELECT 1');
    await a.query('SELECT 2');
    await a.close('terminated', 'admin ended it');
    const b = await h.connect({ user: 'b' });
    await b.query('SELECT 1');
    await h.close();
    expect(events).toEqual(['a:terminated:2', 'b:shutdown:1', 'close']);
    expect(b.closed).toBe(true);
  });

  it('runs onRefused for a connection that never became a session', async () => {
    const refused: string[] = [];
    const h = await createPluginHarness({ name: 'r', onRefused: (r) => void refused.push(`${r.user}:${r.reason}:${r.listener}`) }, { dialect: 'mssql' });
    await h.refused({ user: 'mallory', reason: 'bad password' });
    expect(refused).toEqual(['mallory:bad password:mssql-test']);
  });
});

describe('result sets and rows', () => {
  // Rewrites only the columns it asked for: other plugins' columns are decoded in the same row.
  const emailColumns = new WeakMap<object, number[]>();
  const maskEmail: SluicePlugin = {
    name: 'mask-email',
    onResultSet(_session, _query, resultSet) {
      const columns = resultSet.columns.flatMap((column, i) => (column.name === 'email' ? [i] : []));
      if (columns.length === 0) return undefined;
      emailColumns.set(resultSet, columns);
      return { columns };
    },
    onRow(_session, row, resultSet) {
      const patch: (string | undefined)[] = [];
      for (const i of emailColumns.get(resultSet) ?? []) {
        const value = row.values[i];
        if (typeof value === 'string') patch[i] = value.replace(/^[^@]+/, '***');
      }
      return patch;
    },
  };

  it('returns the rows as the client sees them and decodes only the columns asked for', async () => {
    const seen: unknown[] = [];
    const spy: SluicePlugin = { name: 'spy', onResultSet: () => ({ columns: [0] }), onRow: (_s, row) => void seen.push(row.values) };
    const h = await createPluginHarness([maskEmail, spy]);
    const s = await h.connect();
    await s.query('SELECT id, email, note FROM customers');
    const result = s.result({ columns: ['id', 'email', 'note'], rows: [[1, 'ann@example.com', 'hi'], [2, null, 'yo']] });
    expect(result.rows).toEqual([['1', '***@example.com', 'hi'], ['2', null, 'yo']]);
    expect(result.decoded).toEqual([0, 1]);
    // The spy sees the masked email (it runs after the masker) and nothing of the column nobody asked for.
    expect(seen).toEqual([['1', '***@example.com', undefined], ['2', null, undefined]]);
    expect(result.error).toBeUndefined();
  });

  it('passes rows untouched and calls no row hook when no plugin asks', async () => {
    let rows = 0;
    const h = await createPluginHarness({ name: 'idle', onResultSet: () => undefined, onRow: () => void rows++ });
    const s = await h.connect();
    await s.query('SELECT 1');
    expect(s.result({ columns: ['a'], rows: [['x']] })).toEqual({ rows: [['x']], decoded: undefined, serverRows: 1 });
    expect(rows).toBe(0);
  });

  it('gives onRow the same resultSet object onResultSet saw, with increasing indexes per statement', async () => {
    const pairs: [number, boolean][] = [];
    let last: object | undefined;
    const h = await createPluginHarness({
      name: 'keyed',
      onResultSet: (_s, _q, resultSet) => {
        last = resultSet;
        return { columns: 'all' };
      },
      onRow: (_s, _row, resultSet) => void pairs.push([resultSet.index, resultSet === last]),
    });
    const s = await h.connect();
    const statement = await s.query('SELECT 1; SELECT 2');
    statement.result({ columns: ['a'], rows: [['1']] });
    statement.result({ columns: ['b'], rows: [['2'], ['3']] });
    expect(pairs).toEqual([[0, true], [1, true], [1, true]]);
  });

  it('reports rows, affected, bytes, error and decision to onResult', async () => {
    const summaries: ResultSummary[] = [];
    const h = await createPluginHarness({ name: 'audit-like', onResult: (_s, _q, summary) => void summaries.push(summary) });
    const s = await h.connect();
    const run = await s.run('SELECT name FROM t', { columns: ['name'], rows: [['ann'], ['bob']] });
    expect(run.rows).toEqual([['ann'], ['bob']]);
    expect(run.summary).toMatchObject({ rows: 2, bytes: 6, decision: { action: 'allow' } });
    const update = await s.query('UPDATE t SET a = 1 WHERE id = 1');
    update.complete({ affected: 1 });
    const failed = await s.query('SELECT 1/0');
    expect(failed.message({ code: '22012', message: 'division by zero' })).toEqual({ message: 'division by zero' });
    await s.close();
    expect(summaries.slice(1).map(({ rows, affected, error, decision }) => ({ rows, affected, error, decision }))).toEqual([
      { rows: 0, affected: 1, error: undefined, decision: { action: 'allow' } },
      { rows: 0, affected: undefined, error: { code: '22012', message: 'division by zero' }, decision: { action: 'allow' } },
    ]);
  });

  it('ends the result with an error when onRow throws: earlier rows went out, the rest is withheld, the log names plugin and hook', async () => {
    const summaries: ResultSummary[] = [];
    const h = await createPluginHarness([
      {
        name: 'fragile',
        onResultSet: () => ({ columns: [0] }),
        onRow(_s, row) {
          if (row.values[0] === 'boom') throw new Error('cannot read this value');
          return undefined;
        },
      },
      { name: 'observer', onResult: (_s, _q, summary) => void summaries.push(summary) },
    ]);
    const s = await h.connect();
    const run = await s.run('SELECT v FROM t', { columns: ['v'], rows: [['a'], ['boom'], ['c']] });
    expect(run.rows).toEqual([['a']]);
    expect(run.error).toEqual({ code: 'XX000', message: 'sluice: plugin fragile failed in onRow: cannot read this value' });
    expect(summaries[0]).toMatchObject({ rows: 3, error: { code: 'XX000' } });
    expect(h.log.problems()).toEqual([
      expect.objectContaining({ level: 'error', session: s.session.id, msg: 'row hook failed: the rest of the result is withheld', error: 'plugin fragile failed in onRow: cannot read this value' }),
    ]);
    // The session goes on.
    expect((await s.run('SELECT v FROM t', { columns: ['v'], rows: [['d']] })).rows).toEqual([['d']]);
  });

  it('fails closed when onResultSet throws: no row of that result gets out', async () => {
    const h = await createPluginHarness({ name: 'broken', onResultSet: () => { throw new Error('no idea'); }, onRow: () => undefined }, { dialect: 'mysql' });
    const s = await h.connect();
    await s.query('SELECT 1');
    const result = s.result({ columns: ['a'], rows: [['1'], ['2']] });
    expect(result.rows).toEqual([]);
    expect(result.error).toMatchObject({ code: '1105', message: 'sluice: plugin broken failed in onResultSet: no idea' });
    expect(h.log.problems()).toEqual([
      expect.objectContaining({ level: 'error', plugin: 'broken', hook: 'onResultSet', error: 'no idea' }),
      expect.objectContaining({ level: 'error', msg: 'row hook failed: the rest of the result is withheld' }),
    ]);
  });

  it('fails closed, without taking anything down, when onResultSet answers with a promise or a malformed interest', async () => {
    for (const answer of [Promise.resolve({ columns: 'all' }), { columns: ['email'] }, { columns: [-1] }, { rows: 'all' }]) {
      const h = await createPluginHarness({ name: 'odd', onResultSet: () => answer as never, onRow: () => undefined });
      const s = await h.connect();
      const run = await s.run('SELECT email FROM t', { columns: ['email'], rows: [['ann@example.com']] });
      expect(run.rows).toEqual([]);
      expect(run.error?.message).toMatch(/^sluice: plugin odd failed in onResultSet: onResultSet (returned a Promise|must return undefined or)/);
    }
  });

  it('refuses values that are not the server text', async () => {
    const h = await createPluginHarness({ name: 'x' });
    const s = await h.connect();
    await s.query('SELECT 1');
    expect(() => s.result({ columns: ['a'], rows: [[true as unknown as string]] })).toThrow(/server's text/);
    expect(() => s.result({ columns: ['a', 'b'], rows: [['1']] })).toThrow(/1 values for 2 columns/);
  });
});

describe('messages', () => {
  it('rewrites errors and notices through onMessage, with the statement they belong to', async () => {
    const seen: (string | undefined)[] = [];
    const h = await createPluginHarness({
      name: 'mask-messages',
      onMessage(_s, message) {
        seen.push(message.query?.sql);
        return message.text.detail ? { detail: message.text.detail.replace(/\([^()]*@[^()]*\)/, '(***)') } : undefined;
      },
    });
    const s = await h.connect();
    const insert = await s.query("INSERT INTO users(email) VALUES ('ann@example.com')");
    expect(insert.message({ code: '23505', message: 'duplicate key', detail: 'Key (email)=(ann@example.com) already exists.' })).toEqual({
      message: 'duplicate key',
      detail: 'Key (email)=(***) already exists.',
    });
    insert.complete();
    expect(s.message({ kind: 'notice', message: 'checkpoint soon' })).toEqual({ message: 'checkpoint soon' });
    expect(seen).toEqual(["INSERT INTO users(email) VALUES ('ann@example.com')", undefined]);
  });

  it('withholds a message when onMessage throws', async () => {
    const h = await createPluginHarness({ name: 'bad', onMessage: () => { throw new Error('oops'); } });
    const s = await h.connect();
    expect(s.message({ message: 'secret 4111 1111 1111 1111' })).toEqual({ message: "sluice: the server's error was withheld because plugin bad failed" });
  });
});

describe('failures never escape', () => {
  it('denies a statement whose onQuery throws and logs plugin and hook', async () => {
    const h = await createPluginHarness({ name: 'thrower', onQuery: async () => { throw new Error('lookup failed'); } });
    const s = await h.connect();
    const statement = await s.query('SELECT 1');
    expect(statement).toMatchObject({ action: 'deny', reason: 'plugin thrower failed', plugin: 'thrower' });
    expect(statement.error?.message).toBe('sluice: thrower: plugin thrower failed');
    const [line] = h.log.problems();
    expect(line).toMatchObject({ level: 'error', plugin: 'thrower', hook: 'onQuery', msg: 'plugin thrower failed in onQuery: lookup failed' });
  });

  it('logs a failing observe-only hook as a warning and goes on', async () => {
    const h = await createPluginHarness({ name: 'shaky', onResult: () => { throw new Error('sink down'); } });
    const s = await h.connect();
    await s.run('SELECT 1');
    expect(h.log.problems()).toEqual([expect.objectContaining({ level: 'warn', plugin: 'shaky', hook: 'onResult', error: 'sink down' })]);
  });

  it('refuses an async onRow, an unknown hook and a nameless plugin when loading', async () => {
    await expect(createPluginHarness({ name: 'slow', async onRow() { return undefined; } } as unknown as SluicePlugin)).rejects.toThrow(/onRow must be synchronous/);
    await expect(createPluginHarness({ name: 'slow', async onResultSet() { return undefined; } } as unknown as SluicePlugin)).rejects.toThrow(/onResultSet must be synchronous/);
    await expect(createPluginHarness({ name: 'slow', async onMessage() { return undefined; } } as SluicePlugin)).rejects.toThrow(/onMessage must be synchronous/);
    await expect(createPluginHarness({ name: 'typo', onQeury: () => undefined } as unknown as SluicePlugin)).rejects.toThrow(/unknown hook "onQeury"/);
    await expect(createPluginHarness({ onQuery: () => undefined } as unknown as SluicePlugin)).rejects.toThrow(/has no name/);
    await expect(createPluginHarness([{ name: 'twin' }, { name: 'twin' }])).rejects.toThrow(/two plugins are named twin/);
  });
});

describe('holds and approvals', () => {
  it('waits for a held statement until the approval decides', async () => {
    let decide!: (decision: Exclude<Decision, { action: 'hold' }>) => void;
    const events: string[] = [];
    const h = await createPluginHarness([{
      name: 'review',
      onQuery: (_s, query): Decision | undefined =>
        query.sql.startsWith('DROP')
          ? { action: 'hold', approval: { id: 'apr-1', rule: 'review-ddl', reason: 'DDL is reviewed', wait: () => new Promise((resolve) => (decide = resolve)) } }
          : undefined,
    }, { name: 'observer', onApproval: (_s, query, event) => void events.push(`${event.stage}:${event.id}:${event.action ?? ''}:${query.sql}`) }]);
    const s = await h.connect();
    const pending = s.query('DROP TABLE t');
    const held = await s.held();
    expect(held).toMatchObject({ id: 'apr-1', rule: 'review-ddl', plugin: 'review', sql: 'DROP TABLE t' });
    decide({ action: 'deny', rule: 'review-ddl', reason: 'not today' });
    const statement = await pending;
    expect(statement).toMatchObject({ action: 'deny', rule: 'review-ddl', reason: 'not today', held: { id: 'apr-1' } });
    expect(events).toEqual(['requested:apr-1::DROP TABLE t', 'decided:apr-1:deny:DROP TABLE t']);
  });
});

describe('plugins by factory, options and module name', () => {
  const limited = definePlugin<{ limit: number }>((options) => ({
    name: 'limited',
    onQuery: (_s, query) => (query.sql.length > options.limit ? { action: 'deny', reason: `longer than ${options.limit} characters` } : undefined),
  }));
  limited.optionsSchema = {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: (value) => {
        const limit = (value as { limit?: unknown }).limit;
        return typeof limit === 'number' ? { value: { limit } } : { issues: [{ message: 'expected a number', path: ['limit'] }] };
      },
    },
  };

  it('validates options with the factory schema and runs the factory with them', async () => {
    const h = await createPluginHarness(limited, { options: { limit: 10 } });
    const s = await h.connect();
    expect((await s.query('SELECT 1')).action).toBe('allow');
    expect((await s.query('SELECT 1234567890')).reason).toBe('longer than 10 characters');
    await expect(createPluginHarness(limited, { options: { limit: 'ten' } })).rejects.toMatchObject({
      name: 'PluginOptionsError',
      code: 'SLUICE_PLUGIN_OPTIONS',
      issues: [{ path: 'limit', message: 'expected a number' }],
      message: 'invalid options for plugin (anonymous factory):\n  with.limit: expected a number',
    });
    await expect(createPluginHarness([limited, noUnboundedDelete], { options: { limit: 1 } })).rejects.toThrow(/options applies to a single plugin/);
  });

  it('loads a bundled plugin by package name, with its own parsers and admin routes', async () => {
    const h = await createPluginHarness(
      [
        {
          use: '@sluice/plugin-guardrails',
          with: {
            rules: [
              { name: 'no-drop', match: { statement: ['drop'] }, action: 'deny' },
              { name: 'review-alter', match: { statement: ['alter'] }, action: 'require_approval', approvers: ['dba'] },
            ],
          },
        },
      ],
      { dialect: 'postgres', sqlParsers: 'plugins', adminGroups: ['ops'] },
    );
    const s = await h.connect({ user: 'alice', groups: ['dev'] });
    expect(await s.query('DROP TABLE t')).toMatchObject({ action: 'deny', rule: 'no-drop', error: { code: '42501' } });
    const pending = s.query('ALTER TABLE t ADD COLUMN c int');
    const held = await s.held();
    expect(held.rule).toBe('review-alter');
    expect((await h.admin('POST', `/api/approvals/${held.id}/approve`, { as: { user: 'eve', groups: ['dev'] } })).status).toBe(403);
    const approved = await h.admin('POST', `/api/approvals/${held.id}/approve`, { as: { user: 'bob', groups: ['dba', 'ops'] } });
    expect(approved.status).toBe(200);
    expect((await pending).action).toBe('allow');
    expect((await pending).query.annotations.approval).toMatchObject({ id: held.id, approver: 'bob' });
    expect((await h.admin('GET', '/api/nothing')).status).toBe(404);
    expect((await h.admin('DELETE', '/api/approvals')).status).toBe(405);
    await h.close();
  });

  it('checks admin access as the admin API does: admin groups, authenticated, public', async () => {
    const h = await createPluginHarness(
      definePlugin((_options, context) => {
        context.registerAdminRoute({ method: 'GET', path: '/api/x/:id', handle: (request) => ({ status: 200, body: { id: request.params.id, admin: request.isAdmin, q: request.query.get('q') } }) });
        context.registerAdminRoute({ method: 'POST', path: '/api/x', access: 'authenticated', handle: (request) => ({ status: 201, body: { by: request.identity.name, got: request.body } }) });
        context.registerAdminRoute({ method: 'GET', path: '/x/help', access: 'public', handle: (request) => ({ status: 200, body: { who: request.identity.name } }) });
        return { name: 'routes' };
      }),
      { adminGroups: ['ops'] },
    );
    expect(await h.admin('GET', '/api/x/a%20b?q=1')).toEqual({ status: 200, body: { id: 'a b', admin: true, q: '1' } });
    expect(await h.admin('GET', '/api/x/7', { as: { user: 'eve' } })).toEqual({ status: 403, body: { error: 'only members of ops may do this' } });
    expect(await h.admin('POST', '/api/x', { as: { user: 'eve' }, body: { n: 1 } })).toEqual({ status: 201, body: { by: 'eve', got: { n: 1 } } });
    expect(await h.admin('GET', '/x/help', { as: { user: 'eve' } })).toEqual({ status: 200, body: { who: 'anonymous' } });
    expect(h.adminRoutes.map((route) => route.path)).toEqual(['/api/x/:id', '/api/x', '/x/help']);
  });

  it('gives plugins the metrics and readiness checks of production', async () => {
    const h = await createPluginHarness(
      definePlugin((_options, context) => {
        const statements = context.metrics!.counter({ name: 'sluice_example_statements_total', help: 'statements seen', labelNames: ['user'] });
        context.registerReadinessCheck!({ name: 'upstream-ticket-system', check: () => ({ ok: false, detail: 'unreachable' }) });
        context.registerReadinessCheck!({ name: 'throws', check: () => { throw new Error('/secret/path'); } });
        return { name: 'metered', onQuery: (session) => void statements.inc({ user: session.identity.name }) };
      }),
    );
    const s = await h.connect({ user: 'ann' });
    await s.query('SELECT 1');
    await s.query('SELECT 2');
    expect(await h.metrics()).toContain('sluice_example_statements_total{user="ann"} 2');
    expect(await h.readiness()).toEqual([
      { name: 'upstream-ticket-system', ok: false, detail: 'unreachable' },
      { name: 'throws', ok: false, detail: 'the check failed' },
    ]);
  });

  it('reports a module that cannot be found', async () => {
    await expect(createPluginHarness('./does-not-exist.js')).rejects.toThrow(/cannot load plugin \.\/does-not-exist\.js/);
  });
});
