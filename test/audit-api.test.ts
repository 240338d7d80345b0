// The audit trail on the admin API: search with the CLI's filters, pages, one record, the data access map and the evidence export.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, psql, run } from './helpers/processes.js';
import { startSluice, type RunningSluice } from './helpers/sluice.js';

const DIRECT = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const TABLE = 'audit_api_customers';

interface AuditRecord {
  seq: number;
  ts: string;
  event: string;
  hash: string;
  environment?: string;
  identity?: { name?: string; groups?: string[] };
  statement?: { sql: string; kinds?: string[]; tables?: { name: string; access: string }[]; columns?: { table?: string; name: string; access: string }[] };
  decision?: { action: string; rule?: string };
  masked?: Record<string, { type: string; count: number }>;
}

interface AccessEntry {
  environment: string | null;
  identity: string;
  table: string | null;
  column: string | null;
  read: number;
  write: number;
  masked: number;
  clear: number;
  statements: number;
}

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const ALICE = basic('alice', 'alice-secret-pw'); // admin, sees clear values
const CAROL = basic('carol', 'carol-secret-pw'); // auditor: audit routes only
const BOB = basic('bob', 'bob-secret-pw'); // neither

let proxy: RunningSluice;
let dir: string;
let ports: { dev: number; prod: number };

const trailDir = () => join(dir, 'trail');

async function get(path: string, headers: Record<string, string> = ALICE) {
  const response = await fetch(`http://127.0.0.1:${proxy.sluice.adminAddress()!.port}${path}`, { headers });
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  return { status: response.status, headers: response.headers, text, json };
}

async function search(query: string, headers = ALICE): Promise<{ records: AuditRecord[]; next_cursor?: string; scanned_files: number }> {
  const response = await get(`/api/audit?${query}`, headers);
  expect(response.status, response.text).toBe(200);
  return response.json as never;
}

/**
 * Every record of the trail's files, as written, straight from disk. The sink may rotate between
 * listing the directory and reading a file (audit.jsonl renamed away), so a vanished file means
 * "list again".
 */
