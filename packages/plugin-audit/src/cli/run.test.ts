// `sluice audit` verify, search, tail and keygen, run in-process with captured output.
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Chain } from '../record/chain.js';
import type { RecordBody } from '../record/types.js';
import type { CliOutput } from './output.js';
import { runCli } from './run.js';

let dir: string;
let out: string;
let err: string;
const output: CliOutput = { out: (text) => void (out += text), err: (text) => void (err += text), columns: 200 };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-audit-cli-'));
  out = '';
  err = '';
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const alice = { sub: 'alice', name: 'alice', groups: ['dba'], auth: 'password' };
const bob = { sub: 'bob', name: 'bob', email: 'bob@example.com', groups: ['analyst'], auth: 'oidc' };

function bodies(): RecordBody[] {
  return [
    { event: 'connect', session: 's-1', identity: alice, client: { addr: '127.0.0.1', application: 'psql' }, decision: { action: 'allow' } },
    { event: 'query', session: 's-1', identity: alice, statement: { sql: 'select email from public.customers', fingerprint: 'a', tables: [{ name: 'public.customers', access: 'read' }], columns: [{ table: 'public.customers', name: 'email', access: 'read' }] }, decision: { action: 'allow' }, result: { rows: 3 }, masked: { 'public.customers.email': { type: 'email', count: 3 } } },
    { event: 'query', session: 's-2', identity: bob, statement: { sql: 'drop table orders', fingerprint: 'b', tables: [{ name: 'orders', access: 'write' }] }, decision: { action: 'deny', rule: 'no-drop', reason: 'DROP is not allowed here' } },
    { event: 'query', session: 's-2', identity: bob, statement: { sql: 'select * from orders', fingerprint: 'c', tables: [{ name: 'orders', access: 'read' }] }, decision: { action: 'allow' }, result: { rows: 10 } },
    { event: 'disconnect', session: 's-1', identity: alice, result: { reason: 'client', statements: 1 } },
  ];
}

async function writeTrail(name = 'audit.jsonl'): Promise<string> {
  const chain = new Chain(undefined, () => new Date('2025-11-23T05:48:00.000Z'));
  const path = join(dir, name);
  await writeFile(path, bodies().map((body) => chain.append(body).line).join(''));
  return path;
}

describe('sluice audit verify', () => {
  it('exits 0 for an intact trail and 1 naming the first altered record', async () => {
    const path = await writeTrail();
    expect(await runCli(['verify', path], output)).toBe(0);
    expect(out).toMatch(/^OK 5 record\(s\), seq 1 to 5, in 1 file\(s\)/);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('drop table orders', 'select 1'));
    out = '';
    expect(await runCli(['verify', path], output)).toBe(1);
    expect(out).toContain(`TAMPERED ${path}:3 (seq 3): altered`);
  });

  it('prints the report as JSON', async () => {
    const path = await writeTrail();
    expect(await runCli(['verify', '--json', path], output)).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ ok: true, records: 5, sealed: false });
  });

  it('exits 2 on usage errors', async () => {
    expect(await runCli(['verify'], output)).toBe(2);
    expect(err).toMatch(/verify needs at least one FILE/);
    expect(await runCli(['verify', '--nope', 'x'], output)).toBe(2);
    expect(await runCli(['verify', join(dir, 'missing.jsonl')], output)).toBe(2);
    expect(await runCli(['frobnicate'], output)).toBe(2);
    expect(await runCli([], output)).toBe(2);
  });

  it('generates a key pair that checks signatures', async () => {
    expect(await runCli(['keygen', join(dir, 'k.pem'), join(dir, 'k.pub')], output)).toBe(0);
    expect((await stat(join(dir, 'k.pem'))).mode & 0o777).toBe(0o600);
    expect(await runCli(['keygen', join(dir, 'k.pem'), join(dir, 'k.pub')], output)).toBe(2);
    const path = await writeTrail();
    expect(await runCli(['verify', '--public-key', join(dir, 'k.pub'), path], output)).toBe(0);
    expect(await runCli(['verify', '--public-key', join(dir, 'k.pem'), path], output)).toBe(2);
  });
});

describe('sluice audit search', () => {
  const search = async (...args: string[]) => {
    out = '';
    expect(await runCli(['search', await writeTrail(), '--json', ...args], output)).toBe(0);
    return out.trim().split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { seq: number }).seq);
  };

  it('filters by user, group, table, column, decision, time and text', async () => {
    expect(await search('--user', 'bob')).toEqual([3, 4]);
    expect(await search('--user', 'BOB@example.com')).toEqual([3, 4]);
    expect(await search('--group', 'dba')).toEqual([1, 2, 5]);
    expect(await search('--table', 'customers')).toEqual([2]);
    expect(await search('--table', 'public.orders')).toEqual([]);
    expect(await search('--column', 'customers.email')).toEqual([2]);
    expect(await search('--decision', 'deny')).toEqual([3]);
    expect(await search('--text', 'DROP')).toEqual([3]);
    expect(await search('--since', '2025-11-23T05:00:00Z', '--until', '2025-11-23T06:00:00Z')).toEqual([1, 2, 3, 4, 5]);
    expect(await search('--since', '1h')).toEqual([]);
    expect(await search('--event', 'disconnect')).toEqual([5]);
  });

  it('prints a readable table', async () => {
    expect(await runCli(['search', await writeTrail(), '--decision', 'deny'], output)).toBe(0);
    const [header, row] = out.trim().split('\n');
    expect(header).toMatch(/^TIME\s+SEQ\s+EVENT\s+USER\s+DECISION\s+TABLES\s+DETAIL$/);
    expect(row).toMatch(/^2025-11-23 05:48:00\s+3\s+query\s+bob\s+DENY\s+orders\s+drop table orders — no-drop: DROP is not allowed here$/);
  });

  it('refuses a bad filter with exit 2', async () => {
    expect(await runCli(['search', await writeTrail(), '--decision', 'maybe'], output)).toBe(2);
    expect(await runCli(['search', await writeTrail(), '--since', 'yesterday-ish'], output)).toBe(2);
  });
});

describe('sluice audit tail', () => {
  it('prints the last N matching records', async () => {
    const path = await writeTrail();
    expect(await runCli(['tail', '-n', '2', '--json', path], output)).toBe(0);
    expect(out.trim().split('\n').map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([4, 5]);
  });

  it('follows new records until stopped', async () => {
    const path = await writeTrail();
    const stop = new AbortController();
    const running = runCli(['tail', '-n', '0', '--follow', '--json', '--user', 'carol', path], output, stop.signal);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const chain = new Chain({ seq: 5, hash: 'f'.repeat(64) });
    const carol = { sub: 'carol', name: 'carol', groups: [], auth: 'password' };
    await appendFile(path, chain.append({ event: 'connect', identity: carol }).line);
    await appendFile(path, chain.append({ event: 'connect', identity: alice }).line);
    const partial = chain.append({ event: 'disconnect', identity: carol }).line;
    await appendFile(path, partial.slice(0, 20));
    await new Promise((resolve) => setTimeout(resolve, 600));
    await appendFile(path, partial.slice(20));
    await new Promise((resolve) => setTimeout(resolve, 600));
    stop.abort();
    expect(await running).toBe(0);
    expect(out.trim().split('\n').map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([6, 8]);
  });
});
