// Core's metrics: the plugin registry (names, reloads, collects), the refusal classes, and the README's plugin example.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PluginContext, SluicePlugin } from '../plugin.js';
import { refusalClass } from './refusal-class.js';
import { SluiceMetrics } from './sluice-metrics.js';

describe('plugin metrics', () => {
  it('refuses names outside sluice_ and names that belong to core', () => {
    const metrics = new SluiceMetrics().plugins.forGeneration();
    expect(() => metrics.counter({ name: 'my_total', help: 'x' })).toThrow(/must match/);
    expect(() => metrics.counter({ name: 'sluice_Bad', help: 'x' })).toThrow(/must match/);
    expect(() => metrics.counter({ name: 'sluice_connections_mine_total', help: 'x' })).toThrow(/belongs to core/);
    expect(() => metrics.gauge({ name: 'sluice_nodejs_mine', help: 'x' })).toThrow(/belongs to core/);
  });

  it('keeps a counter across a reload and refuses a clashing type or label set', async () => {
    const sluice = new SluiceMetrics();
    const first = sluice.plugins.forGeneration();
    first.counter({ name: 'sluice_test_events_total', help: 'events', labelNames: ['kind'] }).inc({ kind: 'a' }, 2);
    const second = sluice.plugins.forGeneration();
    second.counter({ name: 'sluice_test_events_total', help: 'events', labelNames: ['kind'] }).inc({ kind: 'a' });
    expect(await sluice.registry.getSingleMetricAsString('sluice_test_events_total')).toContain('sluice_test_events_total{kind="a"} 3');
    expect(() => second.gauge({ name: 'sluice_test_events_total', help: 'events', labelNames: ['kind'] })).toThrow(/already registered as a counter/);
    expect(() => second.counter({ name: 'sluice_test_events_total', help: 'events' })).toThrow(/labels \[kind\]/);
  });

  it('runs the newest collect of a gauge, and none once a reload dropped it', async () => {
    const sluice = new SluiceMetrics();
    sluice.plugins.forGeneration().gauge({ name: 'sluice_test_queue', help: 'q', collect: (gauge) => gauge.set({}, 1) });
    expect(await sluice.registry.getSingleMetricAsString('sluice_test_queue')).toContain('sluice_test_queue 1');
    sluice.plugins.forGeneration().gauge({ name: 'sluice_test_queue', help: 'q', collect: (gauge) => gauge.set({}, 7) });
    sluice.plugins.retireOldGauges();
    expect(await sluice.registry.getSingleMetricAsString('sluice_test_queue')).toContain('sluice_test_queue 7');
    sluice.plugins.forGeneration(); // a reload whose plugins no longer register it
    sluice.plugins.retireOldGauges();
    expect(sluice.registry.getSingleMetric('sluice_test_queue')).toBeUndefined();
  });

  it('keeps two Sluice instances apart', async () => {
    const [a, b] = [new SluiceMetrics(), new SluiceMetrics()];
    a.sessionBegan('pg', 'password');
    expect((await a.text()).body).toContain('sluice_connections_total{listener="pg",auth="password"} 1');
    expect((await b.text()).body).not.toContain('sluice_connections_total{');
  });
});

describe('refusal classes', () => {
  it.each([
    ['password authentication failed for user "bob"', 'authentication'],
    ['OAuth bearer authentication failed for user "bob"', 'authentication'],
    ['token refused: expired', 'authentication'],
    ['protocol violation: invalid startup packet length', 'protocol'],
    ['expected an authentication response, got message type 0x51', 'protocol'],
    ['direct TLS on a listener without tls', 'tls'],
    ['identity bob maps to no upstream login (upstream.by_group)', 'mapping'],
    ['the startup parameter "role" may not set the role on a listener with upstream.set_role', 'mapping'],
    ["Access denied for user 'bob'@'127.0.0.1' (using password: YES)", 'authentication'],
    ["Login failed for user 'bob'.", 'authentication'],
    ['something new', 'other'],
  ])('%s → %s', (reason, expected) => {
    expect(refusalClass(reason)).toBe(expected);
  });
});

describe('the README example of a plugin with metrics', () => {
  it('runs, and its metrics appear in the exposition', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Metrics from a plugin'));
    const code = /```js\n([\s\S]*?)```/.exec(section)![1]!;
    const dir = await mkdtemp(join(tmpdir(), 'sluice-metrics-readme-'));
    try {
      const file = join(dir, 'plugin.mjs');
      await writeFile(file, code);
      const module = (await import(pathToFileURL(file).href)) as { default: (options: unknown, context: PluginContext) => SluicePlugin };
      const sluice = new SluiceMetrics();
      const context = { configDir: dir, log: console, registerSqlParser() {}, registerAdminRoute() {}, metrics: sluice.plugins.forGeneration() } as PluginContext;
      const plugin = module.default({}, context);
      await plugin.onQuery!({} as never, {} as never);
      const { body } = await sluice.text();
      expect(body).toContain('sluice_my_plugin_denials_total{rule="example"} 1');
      expect(body).toContain('sluice_my_plugin_queue 0');
      expect(body).toContain('sluice_my_plugin_lookup_seconds_count 1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
