// require-ticket, driven through the real pipeline and SQL parsers by @sluice/core/testing: no database needed.
import { createPluginHarness, type HarnessDialect } from '@sluice/core/testing';
import { describe, expect, it } from 'vitest';
import requireTicket from './index.js';
import { sqlComments } from './sql-comments.js';

const prod = (dialect: HarnessDialect = 'postgres', options: object = {}) =>
  createPluginHarness(requireTicket, { dialect, environment: 'prod', options });

describe('require-ticket', () => {
  it.each([
    ['postgres', 'DELETE FROM orders WHERE id = 7', '42501'],
    ['mysql', 'UPDATE `orders` SET status = "void" WHERE id = 7', '1142'],
    ['mssql', 'INSERT INTO [dbo].[orders] (id) VALUES (7)', '229'],
  ] as const)('%s: denies a write in prod without a ticket and allows it with one', async (dialect, sql, code) => {
    const h = await prod(dialect);
    const s = await h.connect({ user: 'alice', groups: ['dev'] });
    const denied = await s.query(sql);
    expect(denied.action).toBe('deny');
    expect(denied.error).toMatchObject({
      code,
      message: 'sluice: require-ticket: writes in prod need a change ticket: add /* ticket: ABC-123 */ to the statement',
    });
    const allowed = await s.query(`/* ticket: OPS-42 */ ${sql}`);
    expect(allowed.action).toBe('allow');
    expect(allowed.query.annotations.ticket).toBe('OPS-42');
    await h.close();
  });

  it('lets reads and session statements through without a ticket', async () => {
    const h = await prod();
    const s = await h.connect();
    for (const sql of ['SELECT * FROM orders', 'SHOW search_path', 'BEGIN', "SET statement_timeout = '5s'", 'EXPLAIN SELECT 1', 'COPY orders TO STDOUT']) {
      expect((await s.query(sql)).action, sql).toBe('allow');
    }
  });

  it('counts hidden writes and what it cannot understand as writes', async () => {
    const h = await prod();
    const s = await h.connect();
    for (const sql of [
      'WITH gone AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM gone',
      'SELECT * INTO orders_copy FROM orders',
      'EXPLAIN ANALYZE UPDATE orders SET total = 0',
      'COPY orders FROM STDIN',
      'DROP TABLE orders',
      'GRANT SELECT ON orders TO intern',
      'CALL archive_orders()',
      'VACUUM orders',
      'FROBNICATE orders',
    ]) {
      expect((await s.query(sql)).action, sql).toBe('deny');
    }
  });

  it('only needs tickets in the listed environments and not from exempt groups', async () => {
    const h = await createPluginHarness(requireTicket, { options: { environments: ['prod', 'staging'], exempt_groups: ['migrations'] } });
    expect((await (await h.connect({ environment: 'dev' })).query('DELETE FROM t')).action).toBe('allow');
    expect((await (await h.connect()).query('DELETE FROM t')).action).toBe('allow'); // a listener without an environment
    expect((await (await h.connect({ environment: 'staging' })).query('DELETE FROM t')).reason).toMatch(/^writes in staging need/);
    expect((await (await h.connect({ environment: 'prod', groups: ['migrations'] })).query('DELETE FROM t')).action).toBe('allow');
  });

  it('takes MySQL # comments on MySQL only', async () => {
    const mysql = await prod('mysql');
    expect((await (await mysql.connect()).query('DELETE FROM t WHERE id = 1 # ticket: OPS-9')).action).toBe('allow');
    const postgres = await prod('postgres');
    expect((await (await postgres.connect()).query('UPDATE t SET flags = flags # 1 WHERE id = 1')).action).toBe('deny');
  });

  it('accepts only a real comment with a ticket id of the configured shape', async () => {
    const h = await prod('postgres', { ticket_pattern: 'CHG[0-9]{6}', example: 'CHG000123' });
    const s = await h.connect();
    expect((await s.query('DELETE FROM t WHERE id = 1 -- ticket: CHG004711')).action).toBe('allow');
    expect((await s.query('DELETE /* Ticket:CHG004711 */ FROM t WHERE id = 1')).action).toBe('allow');
    expect((await s.query('DELETE FROM t WHERE id = 1 /* ticket: ABC-123 */')).reason).toMatch(/add \/\* ticket: CHG000123 \*\//);
    expect((await s.query("INSERT INTO t VALUES ('/* ticket: CHG004711 */')")).action).toBe('deny');
    expect((await s.query('UPDATE t SET note = $x$/* ticket: CHG004711 */$x$')).action).toBe('deny');
    expect((await s.query('/* ticket: CHG004711 please */ DELETE FROM t')).action).toBe('deny');
  });

  it('judges each statement of a PostgreSQL multi-statement string with its own comments, as the driver splits it', async () => {
    const h = await prod();
    const s = await h.connect();
    // The driver judges "DELETE FROM a" and "DELETE FROM b" on their own: the leading comment belongs to neither.
    expect((await s.query('/* ticket: OPS-1 */ DELETE FROM a; DELETE FROM b')).action).toBe('deny');
    expect((await s.query('DELETE /* ticket: OPS-1 */ FROM a; DELETE /* ticket: OPS-1 */ FROM b')).action).toBe('allow');
    // A single statement keeps its leading comment.
    expect((await s.query('/* ticket: OPS-1 */ DELETE FROM a')).action).toBe('allow');
  });

  it('works without any other plugin: it registers the SQL parsers itself', async () => {
    const h = await createPluginHarness(requireTicket, { environment: 'prod', sqlParsers: 'plugins' });
    const s = await h.connect();
    expect((await s.query('DELETE FROM t')).action).toBe('deny');
    expect(h.analyze('DELETE FROM t')?.statements[0]?.kind).toBe('delete');
  });

  it('loads from its file as the config names it, and refuses bad options with their key paths', async () => {
    const loaded = await createPluginHarness({ use: './index.js', with: { environments: ['prod'] } }, { configDir: import.meta.dirname, environment: 'prod' });
    expect((await (await loaded.connect()).query('TRUNCATE t')).action).toBe('deny');
    await expect(createPluginHarness(requireTicket, { options: { environments: 'prod', ticket_pattern: '(', colour: 1 } })).rejects.toMatchObject({
      issues: [
        { path: 'colour', message: 'unknown option (expected one of environments, exempt_groups, ticket_pattern, example)' },
        { path: 'environments', message: 'expected a list of names' },
      ],
    });
    await expect(createPluginHarness(requireTicket, { options: { ticket_pattern: '(' } })).rejects.toMatchObject({
      issues: [{ path: 'ticket_pattern', message: expect.stringMatching(/^not a valid regular expression/) }],
    });
    await expect(createPluginHarness(requireTicket, { options: { example: 'abc' } })).rejects.toMatchObject({
      issues: [{ path: 'example', message: 'the example does not match ticket_pattern' }],
    });
  });
});

describe('sqlComments', () => {
  it('finds block and line comments and skips quoted text', () => {
    expect(sqlComments("/* a */ SELECT '/* b */', \"/* c */\", `/* d */`, [/* e */], $q$ /* f */ $q$ -- g\n/* h")).toEqual([' a ', ' g', ' h']);
    expect(sqlComments("SELECT 'it''s /* x */' /* y */")).toEqual([' y ']);
    expect(sqlComments("SELECT 'a\\'b /* x */' /* y */")).toEqual([' y ']);
    expect(sqlComments('SELECT $1 /* z */')).toEqual([' z ']);
  });

  it('reads each dialect as its server does', () => {
    expect(sqlComments('SELECT a # b\n/* c */', 'mysql')).toEqual([' b', ' c ']);
    expect(sqlComments('SELECT 5 # 3 /* c */', 'postgres')).toEqual([' c ']); // # is an operator in PostgreSQL
    expect(sqlComments('SELECT [x /* y */]', 'mssql')).toEqual([]);
    expect(sqlComments('SELECT a[1] /* y */ FROM t', 'postgres')).toEqual([' y ']); // an array subscript
    expect(sqlComments('SELECT a$b$c /* y */', 'mysql')).toEqual([' y ']); // $ in a MySQL identifier
  });
});
