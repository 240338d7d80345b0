// The README's example of a plugin route runs as written.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import type { AdminRoute, PluginContext, SluicePlugin } from '../plugin.js';

it('the README example of a plugin route registers a route that answers', async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Routes from a plugin'));
  const code = /```js\n([\s\S]*?)```/.exec(section)![1]!;
  const dir = await mkdtemp(join(tmpdir(), 'sluice-admin-readme-'));
  try {
    const file = join(dir, 'plugin.mjs');
    await writeFile(file, code);
    const module = (await import(pathToFileURL(file).href)) as { default: (options: unknown, context: PluginContext) => SluicePlugin };
    const routes: AdminRoute[] = [];
    const context = { configDir: dir, log: console, registerSqlParser() {}, registerAdminRoute: (route: AdminRoute) => void routes.push(route) } as PluginContext;
    expect(module.default({}, context).name).toBe('my-plugin');
    expect(routes).toHaveLength(1);
    expect(routes[0]).toMatchObject({ method: 'GET', path: '/api/my-plugin/items/:id', access: 'admin' });
    const identity = { subject: 'alice', name: 'alice', groups: ['sluice-admins'], auth: 'password' as const };
    expect(await routes[0]!.handle({ identity, isAdmin: true, params: { id: '7' }, query: new URLSearchParams(), body: undefined })).toEqual({ status: 200, body: { id: '7', by: 'alice' } });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
