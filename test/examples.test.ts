// examples/: every config passes `sluice check` with its secrets from the environment, and the
// environments example runs for real in front of PostgreSQL with the two example plugins.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, psql, run, startProcess } from './helpers/processes.js';

const LISTENING = /"address":"127\.0\.0\.1:(\d+)","msg":"listening"/;
const examples = fileURLToPath(new URL('../examples/', import.meta.url));
const configs = readdirSync(examples).filter((name) => name.endsWith('.yaml')).sort();

/** Every `${env:NAME}` a config reads, each given a value (an empty one where the example's server takes no password). */
function envFor(text: string): Record<string, string> {
  const names = [...text.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((match) => match[1]!);
  return Object.fromEntries(names.map((name) => [name, `${name.toLowerCase()}-from-the-test`]));
}

const EXPECTED: Record<string, string> = {
  'environments.yaml': 'ok (3 listeners, 5 plugins)',
  'mssql.yaml': 'ok (1 listener, 3 plugins)',
  'mysql.yaml': 'ok (1 listener, 3 plugins)',
  'oidc.yaml': 'ok (1 listener, 3 plugins)',
  'postgres.yaml': 'ok (1 listener, 3 plugins)',
};

describe('example configs', () => {
  it('are the ones this test knows, each indexed in examples/README.md', () => {
    expect(configs).toEqual(Object.keys(EXPECTED));
    const index = readFileSync(join(examples, 'README.md'), 'utf8');
    for (const name of [...configs, 'plugins/require-ticket/', 'plugins/row-limit/']) expect(index).toContain(`(${name})`);
  });

  it.each(configs)('%s passes sluice check', async (name) => {
    const file = join(examples, name);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('#'), 'opens with a comment header').toBe(true);
    const result = await run('node', [CLI, 'check', '-c', file], { env: envFor(text) });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(`${file}: ${EXPECTED[name]}`);
    expect(result.code).toBe(0);
  });

  it.each(configs)('%s takes its secrets from the environment', async (name) => {
    const file = join(examples, name);
    const env = envFor(readFileSync(file, 'utf8'));
    const [first] = Object.keys(env);
    expect(first).toBeDefined();
    const result = await run('node', [CLI, 'check', '-c', file], { env: { ...env, [first!]: undefined } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(first);
  });
});

describe('example plugins', () => {
  it('type-check, JavaScript included (JSDoc types, tsc --checkJs)', async () => {
    const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
    const result = await run('node', [tsc, '-p', join(examples, 'tsconfig.json'), '--noEmit'], { timeoutMs: 120_000 });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  }, 150_000);
});

describe('examples/environments.yaml running in front of PostgreSQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-examples-'));
  const schema = 'sluice_examples_e2e';
  const passwords = { ALICE_PASSWORD: 'alice-example-pw', BOB_PASSWORD: 'bob-example-pw' };
  let sluice: ReturnType<typeof startProcess> | undefined;
  const ports: Record<string, number> = {};
  const direct = (sql: string) => run('psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', '5432', '-U', 'postgres', '-d', 'postgres', '-c', sql]);

  beforeAll(async () => {
    const setup = await direct(
      `set client_min_messages = warning; drop schema if exists ${schema} cascade; create schema ${schema};
       create table ${schema}.customers (id int primary key, name text, email text);
       insert into ${schema}.customers select i, 'customer ' || i, 'person' || i || '@example.com' from generate_series(1, 1500) i;`,
    );
    expect(setup.stderr).toBe('');
    expect(setup.code).toBe(0);
    // The example as it is, but on free ports, with its plugin paths pointing at examples/ and its audit trail in a temp dir.
    const text = readFileSync(join(examples, 'environments.yaml'), 'utf8')
      .replace(/listen: 127\.0\.0\.1:\d+/g, 'listen: 127.0.0.1:0')
      .replaceAll('use: ./plugins/', `use: ${join(examples, 'plugins')}/`);
    const file = join(dir, 'environments.yaml');
    writeFileSync(file, text);
    const env = { ...envFor(text), ...passwords, PG_DEV_PASSWORD: '', PG_STAGING_PASSWORD: '', PG_PROD_PASSWORD: '' };
    sluice = startProcess('node', [CLI, 'start', '-c', file], /("msg":"listening"[^\n]*\n[^]*){3}/, { env });
    await sluice.started;
    for (const line of sluice.output().split('\n')) {
      if (!line.includes('"msg":"listening"')) continue;
      const entry = JSON.parse(line) as { listener: string; address: string };
      ports[entry.listener] = Number(entry.address.split(':').pop());
    }
    expect(Object.keys(ports).sort()).toEqual(['pg-dev', 'pg-prod', 'pg-staging']);
  });

  afterAll(async () => {
    sluice?.child.kill('SIGTERM');
    await sluice?.exited;
    await direct(`drop schema if exists ${schema} cascade`);
  });

  const as = (user: 'alice' | 'bob', listener: string, sql: string) =>
    psql(ports[listener]!, user, user === 'alice' ? passwords.ALICE_PASSWORD : passwords.BOB_PASSWORD, sql);

  it('prod: a write needs a ticket comment (require-ticket)', async () => {
    const denied = await as('alice', 'pg-prod', `delete from ${schema}.customers where id = 1`);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('sluice: require-ticket: writes in prod need a change ticket: add /* ticket: ABC-123 */ to the statement');
    const allowed = await as('alice', 'pg-prod', `/* ticket: OPS-7 */ delete from ${schema}.customers where id = 1`);
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
    expect((await direct(`select count(*) from ${schema}.customers where id = 1`)).stdout.trim()).toBe('0');
  });

  it('prod: an analyst gets at most 1000 rows per query (row-limit); smaller results pass, masked', async () => {
    const small = await as('bob', 'pg-prod', `select id, email from ${schema}.customers order by id limit 3`);
    expect(small.stderr).toBe('');
    expect(small.stdout.trim().split('\n')).toEqual(['2|****@example.com', '3|****@example.com', '4|****@example.com']);
    const large = await as('bob', 'pg-prod', `select id from ${schema}.customers`);
    expect(large.code).not.toBe(0);
    expect(large.stderr).toContain('sluice: plugin row-limit failed in onRow: the result has more than 1000 rows, the most group analyst may read in one query');
    expect(large.stdout).toBe(''); // psql shows none of the 1000 rows that came before the error
    // A dba has no limit.
    const dba = await as('alice', 'pg-prod', `select count(*) from (select id from ${schema}.customers) c`);
    expect(dba.stdout.trim()).toBe('1499');
    const all = await as('alice', 'pg-prod', `select id from ${schema}.customers`);
    expect(all.stdout.trim().split('\n')).toHaveLength(1499);
  });

  it('staging: no unbounded writes; dev: no ticket, no row limit, no masking', async () => {
    const staging = await as('bob', 'pg-staging', `update ${schema}.customers set name = 'x'`);
    expect(staging.stderr).toContain('sluice: staging-no-unbounded-write:');
    const dev = await as('bob', 'pg-dev', `update ${schema}.customers set name = 'renamed' where id = 2`);
    expect(dev.stderr).toBe('');
    const rows = await as('bob', 'pg-dev', `select id, email from ${schema}.customers`);
    expect(rows.stdout.trim().split('\n')).toHaveLength(1499);
    expect(rows.stdout).toContain('2|person2@example.com');
  });
});

