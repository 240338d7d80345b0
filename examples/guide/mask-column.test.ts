import { createPluginHarness } from '@sluice/core/testing';
import { expect, it } from 'vitest';
import maskColumn from './mask-column.js';

it('masks the named columns and nothing else, in rows and in echoed errors', async () => {
  const h = await createPluginHarness(maskColumn, { options: { columns: ['email'] } });
  const s = await h.connect();

  const run = await s.run('SELECT id, email, name FROM customers', {
    columns: ['id', 'email', { name: 'name', type: 'text' }],
    rows: [[1, 'ann@example.com', 'Ann'], [2, null, 'Bob']],
  });
  expect(run.rows).toEqual([['1', '****', 'Ann'], ['2', null, 'Bob']]);
  expect(run.results[0]!.decoded).toEqual([1]); // the other columns were never decoded

  const insert = await s.query("INSERT INTO customers (email) VALUES ('ann@example.com')");
  expect(insert.message({ code: '23505', message: 'duplicate key value', detail: 'Key (email)=(ann@example.com) already exists.' })).toEqual({
    message: 'duplicate key value',
    detail: 'Key (email)=(****) already exists.',
  });

  const other = await s.run('SELECT 1 AS one', { columns: ['one'], rows: [[1]] });
  expect(other.results[0]!.decoded).toBeUndefined(); // no column to mask: no row hook at all
});
