import { createPluginHarness } from '@sluice/core/testing';
import { expect, it } from 'vitest';
import readOnlyGroup from './read-only-group.js';

it('lets analysts read and nothing else', async () => {
  const h = await createPluginHarness(readOnlyGroup, { dialect: 'postgres', options: { groups: ['analyst'] } });
  const ann = await h.connect({ user: 'ann', groups: ['analyst'] });

  expect((await ann.query('SELECT * FROM orders')).action).toBe('allow');
  const denied = await ann.query('WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d');
  expect(denied.action).toBe('deny');
  expect(denied.error).toEqual({ code: '42501', message: 'sluice: read-only-group: ann may only read' });

  const dba = await h.connect({ user: 'dave', groups: ['dba'] });
  expect((await dba.query('DELETE FROM orders WHERE id = 1')).action).toBe('allow');
  await h.close();
});
