// `sluice demo`: an embedded PostgreSQL with fake personal data, and Sluice in front of it.
import { parseConfigText } from '../config/index.js';
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
  const loaded = parseConfigText(demoConfig(port, database.host, database.port), { file: '<sluice demo>', env: {} });
  return serve(
    loaded,
    log,
    undefined,
    (sluice) => {
      const address = sluice.addresses()[0]!;
      process.stdout.write(instructions(address.port));
    },
    () => database.close(),
  ).then(async (code) => {
    if (code !== EXIT.ok) await database.close();
    return code;
  });
}

function demoConfig(port: number, upstreamHost: string, upstreamPort: number): string {
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
`;
}

function instructions(port: number): string {
  return `
Sluice is running in front of an embedded PostgreSQL with fake customer data.

  Connect with psql (password: ${DEMO_USER.password}):
    psql "postgresql://${DEMO_USER.name}@127.0.0.1:${port}/postgres"

  Then try:
    select full_name, email, phone, card_number from customers limit 5;
    select status, count(*), sum(total) from orders group by status;

Ctrl-C stops it.
`;
}
