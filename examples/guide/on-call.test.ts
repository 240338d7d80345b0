import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginHarness } from '@sluice/core/testing';
import { expect, it } from 'vitest';
import onCall from './on-call.js';

it('lets only the people on call into prod, and fails closed when the file is gone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'on-call-'));
  writeFileSync(join(dir, 'on-call.txt'), 'ann\nbob\n');
  const h = await createPluginHarness(onCall, { options: { file: 'on-call.txt' }, configDir: dir, environment: 'prod' });

  expect((await h.connect({ user: 'ann' })).connected).toBe(true);
  const carol = await h.connect({ user: 'carol' });
  expect(carol.connected).toBe(false);
  expect(carol.error).toEqual({ code: '28000', message: 'sluice: on-call: carol is not on call' });
  expect((await h.connect({ user: 'carol', environment: 'dev' })).connected).toBe(true);

  const broken = await createPluginHarness(onCall, { options: { file: 'missing.txt' }, configDir: dir, environment: 'prod' });
  const ann = await broken.connect({ user: 'ann' });
  expect(ann.error?.message).toBe('sluice: on-call: plugin on-call failed');
  expect(broken.log.problems()[0]).toMatchObject({ level: 'error', plugin: 'on-call', hook: 'onConnect' });
});
