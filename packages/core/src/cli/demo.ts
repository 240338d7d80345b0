// `sluice demo`: an embedded PostgreSQL with fake personal data, and Sluice in front of it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../config/index.js';
import { importModule } from '../plugins/resolve.js';
import { startEmbeddedPostgres } from '../demo/embedded-postgres.js';
import { createLogger } from '../logger.js';
import { EXIT, fail } from './exit.js';
import { serve } from './start.js';

export interface DemoOptions {
  port?: number;
}

/** The demo's one identity; its password is printed, so it is for this demo only. */
const DEMO_USER = { name: 'demo', password: 'demo' };

export async function runDemo(options: DemoOptions): Promise<number> {
  const port = options.port ?? 6432;
  if (!Number.isInteger(port) || port < 0 || port > 65535) return fail(EXIT.usage, `--port must be a port number, not ${options.port}`);
  const log = createLogger({ level: 'info', format: 'auto', destination: process.stderr });
  process.stderr.write('sluice demo: starting the embedded PostgreSQL (PGlite)…\n');
  const database = await startEmbeddedPostgres();
  const plugins = await installedPlugins();
  const auditFile = join(mkdtempSync(join(tmpdir(), 'sluice-demo-')), 'audit.jsonl');
  const loaded = parseConfigText(demoConfig(port, database.host, database.port, plugins, auditFile), { file: '<sluice demo>', env: {} });
  return serve(
    loaded,
    log,
    undefined,
    (sluice) => {
      const address = sluice.addresses()[0]!;
      process.stdout.write(instructions(address.port, plugins, auditFile));
    },
    () => database.close(),
  ).then(async (code) => {
    if (code !== EXIT.ok) await database.close();
    return code;
  });
}

/** The plugins that ship with Sluice, in the recommended order, and how the demo configures each. */
const DEMO_PLUGINS = {
  '@sluice/plugin-audit': (auditFile: string) => `{ sinks: [ { type: file, path: ${JSON.stringify(auditFile)} } ] }`,
  '@sluice/plugin-guardrails': () =>
    '{ rules: [ { name: no-drop, match: { statement: [drop, truncate] }, action: deny }, { name: no-unbounded-writes, match: { statement: [delete, update], where: absent }, action: deny } ] }',
  '@sluice/plugin-masking': () => '{}',
} as const;
type DemoPlugin = keyof typeof DEMO_PLUGINS;

/** The demo turns on every bundled plugin that is installed beside core. */
async function installedPlugins(): Promise<DemoPlugin[]> {
  const found: DemoPlugin[] = [];
  for (const name of Object.keys(DEMO_PLUGINS) as DemoPlugin[]) {
    try {
      await importModule(name, process.cwd());
      found.push(name);
    } catch {
      // not installed: the demo runs without it
    }
  }
  return found;
}

function demoConfig(port: number, upstreamHost: string, upstreamPort: number, plugins: readonly DemoPlugin[], auditFile: string): string {
  const pluginLines = plugins.map((name) => `  - use: "${name}"\n    with: ${DEMO_PLUGINS[name](auditFile)}`).join('\n');
  return `
listeners:
  - name: demo
    dialect: postgres
    listen: 127.0.0.1:${port}
    environment: demo
    upstream: { host: ${upstreamHost}, port: ${upstreamPort}, user: postgres, database: postgres, tls: disable }
identity:
  users:
    - { name: ${DEMO_USER.name}, password: ${DEMO_USER.password}, groups: [demo] }
${plugins.length > 0 ? `plugins:\n${pluginLines}\n` : ''}`;
}

function instructions(port: number, plugins: readonly DemoPlugin[], auditFile: string): string {
  const on = (name: DemoPlugin) => plugins.includes(name);
  const tries = [
    on('@sluice/plugin-masking') ? '    -- emails, phones, cards and IBANs come back masked' : '',
    on('@sluice/plugin-guardrails') ? '    delete from orders;                    -- denied: no WHERE\n    drop table customers;                  -- denied' : '',
  ].filter(Boolean);
  return `
Sluice is running in front of an embedded PostgreSQL with fake customer data.
Plugins on: ${plugins.length > 0 ? plugins.join(', ') : 'none'}

  Connect with psql (password: ${DEMO_USER.password}):
    psql "postgresql://${DEMO_USER.name}@127.0.0.1:${port}/postgres"

  Then try:
    select full_name, email, phone, card_number from customers limit 5;
    select status, count(*), sum(total) from orders group by status;
${tries.join('\n')}
${on('@sluice/plugin-audit') ? `\n  The audit trail: ${auditFile}\n    sluice audit tail ${auditFile}\n    sluice audit verify ${auditFile}\n` : ''}
Ctrl-C stops it.
`;
}
