// Starts a Sluice in the test process from a YAML config, with its log lines captured.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createLogger, parseConfigText, Sluice } from '@sluice/core';

export const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface RunningSluice {
  readonly sluice: Sluice;
  readonly port: number;
  /** Every log line so far, parsed. */
  readonly logs: Record<string, unknown>[];
  /** The raw log text, for asserting that a secret never appears. */
  logText(): string;
  stop(graceMs?: number): Promise<void>;
}

export async function startSluice(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<RunningSluice> {
  const logs: Record<string, unknown>[] = [];
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const loaded = parseConfigText(yaml, { file: join(fixtures, 'inline.yaml'), env });
  const log = createLogger({ level: 'debug', format: 'json', destination });
  const sluice = await Sluice.create(loaded, { log });
  await sluice.start();
  return {
    sluice,
    port: sluice.addresses()[0]!.port,
    logs,
    logText: () => text,
    stop: (graceMs = 1_000) => sluice.shutdown(graceMs),
  };
}

/** A listener block in front of the PostgreSQL server of the test machine. */
export function postgresListener(extra = ''): string {
  return `
listeners:
  - name: pg-test
    dialect: postgres
    listen: 127.0.0.1:0
    environment: test
    upstream: { host: 127.0.0.1, port: 5432, user: postgres, database: postgres, tls: disable }
${extra}`;
}

export const USERS = `
identity:
  users:
    - { name: alice, password: alice-secret-pw, groups: [dba] }
    - { name: bob, password: bob-secret-pw, groups: [analyst] }
`;

/**
 * A TCP port nothing listens on (1, tcpmux), for a database server that is down. A port only just
 * freed could be handed to another test's listener in the meantime.
 */
export const CLOSED_PORT = 1;
