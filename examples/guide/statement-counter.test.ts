import { createPluginHarness } from '@sluice/core/testing';
import { expect, it } from 'vitest';
import readOnlyGroup from './read-only-group.js';
import statementCounter from './statement-counter.js';

it('counts every decision, including those of the plugins after it, and serves them', async () => {
  const h = await createPluginHarness([statementCounter, { use: readOnlyGroup, with: { groups: ['analyst'] } }], { adminGroups: ['ops'] });
  const ann = await h.connect({ user: 'ann', groups: ['analyst'] });
  await ann.run('SELECT 1');
  await ann.run('DELETE FROM t');
  await ann.close();

  expect(await h.admin('GET', '/api/statement-counts/ann', { as: { user: 'olga', groups: ['ops'] } })).toEqual({ status: 200, body: { allowed: 1, denied: 1 } });
  expect((await h.admin('GET', '/api/statement-counts/ann', { as: { user: 'ann', groups: ['analyst'] } })).status).toBe(403);
  expect((await h.admin('GET', '/api/statement-counts/zed')).status).toBe(404);
  expect(await h.metrics()).toContain('sluice_statement_counter_total{listener="postgres-test",action="deny"} 1');
});
