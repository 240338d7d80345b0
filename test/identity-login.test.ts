// `sluice login`: the device flow against a real provider, its pages scripted, then psql and pg with the token.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_CLIENT, SLUICE_RESOURCE, startIssuer, type TestIssuer } from './helpers/oidc-provider.js';
import { CLI, run } from './helpers/processes.js';
import { startSluice, type RunningSluice } from './helpers/sluice.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-identity-login-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });

let issuer: TestIssuer;
let proxy: RunningSluice;
let configFile: string;

beforeAll(async () => {
  issuer = await startIssuer();
  const yaml = `
listeners:
  - name: pg-sso
    dialect: postgres
    listen: 127.0.0.1:0
    tls: { cert: ${join(dir, 'cert.pem')}, key: ${join(dir, 'key.pem')} }
    upstream: { host: 127.0.0.1, port: 5432, user: postgres, database: postgres, tls: disable }
  - name: mysql-sso
    dialect: mysql
    listen: 127.0.0.1:0
    tls: { cert: ${join(dir, 'cert.pem')}, key: ${join(dir, 'key.pem')} }
    upstream: { host: 127.0.0.1, port: 3306, user: root, tls: disable }
identity:
  oidc:
    issuer: ${issuer.issuer}
    audience: sluice
    scope: openid db
    login: { client_id: ${LOGIN_CLIENT}, resource: "${SLUICE_RESOURCE}" }
`;
  configFile = join(dir, 'sluice.yaml');
  writeFileSync(configFile, yaml);
  proxy = await startSluice(yaml);
});

afterAll(async () => {
  await proxy?.stop(200);
  await issuer?.close();
});

/** Runs `sluice login`, and plays the person: opens the printed link and signs in as `account`. */
async function login(args: string[], account: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'login', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const prompted = new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const link = /To sign in, open (\S+)/.exec(stderr)?.[1];
      if (link) resolve(link);
    });
    child.on('exit', () => reject(new Error(`sluice login exited before prompting:\n${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await issuer.approveDevice(await prompted, account);
  const code = await exited;
  return { code, stdout, stderr };
}

describe('sluice login', () => {
  it('runs the device flow and prints a token the pg driver logs in with, as the person who signed in', async () => {
    const result = await login(['--issuer', issuer.issuer, '--client-id', LOGIN_CLIENT, '--scope', 'openid db', '--resource', SLUICE_RESOURCE], 'alice');
    expect(result.stderr).toMatch(/enter the code [A-Z]{4}-[A-Z]{4}/);
    expect(result.code).toBe(0);
    const token = result.stdout.trim();
    expect(token.split('.')).toHaveLength(3);

    const c = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'sso-user', password: token, database: 'postgres', ssl: { rejectUnauthorized: false } });
    await c.connect();
    expect((await c.query('select 3 as n')).rows).toEqual([{ n: 3 }]);
    await c.end();
    const started = proxy.logs.find((line) => line.msg === 'session started');
    expect(started).toMatchObject({ user: 'alice', auth: 'oidc' });
    expect(proxy.logText()).not.toContain(token);
  });

  it('writes a pgpass entry for the listener, so psql needs no password', async () => {
    const pgpass = join(dir, 'pgpass');
    writeFileSync(pgpass, 'elsewhere.example.com:5432:*:*:keep-me\n');
    const result = await login(['-c', configFile, '--listener', 'pg-sso', '--port', String(proxy.port), '--pgpass', '--file', pgpass], 'bob');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`wrote the token for 127.0.0.1:${proxy.port} to ${pgpass}`);
    const lines = readFileSync(pgpass, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('elsewhere.example.com:5432:*:*:keep-me');
    expect(lines[1]).toMatch(new RegExp(`^127\\.0\\.0\\.1:${proxy.port}:\\*:\\*:[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    expect(statSync(pgpass).mode & 0o777).toBe(0o600);

    const env = { PGPASSFILE: pgpass, PGPASSWORD: '', PGSSLMODE: 'require', PGCONNECT_TIMEOUT: '10' };
    const psql = await run('psql', ['-X', '-At', '-w', '-h', '127.0.0.1', '-p', String(proxy.port), '-U', 'bob', '-d', 'postgres', '-c', 'select 4'], { env });
    expect(psql.stderr).toBe('');
    expect(psql.stdout.trim()).toBe('4');
    expect(proxy.logs.filter((line) => line.msg === 'session started').at(-1)).toMatchObject({ user: 'bob', auth: 'oidc' });
  });

  it('writes a my.cnf [client] group for a MySQL listener, so the mariadb client needs no password', async () => {
    const mycnf = join(dir, 'my.cnf');
    writeFileSync(mycnf, '[mysqld]\nport=3306\n');
    const port = proxy.sluice.addresses().find((address) => address.name === 'mysql-sso')!.port;
    const result = await login(['-c', configFile, '--listener', 'mysql-sso', '--port', String(port), '--mycnf', '--file', mycnf, '--user', 'bob'], 'bob');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`wrote the token for 127.0.0.1:${port} to the [client] group of ${mycnf}`);
    const text = readFileSync(mycnf, 'utf8');
    expect(text).toMatch(/^\[mysqld\]\nport=3306\n\n\[client\]\nhost=127\.0\.0\.1\nport=\d+\nuser=bob\npassword="[\w-]+\.[\w-]+\.[\w-]+"\n\n\[client-mariadb\]\nssl\n$/);
    expect(statSync(mycnf).mode & 0o777).toBe(0o600);

    const mariadb = await run('mariadb', [`--defaults-file=${mycnf}`, '--batch', '--skip-column-names', '-e', 'select 6 * 7']);
    expect(mariadb.stderr).toBe('');
    expect(mariadb.stdout.trim()).toBe('42');
    expect(proxy.logs.filter((line) => line.msg === 'session started').at(-1)).toMatchObject({ user: 'bob', auth: 'oidc' });
  });

  it('says what is missing without starting a flow', async () => {
    const result = await run(process.execPath, [CLI, 'login', '--pgpass']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no issuer');
  });
});