describe('examples/mysql.yaml running in front of MariaDB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-examples-mysql-'));
  const passwords = { ALICE_PASSWORD: 'alice-example-pw', BOB_PASSWORD: 'bob-example-pw' };
  let sluice: ReturnType<typeof startProcess> | undefined;
  let port = 0;

  beforeAll(async () => {
    const text = readFileSync(join(examples, 'mysql.yaml'), 'utf8').replace(/listen: 127\.0\.0\.1:\d+/, 'listen: 127.0.0.1:0');
    const file = join(dir, 'mysql.yaml');
    writeFileSync(file, text);
    // The machine's MariaDB takes root without a password.
    sluice = startProcess('node', [CLI, 'start', '-c', file], LISTENING, { env: { ...passwords, MYSQL_APP_PASSWORD: '' } });
    port = Number(LISTENING.exec(await sluice.started)![1]);
  });

  afterAll(async () => {
    sluice?.child.kill('SIGTERM');
    await sluice?.exited;
  });

  const connect = async (user: 'alice' | 'bob') => {
    const connection = await mysql.createConnection({ host: '127.0.0.1', port, user, password: user === 'alice' ? passwords.ALICE_PASSWORD : passwords.BOB_PASSWORD, database: 'test' });
    connection.on('error', () => undefined);
    return connection;
  };

  it('masks for analysts, not for dbas, and denies a DELETE without WHERE with MySQL error 1142', async () => {
    const bob = await connect('bob');
    const alice = await connect('alice');
    try {
      const [masked] = await bob.query("SELECT 'ann@example.com' AS email");
      expect(masked).toEqual([{ email: '****@example.com' }]);
      const [clear] = await alice.query("SELECT 'ann@example.com' AS email");
      expect(clear).toEqual([{ email: 'ann@example.com' }]);
      await expect(bob.query('DELETE FROM sluice_examples_nothing')).rejects.toMatchObject({
        errno: 1142,
        sqlState: '42000',
        message: 'sluice: no-unbounded-write: DELETE without WHERE is not allowed',
      });
    } finally {
      await bob.end();
      await alice.end();
    }
  });
});