async function allRecords(): Promise<AuditRecord[]> {
  for (;;) {
    try {
      const records: AuditRecord[] = [];
      for (const name of await readdir(trailDir())) {
        if (!name.endsWith('.jsonl')) continue;
        const lines = (await readFile(join(trailDir(), name), 'utf8')).split('\n');
        lines.pop(); // a line still being written has no newline yet
        for (const line of lines) if (line.startsWith('{')) records.push(JSON.parse(line) as AuditRecord);
      }
      return records.sort((a, b) => a.seq - b.seq);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

async function trailFileNames(): Promise<string[]> {
  return (await readdir(trailDir())).filter((name) => name.endsWith('.jsonl')).sort();
}

async function waitFor(probe: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-audit-api-'));
  const direct = new pg.Client(DIRECT);
  await direct.connect();
  await direct.query(`drop table if exists ${TABLE}; create table ${TABLE} (id int primary key, name text, email text);
    insert into ${TABLE} select g, 'name ' || g, 'customer' || g || '@example.com' from generate_series(1, 4) g`);
  await direct.end();
  const upstream = '{ host: 127.0.0.1, port: 5432, user: postgres, database: postgres, tls: disable }';
  proxy = await startSluice(`
listeners:
  - { name: pg-dev, dialect: postgres, listen: 127.0.0.1:0, environment: dev, upstream: ${upstream} }
  - { name: pg-prod, dialect: postgres, listen: 127.0.0.1:0, environment: prod, upstream: ${upstream} }
identity:
  users:
    - { name: alice, password: alice-secret-pw, groups: [sluice-admins, pii-readers] }
    - { name: carol, password: carol-secret-pw, groups: [auditors] }
    - { name: bob, password: bob-secret-pw, groups: [analyst] }
admin:
  listen: 127.0.0.1:0
plugins:
  - use: "@sluice/plugin-audit"
    with:
      sinks: [ { type: file, path: ${join(trailDir(), 'audit.jsonl')}, rotate: { max_size: 3000 } } ]
      api: { groups: [auditors] }
  - use: ./plugins/deny-drop.js
  - use: "@sluice/plugin-masking"
    with: { detect: auto, unmasked_groups: [pii-readers] }
`);
  const [dev, prod] = proxy.sluice.addresses();
  ports = { dev: dev!.port, prod: prod!.port };

  const bob = 'bob-secret-pw';
  for (const sql of [`select email from ${TABLE} order by id`, `select email from ${TABLE} where id = 2`, `update ${TABLE} set name = 'renamed' where id = 1`]) {
    expect((await psql(ports.prod, 'bob', bob, sql)).code).toBe(0);
  }
  expect((await psql(ports.prod, 'bob', bob, `drop table ${TABLE}`)).stderr).toContain('DROP is not allowed here');
  expect((await psql(ports.dev, 'alice', 'alice-secret-pw', `select email from ${TABLE} order by id`)).stdout).toContain('customer1@example.com');
  expect((await psql(ports.dev, 'carol', 'carol-secret-pw', `select count(*) from ${TABLE}`)).stdout.trim()).toBe('4');
  expect((await psql(ports.dev, 'carol', 'carol-secret-pw', `select '<script>alert(1)</script>' as probe`)).code).toBe(0);
  // The extended protocol, through pg.
  const client = new pg.Client({ host: '127.0.0.1', port: ports.dev, user: 'bob', password: bob, database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  await client.query(`select name from ${TABLE} where id = $1`, [3]);
  await client.end();
  await waitFor(async () => (await allRecords()).filter((record) => record.event === 'disconnect').length >= 7, 'every session to be recorded');
});

afterAll(async () => {
  await proxy?.stop();
  const direct = new pg.Client(DIRECT);
  await direct.connect();
  await direct.query(`drop table if exists ${TABLE}`);
  await direct.end();
  await rm(dir, { recursive: true, force: true });
});

describe('who may call the audit routes', () => {
  const routes = ['/api/audit', '/api/audit/records/1', '/api/audit/access-map', '/api/audit/export?format=csv', '/api/audit/export?format=html'];

  it.each(routes)('%s: 401 without credentials, 403 outside the admin and auditor groups, 200 for both', async (route) => {
    const anonymous = await get(route, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
    expect((await get(route, basic('alice', 'wrong'))).status).toBe(401);
    const outsider = await get(route, BOB);
    expect(outsider.status).toBe(403);
    expect(outsider.json).toEqual({ error: 'only admins and members of auditors may read the audit trail' });
    expect((await get(route, ALICE)).status).toBe(200);
    expect((await get(route, CAROL)).status).toBe(200);
  });

  it('gives auditors the audit trail and nothing else of the admin API', async () => {
    for (const route of ['/api/sessions', '/metrics', '/api/audit/sinks']) {
      expect((await get(route, CAROL)).status).toBe(403);
      expect((await get(route, ALICE)).status).toBe(200);
    }
  });
});

describe('GET /api/audit', () => {
  it('walks the whole trail newest first in pages, across the rotated files', async () => {
    expect((await trailFileNames()).length).toBeGreaterThan(2);
    const onDisk = (await allRecords()).filter((record) => record.event !== 'checkpoint');
    const seen: AuditRecord[] = [];
    let cursor: string | undefined;
    let pages = 0;
    let scannedMore = false;
    do {
      const page = await search(`limit=4${cursor === undefined ? '' : `&cursor=${cursor}`}`);
      expect(page.records.length).toBeLessThanOrEqual(4);
      if (page.scanned_files > 1) scannedMore = true;
      seen.push(...page.records);
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== undefined && pages < 100);
    expect(scannedMore).toBe(true);
    expect(pages).toBe(Math.ceil(onDisk.length / 4));
    // Taken while sessions may still write, so compare the prefix the pages saw.
    expect(seen.map((record) => record.seq)).toEqual(onDisk.map((record) => record.seq).reverse().slice(0, seen.length));
    expect(seen[seen.length - 1]!.seq).toBe(1);
    expect(seen[0]).toEqual(onDisk[onDisk.length - 1]);
  });

  it('filters like `sluice audit search`, with the same results as the CLI on the same files', async () => {
    const files = (await trailFileNames()).map((name) => join(trailDir(), name));
    const cases: [string, string[], (record: AuditRecord) => boolean][] = [
      ['user=bob', ['--user', 'bob'], (r) => r.identity?.name === 'bob'],
      ['environment=prod', ['--environment', 'prod'], (r) => r.environment === 'prod'],
      [`table=${TABLE}`, ['--table', TABLE], (r) => (r.statement?.tables ?? []).some((t) => t.name.endsWith(TABLE))],
      ['column=email', ['--column', 'email'], (r) => JSON.stringify(r).includes('email')],
      ['decision=deny', ['--decision', 'deny'], (r) => r.decision?.action === 'deny'],
      ['kind=update', ['--kind', 'update'], (r) => (r.statement?.kinds ?? []).includes('update')],
      ['group=auditors&event=query', ['--group', 'auditors', '--event', 'query'], (r) => r.event === 'query' && (r.identity?.groups ?? []).includes('auditors')],
      ['user=bob&environment=dev&text=where%20id', ['--user', 'bob', '--environment', 'dev', '--text', 'where id'], (r) => r.statement?.sql.includes('where id') === true],
    ];
    for (const [query, args, holds] of cases) {
      const { records } = await search(`${query}&limit=500`);
      expect(records.length, query).toBeGreaterThan(0);
      for (const record of records) expect(holds(record), `${query}: seq ${record.seq}`).toBe(true);
      const cli = await run('node', [CLI, 'audit', 'search', ...files, ...args, '--json']);
      expect(cli.code, cli.stderr).toBe(0);
      const cliSeqs = cli.stdout.trim().split('\n').map((line) => (JSON.parse(line) as AuditRecord).seq);
      expect(records.map((record) => record.seq).reverse(), query).toEqual(cliSeqs);
    }
  });

  it('filters masked records and time ranges', async () => {
    const masked = (await search('masked=true&limit=500')).records;
    expect(masked.map((record) => record.statement?.sql)).toEqual([`select email from ${TABLE} where id = 2`, `select email from ${TABLE} order by id`]);
    expect(masked.every((record) => record.identity?.name === 'bob' && record.environment === 'prod')).toBe(true);
    const queries = (await search('event=query&limit=500')).records.reverse();
    const middle = queries[Math.floor(queries.length / 2)]!;
    const since = (await search(`event=query&since=${encodeURIComponent(middle.ts)}&limit=500`)).records;
    expect(since.length).toBeGreaterThan(0);
    expect(since.every((record) => record.ts >= middle.ts)).toBe(true);
    const range = (await search(`event=query&from=${encodeURIComponent(queries[0]!.ts)}&to=${encodeURIComponent(middle.ts)}&limit=500`)).records;
    expect(range.every((record) => record.ts >= queries[0]!.ts && record.ts <= middle.ts)).toBe(true);
    expect(range.length + since.length).toBeGreaterThanOrEqual(queries.length);
    expect((await search('since=2h&event=query&limit=500')).records.length).toBe(queries.length);
    expect((await search('until=1h&limit=500')).records).toEqual([]);
  });

  it('answers 400 with the reason for a bad filter, a bad page size, a foreign cursor and an unknown parameter', async () => {
    expect((await get('/api/audit?decision=maybe')).json).toEqual({ error: 'decision must be allow or deny' });
    expect((await get('/api/audit?since=yesterday')).status).toBe(400);
    expect((await get('/api/audit?limit=0')).json).toEqual({ error: 'limit must be an integer from 1 to 500' });
    expect((await get('/api/audit?limit=501')).status).toBe(400);
    expect((await get('/api/audit?cursor=abc')).json).toEqual({ error: 'cursor is not one this API gave' });
    expect((await get('/api/audit?usr=bob')).json).toEqual({ error: 'unknown query parameter usr' });
    expect((await get('/api/audit?masked=yes')).status).toBe(400);
  });
});

describe('GET /api/audit/records/:id', () => {
  it('returns one full record by its hash or its seq, with its file and line', async () => {
    const [record] = (await search('masked=true&limit=1')).records;
    const byHash = await get(`/api/audit/records/${record!.hash}`);
    expect(byHash.status).toBe(200);
    const body = byHash.json as { record: AuditRecord; file: string; line: number };
    expect(body.record).toEqual(record);
    expect(body.record.masked).toBeDefined();
    const lines = (await readFile(join(trailDir(), body.file), 'utf8')).split('\n');
    expect(JSON.parse(lines[body.line - 1]!)).toEqual(record);
    expect((await get(`/api/audit/records/${record!.seq}`)).json).toEqual(body);
    expect((await get('/api/audit/records/1')).json).toMatchObject({ record: { seq: 1, event: 'connect' } });
  });

  it('answers 404 for a record that does not exist', async () => {
    expect((await get(`/api/audit/records/${'0'.repeat(64)}`)).status).toBe(404);
    expect((await get('/api/audit/records/999999')).status).toBe(404);
    expect((await get('/api/audit/records/not-an-id')).status).toBe(404);
  });
});

describe('GET /api/audit/access-map', () => {
  it('tells who read and wrote which tables and columns, masked or clear, by environment', async () => {
    const { json, status } = await get('/api/audit/access-map');
    expect(status).toBe(200);
    const map = json as { environments: string[]; entries: AccessEntry[]; since: string | null; until: string | null };
    expect(map.environments).toEqual(['dev', 'prod']);
    expect(map.since).toBeNull();
    const entry = (environment: string, identity: string, column: string | null) =>
      map.entries.find((e) => e.environment === environment && e.identity === identity && e.table === TABLE && e.column === column);
    expect(entry('prod', 'bob', 'email')).toMatchObject({ read: 2, write: 0, masked: 2, clear: 0 });
    expect(entry('prod', 'bob', 'name')).toMatchObject({ read: 0, write: 1 });
    expect(entry('prod', 'bob', null)).toMatchObject({ read: 2, write: 1, statements: 3 });
    expect(entry('dev', 'alice', 'email')).toMatchObject({ read: 1, masked: 0, clear: 1 });
    expect(entry('dev', 'bob', 'name')).toMatchObject({ read: 1, masked: 0, clear: 1 });
    expect(entry('dev', 'carol', null)).toMatchObject({ read: 1, write: 0 });
    // The denied DROP touched nothing.
    expect(map.entries.filter((e) => e.identity === 'bob' && e.environment === 'prod').every((e) => e.statements <= 3)).toBe(true);
  });

  it('narrows to an environment, a person and a time range', async () => {
    const prod = (await get('/api/audit/access-map?environment=prod')).json as { environments: string[]; entries: AccessEntry[] };
    expect(prod.environments).toEqual(['prod']);
    expect(new Set(prod.entries.map((e) => e.identity))).toEqual(new Set(['bob']));
    const alice = (await get('/api/audit/access-map?user=alice&since=1h')).json as { entries: AccessEntry[]; since: string };
    expect(new Set(alice.entries.map((e) => e.identity))).toEqual(new Set(['alice']));
    expect(Date.now() - Date.parse(alice.since)).toBeGreaterThan(3_500_000);
    expect(((await get('/api/audit/access-map?until=1h')).json as { entries: AccessEntry[] }).entries).toEqual([]);
  });
});

describe('GET /api/audit/export', () => {
  it('exports a range as CSV, one row per record, with the count and the verification in headers', async () => {
    const queries = (await search('event=query&limit=500')).records;
    const from = queries[queries.length - 1]!.ts;
    const csv = await get(`/api/audit/export?from=${encodeURIComponent(from)}&event=query&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="sluice-audit-\d{8}T\d{6}Z-now\.csv"$/);
    expect(csv.headers.get('x-sluice-verification')).toBe('intact');
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('seq,ts,event,session,user,groups,auth,client,listener,environment,database,kinds,tables,columns,decision,rule,reason,approver,rows,affected,duration_ms,error,masked,sql,hash');
    expect(lines.length - 1).toBe(queries.length);
    expect(csv.headers.get('x-sluice-record-count')).toBe(String(queries.length));
    const maskedRow = lines.find((line) => line.includes(`select email from ${TABLE} order by id`) && line.includes(',bob,'));
    expect(maskedRow).toMatch(/email:email:4/);
    expect(lines.some((line) => line.includes(',deny,no-drop,'))).toBe(true);
  });

  it('exports an HTML report that states the chain verification and the record count', async () => {
    const html = await get('/api/audit/export?format=html&since=1h');
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const count = Number(html.headers.get('x-sluice-record-count'));
    expect(count).toBeGreaterThan(10);
    expect(html.text).toContain(`<dd id="record-count">${count}</dd>`);
    expect(html.text).toMatch(/<p id="verification" data-status="intact">Chain verification: INTACT — \d+ records checked<\/p>/);
    expect(html.text).toContain('select email from audit_api_customers order by id');
    expect(html.text).not.toContain('<script');
    expect(html.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    const files = (await trailFileNames()).map((name) => join(trailDir(), name));
    const verify = await run('node', [CLI, 'audit', 'verify', ...files]);
    expect(verify.code).toBe(0);
    expect(html.text).toContain(verify.stdout.split('\n')[0]!.replace(/&/g, '&amp;'));
  });

  it('reports a tampered trail: the verification line names the altered record', async () => {
    const rotated = (await trailFileNames()).filter((name) => name !== 'audit.jsonl')[0]!;
    const path = join(trailDir(), rotated);
    const original = await readFile(path, 'utf8');
    const lines = original.split('\n');
    const victim = lines.findIndex((line) => line.includes('"event":"connect"'));
    expect(victim).toBeGreaterThanOrEqual(0);
    lines[victim] = lines[victim]!.replace(/"name":"(\w+)"/, '"name":"mallory"');
    expect(lines[victim]).toContain('mallory');
    await writeFile(path, lines.join('\n'));
    try {
      const html = await get('/api/audit/export?format=html');
      expect(html.headers.get('x-sluice-verification')).toBe('tampered');
      expect(html.text).toContain('data-status="tampered"');
      expect(html.text).toMatch(new RegExp(`Chain verification: TAMPERED — TAMPERED ${rotated.replace(/\./g, '\\.')}:${victim + 1} \\(seq \\d+\\): altered`));
      const csv = await get('/api/audit/export?format=csv');
      expect(csv.headers.get('x-sluice-verification')).toBe('tampered');
    } finally {
      await writeFile(path, original);
    }
    expect((await get('/api/audit/export?format=csv')).headers.get('x-sluice-verification')).toBe('intact');
  });

  it('refuses a format it does not know', async () => {
    expect((await get('/api/audit/export?format=pdf')).json).toEqual({ error: 'format must be csv or html' });
  });
});
