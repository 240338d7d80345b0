import { createPluginHarness, PluginOptionsError } from '@sluice/core/testing';
import { expect, it } from 'vitest';
import writeBudget from './write-budget.js';

it('counts writes per session', async () => {
  const h = await createPluginHarness(writeBudget, { options: { max_writes: 2 } });
  const a = await h.connect({ user: 'a' });
  const b = await h.connect({ user: 'b' });
  for (const id of [1, 2]) expect((await a.query(`UPDATE t SET x = 1 WHERE id = ${id}`)).action).toBe('allow');
  expect((await a.query('UPDATE t SET x = 1 WHERE id = 3')).reason).toBe('this session has used its 2 writes');
  expect((await a.query('SELECT * FROM t')).action).toBe('allow');
  expect((await b.query('INSERT INTO t VALUES (1)')).action).toBe('allow'); // b has its own state
});

it('refuses options its schema refuses', async () => {
  const failure = await createPluginHarness(writeBudget, { options: { max_writes: 'lots' } }).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(PluginOptionsError);
  expect((failure as PluginOptionsError).issues).toEqual([{ path: 'max_writes', message: 'expected a whole number, 0 or more' }]);
});
