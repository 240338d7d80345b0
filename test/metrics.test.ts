// Prometheus metrics at the admin API's /metrics: real psql and pg traffic through Sluice, read back from the exposition.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { psql } from './helpers/processes.js';
import { parseConfigText } from '@sluice/core';
import { mysqlListener } from './helpers/mysql.js';
import { CLOSED_PORT, fixtures, postgresListener, startSluice, type RunningSluice } from './helpers/sluice.js';

const DIRECT = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const TABLE = 'metrics_test_customers';

const USERS = `
identity:
  users:
    - { name: alice, password: alice-secret-pw, groups: [sluice-admins] }
    - { name: bob, password: bob-secret-pw, groups: [analyst] }
    - { name: prometheus, password: scrape-secret-pw, groups: [sluice-admins] }
admin:
  listen: 127.0.0.1:0
`;

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const SCRAPER = basic('prometheus', 'scrape-secret-pw');

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The Prometheus text format, read line by line: `name{a="x",b="y"} value`. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[label[1]!] = label[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(proxy: RunningSluice, headers: Record<string, string> = SCRAPER) {
  const response = await fetch(`http://127.0.0.1:${proxy.sluice.adminAddress()!.port}/metrics`, { headers });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), text };
}

/** The value of one sample; 0 when it is absent (a counter never incremented). */
async function metric(proxy: RunningSluice, name: string, labels: Record<string, string> = {}): Promise<number> {
  const { text } = await scrape(proxy);
  const found = parseExposition(text).filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  return found.reduce((sum, sample) => sum + sample.value, 0);
}

async function waitFor(probe: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function client(port: number, user: string, password: string) {
  const c = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
  c.on('error', () => undefined);
  return c;
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-metrics-'));
  const direct = new pg.Client(DIRECT);
  await direct.connect();
  await direct.query(`drop table if exists ${TABLE}; create table ${TABLE} (id int primary key, name text, email text);
    insert into ${TABLE} select g, 'name ' || g, 'person' || g || '@example.com' from generate_series(1, 5) g`);
  await direct.end();
});

afterAll(async () => {
  const direct = new pg.Client(DIRECT);
  await direct.connect();
  await direct.query(`drop table if exists ${TABLE}`);
  await direct.end();
  await rm(dir, { recursive: true, force: true });
});

