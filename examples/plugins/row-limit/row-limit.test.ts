// row-limit, driven through the real pipeline by @sluice/core/testing: no database needed.
import { createPluginHarness } from '@sluice/core/testing';
import { describe, expect, it } from 'vitest';
import rowLimit, { limitFor } from './index.js';

const rows = (n: number) => Array.from({ length: n }, (_, i) => [i + 1, `customer ${i + 1}`]);
const customers = (n: number) => ({ columns: ['id', 'name'], rows: rows(n) });

describe('row-limit', () => {
  it.each(['postgres', 'mysql', 'mssql'] as const)('%s: passes up to N rows to a limited group, then withholds the rest and fails the statement', async (dialect) => {
    const h = await createPluginHarness(rowLimit, { dialect, options: { groups: { analyst: 3 } } });
    const s = await h.connect({ user: 'ann', groups: ['analyst'] });
    const small = await s.run('SELECT id, name FROM customers LIMIT 3', customers(3));
    expect(small.rows).toHaveLength(3);
    expect(small.error).toBeUndefined();

    const large = await s.run('SELECT id, name FROM customers', customers(10));
    expect(large.rows).toEqual(rows(3).map(([id, name]) => [String(id), name]));
    expect(large.error?.message).toBe(
      'sluice: plugin row-limit failed in onRow: the result has more than 3 rows, the most group analyst may read in one query; add a LIMIT or narrow the WHERE clause',
    );
    expect(large.summary).toMatchObject({ rows: 10, error: { message: large.error!.message } });
    expect(large.statement.query.annotations.rowLimit).toEqual({ limit: 3, exceeded: true });
    // The failure is logged with plugin and hook, and the session goes on.
    expect(h.log.problems()).toEqual([
      expect.objectContaining({ level: 'error', msg: 'row hook failed: the rest of the result is withheld', error: expect.stringMatching(/^plugin row-limit failed in onRow/) }),
    ]);
    expect((await s.run('SELECT 1', { columns: ['one'], rows: [[1]] })).rows).toEqual([['1']]);
  });

  it('asks for no column values and leaves sessions without a limit alone', async () => {
    const h = await createPluginHarness(rowLimit, { options: { groups: { analyst: 2 } } });
    const limited = await h.connect({ groups: ['analyst'] });
    await limited.query('SELECT * FROM t');
    expect(limited.result(customers(1)).decoded).toEqual([]);
    const free = await h.connect({ groups: ['dba'] });
    await free.query('SELECT * FROM t');
    const outcome = free.result(customers(50));
    expect(outcome.decoded).toBeUndefined();
    expect(outcome.rows).toHaveLength(50);
  });

  it('counts every result set of one statement together, and each statement afresh', async () => {
    const h = await createPluginHarness(rowLimit, { options: { groups: { analyst: 4 } } });
    const s = await h.connect({ groups: ['analyst'] });
    const statement = await s.query('SELECT * FROM a; SELECT * FROM b');
    expect(statement.result(customers(3)).rows).toHaveLength(3);
    const second = statement.result(customers(3));
    expect(second.rows).toHaveLength(1);
    expect(second.error).toBeDefined();
    expect((await s.run('SELECT * FROM a', customers(4))).error).toBeUndefined();
  });

  it('applies the smallest limit of the identity groups, the default to others, only in the listed environments', async () => {
    const options = { groups: { analyst: 100, contractor: 10 }, default: 1000 };
    expect(limitFor(options, ['analyst', 'contractor'])).toEqual({ limit: 10, who: 'group contractor' });
    expect(limitFor(options, ['dba'])).toEqual({ limit: 1000, who: 'this identity' });
    expect(limitFor({ groups: { analyst: 5 } }, ['dba'])).toBeUndefined();

    const h = await createPluginHarness(rowLimit, { options: { groups: { analyst: 2 }, environments: ['prod'] } });
    expect((await (await h.connect({ groups: ['analyst'], environment: 'dev' })).run('SELECT 1', customers(5))).rows).toHaveLength(5);
    expect((await (await h.connect({ groups: ['analyst'], environment: 'prod' })).run('SELECT 1', customers(5))).rows).toHaveLength(2);
  });

  it('refuses options it cannot apply, naming the key', async () => {
    await expect(createPluginHarness(rowLimit, { options: { groups: { analyst: 0, dba: '10' }, default: 2.5, env: [] } })).rejects.toMatchObject({
      issues: [
        { path: 'env', message: 'unknown option (expected groups, default or environments)' },
        { path: 'groups.analyst', message: 'expected a whole number of rows, 1 or more' },
        { path: 'groups.dba', message: 'expected a whole number of rows, 1 or more' },
        { path: 'default', message: 'expected a whole number of rows, 1 or more' },
      ],
    });
    await expect(createPluginHarness(rowLimit, { options: {} })).rejects.toMatchObject({ issues: [{ path: 'groups' }] });
  });
});