describe('with the audit, deny and masking plugins', () => {
  let proxy: RunningSluice;

  beforeAll(async () => {
    proxy = await startSluice(`${postgresListener()}${USERS}
plugins:
  - use: "@sluice/plugin-audit"
    with: { sinks: [ { type: file, path: ${join(dir, 'full', 'audit.jsonl')} } ] }
  - use: ./plugins/deny-drop.js
  - use: "@sluice/plugin-masking"
    with: { detect: auto }
`);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('serves /metrics to the admin group only: 401 without credentials, 403 outside it, 200 with the text format', async () => {
    const anonymous = await scrape(proxy, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).not.toContain('sluice_');
    expect((await scrape(proxy, basic('bob', 'bob-secret-pw'))).status).toBe(403);
    expect((await scrape(proxy, basic('prometheus', 'wrong'))).status).toBe(401);
    const scraped = await scrape(proxy);
    expect(scraped.status).toBe(200);
    expect(scraped.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const names = new Set(parseExposition(scraped.text).map((sample) => sample.name));
    for (const name of ['sluice_process_cpu_user_seconds_total', 'sluice_nodejs_eventloop_lag_seconds', 'sluice_audit_sink_pending_records', 'sluice_audit_sink_up']) {
      expect(names).toContain(name);
    }
  });

  it('counts sessions by listener and auth method, and the active ones while they are open', async () => {
    const before = await metric(proxy, 'sluice_connections_total', { listener: 'pg-test', auth: 'password' });
    const clients = [client(proxy.port, 'alice', 'alice-secret-pw'), client(proxy.port, 'bob', 'bob-secret-pw'), client(proxy.port, 'bob', 'bob-secret-pw')];
    await Promise.all(clients.map((c) => c.connect()));
    expect(await metric(proxy, 'sluice_connections_total', { listener: 'pg-test', auth: 'password' })).toBe(before + 3);
    expect(await metric(proxy, 'sluice_sessions_active', { listener: 'pg-test' })).toBe(3);
    await Promise.all(clients.map((c) => c.end()));
    await waitFor(async () => (await metric(proxy, 'sluice_sessions_active', { listener: 'pg-test' })) === 0, 'sessions to close');
  });

  it('counts refused connections by reason class', async () => {
    const before = await metric(proxy, 'sluice_connections_refused_total', { listener: 'pg-test', reason: 'authentication' });
    const refused = await psql(proxy.port, 'bob', 'not-his-password', 'select 1');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('password authentication failed');
    await waitFor(async () => (await metric(proxy, 'sluice_connections_refused_total', { listener: 'pg-test', reason: 'authentication' })) === before + 1, 'the refusal');
  });

  it('counts psql statements by decision and kind, with the kind of the parse the audit plugin made', async () => {
    const allowed = () => metric(proxy, 'sluice_statements_total', { listener: 'pg-test', decision: 'allow', kind: 'select' });
    const denied = () => metric(proxy, 'sluice_statements_total', { listener: 'pg-test', decision: 'deny', kind: 'drop' });
    const [allowedBefore, deniedBefore] = [await allowed(), await denied()];
    const selects = await psql(proxy.port, 'bob', 'bob-secret-pw', `select count(*) from ${TABLE}`);
    expect(selects.stdout.trim()).toBe('5');
    const drop = await psql(proxy.port, 'bob', 'bob-secret-pw', `drop table ${TABLE}`);
    expect(drop.stderr).toContain('DROP is not allowed here');
    expect(await allowed()).toBe(allowedBefore + 1);
    expect(await denied()).toBe(deniedBefore + 1);
  });

  it('counts masked values by type from what the masking plugin masked', async () => {
    const before = await metric(proxy, 'sluice_masked_values_total', { type: 'email' });
    const result = await psql(proxy.port, 'bob', 'bob-secret-pw', `select email from ${TABLE} order by id`);
    expect(result.stdout).not.toContain('person1@example.com');
    expect(await metric(proxy, 'sluice_masked_values_total', { type: 'email' })).toBe(before + 5);
  });

  it('measures upstream time and proxy overhead separately', async () => {
    const upstreamSum = () => metric(proxy, 'sluice_statement_upstream_seconds_sum', { listener: 'pg-test' });
    const [sumBefore, countBefore, proxyCountBefore] = [
      await upstreamSum(),
      await metric(proxy, 'sluice_statement_upstream_seconds_count', { listener: 'pg-test' }),
      await metric(proxy, 'sluice_statement_proxy_seconds_count', { listener: 'pg-test' }),
    ];
    const c = client(proxy.port, 'bob', 'bob-secret-pw');
    await c.connect();
    await c.query('select pg_sleep(0.3)');
    // The extended protocol (a parameter makes pg send Parse/Bind/Execute) is timed as well.
    await c.query('select pg_sleep($1::float8)', [0.2]);
    await c.end();
    const spent = (await upstreamSum()) - sumBefore;
    expect(spent).toBeGreaterThanOrEqual(0.5);
    expect(spent).toBeLessThan(5);
    expect(await metric(proxy, 'sluice_statement_upstream_seconds_count', { listener: 'pg-test' })).toBeGreaterThanOrEqual(countBefore + 2);
    expect(await metric(proxy, 'sluice_statement_proxy_seconds_count', { listener: 'pg-test' })).toBeGreaterThanOrEqual(proxyCountBefore + 2);
    const duration = await metric(proxy, 'sluice_statement_duration_seconds_sum', { listener: 'pg-test' });
    const overhead = await metric(proxy, 'sluice_statement_proxy_seconds_sum', { listener: 'pg-test' });
    // Overhead is what the proxy adds: far below the sleeping the server did.
    expect(overhead).toBeLessThan(0.3);
    expect(duration).toBeGreaterThanOrEqual(spent);
    // A statement denied before reaching the server has a duration but no upstream time.
    const first = await metric(proxy, 'sluice_statement_upstream_first_byte_seconds_count', { listener: 'pg-test' });
    await psql(proxy.port, 'bob', 'bob-secret-pw', 'drop table nothing_here');
    expect(await metric(proxy, 'sluice_statement_upstream_first_byte_seconds_count', { listener: 'pg-test' })).toBe(first);
  });

  it('reports the audit file sink: up, nothing pending, no lag', async () => {
    await psql(proxy.port, 'bob', 'bob-secret-pw', 'select 1');
    // One scrape must show both: the session's disconnect record may arrive between two scrapes
    // and wait its turn, which is lag for the few milliseconds it waits.
    await waitFor(async () => {
      const samples = parseExposition((await scrape(proxy)).text).filter((sample) => sample.labels.kind === 'file');
      const value = (name: string) => samples.find((sample) => sample.name === name)?.value;
      return value('sluice_audit_sink_pending_records') === 0 && value('sluice_audit_sink_lag_seconds') === 0;
    }, 'the file sink to catch up: nothing pending, no lag');
    expect(await metric(proxy, 'sluice_audit_sink_up', { kind: 'file' })).toBe(1);
    const ready = await fetch(`http://127.0.0.1:${proxy.sluice.adminAddress()!.port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: [{ name: 'audit', ok: true }] });
  });

  it('keeps counting across a reload: plugin metrics are registered again without a clash', async () => {
    const before = await metric(proxy, 'sluice_connections_total', { listener: 'pg-test' });
    expect(before).toBeGreaterThan(0);
    const reloaded = parseConfigText(
      `${postgresListener()}${USERS}
plugins:
  - use: "@sluice/plugin-audit"
    with: { sinks: [ { type: file, path: ${join(dir, 'full', 'audit.jsonl')} } ] }
`,
      { file: join(fixtures, 'inline.yaml') },
    );
    await proxy.sluice.reload(reloaded);
    await psql(proxy.port, 'bob', 'bob-secret-pw', 'select 1');
    expect(await metric(proxy, 'sluice_connections_total', { listener: 'pg-test' })).toBe(before + 1);
    expect(await metric(proxy, 'sluice_audit_sink_up', { kind: 'file' })).toBe(1);
  });
});

describe('a statement held for approval', () => {
  let proxy: RunningSluice;

  beforeAll(async () => {
    proxy = await startSluice(`${postgresListener()}${USERS.replace('admin:', '    - { name: dana, password: dana-secret-pw, groups: [dba] }\nadmin:')}
plugins:
  - use: "@sluice/plugin-guardrails"
    with:
      rules:
        - { name: review-metrics-updates, match: { statement: [update], tables: [${TABLE}] }, action: require_approval, approvers: [dba] }
`);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('counts the hold, then the statement with the decision it finally got', async () => {
    const c = client(proxy.port, 'bob', 'bob-secret-pw');
    await c.connect();
    const update = c.query(`update ${TABLE} set name = name where id = 1`);
    const admin = `http://127.0.0.1:${proxy.sluice.adminAddress()!.port}`;
    const dana = basic('dana', 'dana-secret-pw');
    let id: string | undefined;
    await waitFor(async () => {
      const listed = (await (await fetch(`${admin}/api/approvals`, { headers: dana })).json()) as { approvals: { id: string }[] };
      id = listed.approvals[0]?.id;
      return id !== undefined;
    }, 'the hold');
    expect(await metric(proxy, 'sluice_statements_held_total', { listener: 'pg-test' })).toBe(1);
    expect((await fetch(`${admin}/api/approvals/${id}/approve`, { method: 'POST', headers: dana })).status).toBe(200);
    expect((await update).rowCount).toBe(1);
    await c.end();
    expect(await metric(proxy, 'sluice_statements_total', { listener: 'pg-test', decision: 'allow', kind: 'update' })).toBe(1);
  });
});

describe('without a plugin that parses', () => {
  let proxy: RunningSluice;

  beforeAll(async () => {
    proxy = await startSluice(`${postgresListener()}${USERS}`);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('never parses for metrics: every statement counts as kind unknown', async () => {
    const result = await psql(proxy.port, 'alice', 'alice-secret-pw', `select count(*) from ${TABLE}`);
    expect(result.stdout.trim()).toBe('5');
    expect(await metric(proxy, 'sluice_statements_total', { decision: 'allow', kind: 'unknown' })).toBe(1);
    expect(await metric(proxy, 'sluice_statements_total', { kind: 'select' })).toBe(0);
  });
});

describe('an upstream that is down and an audit sink that cannot write', () => {
  let proxy: RunningSluice;
  let closedPort: number;

  beforeAll(async () => {
    closedPort = CLOSED_PORT;
    // A regular file where the audit directory should be: the file sink cannot create its file.
    await writeFile(join(dir, 'not-a-directory'), 'x');
    proxy = await startSluice(`
listeners:
  - name: pg-down
    dialect: postgres
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: ${closedPort}, user: postgres, database: postgres, tls: disable }
${USERS}
plugins:
  - use: "@sluice/plugin-audit"
    with:
      sinks:
        - { type: file, path: ${join(dir, 'not-a-directory', 'audit.jsonl')}, on_failure: buffer }
        - { type: webhook, url: "http://127.0.0.1:${closedPort}/siem", on_failure: buffer, spool: { dir: ${join(dir, 'spool')}, max_size: 2kb } }
`);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('counts upstream connect errors, and /readyz names the unreachable upstream and the failing sink', async () => {
    // Before any record: the file sink has not tried to write yet, readiness probes that it could.
    const early = await fetch(`http://127.0.0.1:${proxy.sluice.adminAddress()!.port}/readyz`);
    expect(early.status).toBe(503);
    expect(await early.json()).toMatchObject({ checks: [{ name: 'audit', ok: false, detail: 'file sink cannot write (ENOTDIR)' }] });
    const result = await psql(proxy.port, 'alice', 'alice-secret-pw', 'select 1');
    expect(result.code).not.toBe(0);
    expect(await metric(proxy, 'sluice_upstream_connect_errors_total', { listener: 'pg-down' })).toBe(1);
    await waitFor(async () => (await metric(proxy, 'sluice_audit_sink_up', { kind: 'file' })) === 0, 'the sink to report its failure');
    const ready = await fetch(`http://127.0.0.1:${proxy.sluice.adminAddress()!.port}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { status: string; upstreams: unknown[]; checks: { name: string; ok: boolean; detail?: string }[] };
    expect(body).toMatchObject({ status: 'not ready', upstreams: [{ listener: 'pg-down', reachable: false }], checks: [{ name: 'audit', ok: false, detail: 'file sink failing; file sink cannot write (ENOTDIR)' }] });
    expect(JSON.stringify(body)).not.toContain(dir);
    expect(await metric(proxy, 'sluice_audit_sink_pending_records', { kind: 'file' })).toBeGreaterThan(0);
  });

  it('shows the webhook spool filling while its endpoint is down, then the records it had to drop', async () => {
    // Every refused login is a record; the 2 KB spool holds only a few.
    for (let i = 0; i < 8; i++) await psql(proxy.port, 'alice', 'wrong-password', 'select 1');
    await waitFor(async () => (await metric(proxy, 'sluice_audit_records_dropped', { kind: 'webhook' })) > 0, 'the spool to overflow');
    const spooled = await metric(proxy, 'sluice_audit_spool_bytes');
    expect(spooled).toBeGreaterThan(0);
    expect(spooled).toBeLessThanOrEqual(2048);
    expect(await metric(proxy, 'sluice_audit_sink_up', { kind: 'webhook' })).toBe(0);
  });
});

describe('a MySQL listener', () => {
  let proxy: RunningSluice;

  beforeAll(async () => {
    proxy = await startSluice(`${mysqlListener()}${USERS}
plugins:
  - use: ./plugins/deny-drop.js
`);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('measures upstream time for text and prepared statements, none for a denied one', async () => {
    const listener = { listener: 'my-test' };
    const sumBefore = await metric(proxy, 'sluice_statement_upstream_seconds_sum', listener);
    const countBefore = await metric(proxy, 'sluice_statement_upstream_first_byte_seconds_count', listener);
    const connection = await mysql.createConnection({ host: '127.0.0.1', port: proxy.port, user: 'bob', password: 'bob-secret-pw', database: 'test' });
    try {
      await connection.query('select sleep(0.3)');
      await connection.execute('select sleep(?)', [0.2]);
      const spent = (await metric(proxy, 'sluice_statement_upstream_seconds_sum', listener)) - sumBefore;
      expect(spent).toBeGreaterThanOrEqual(0.5);
      expect(spent).toBeLessThan(5);
      const counted = await metric(proxy, 'sluice_statement_upstream_first_byte_seconds_count', listener);
      expect(counted).toBeGreaterThanOrEqual(countBefore + 3); // the query, the prepare, the execute
      await expect(connection.query('drop table nothing_here')).rejects.toMatchObject({ errno: 1142 });
      expect(await metric(proxy, 'sluice_statement_upstream_first_byte_seconds_count', listener)).toBe(counted);
    } finally {
      await connection.end();
    }
  });
});
