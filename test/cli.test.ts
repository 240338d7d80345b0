// The sluice command: config errors, start with reload and graceful shutdown, and the demo.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, psql, run, startProcess } from './helpers/processes.js';
import { fixtures } from './helpers/sluice.js';

const LISTENING = /"address":"127\.0\.0\.1:(\d+)","msg":"listening"/;
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
const children: { kill(signal?: NodeJS.Signals): boolean }[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

function configFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const VALID = `listeners:
  - name: pg
    dialect: postgres
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: 5432, user: postgres, database: postgres, tls: disable }
identity:
  users:
    - { name: alice, password: "\${env:ALICE_PASSWORD}", groups: [dba] }
`;

describe('sluice --version and --help', () => {
  it('prints the version', async () => {
    const result = await run('node', [CLI, '--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('prints usage', async () => {
    const result = await run('node', [CLI, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('sluice start -c <file>');
  });

  it('refuses an unknown command with exit code 2', async () => {
    const result = await run('node', [CLI, 'frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
  });
});

describe('sluice check', () => {
  const expectConfigError = async (text: string | undefined, expected: RegExp) => {
    const file = text === undefined ? join(dir, 'missing.yaml') : configFile(`bad-${Math.random()}.yaml`, text);
    const result = await run('node', [CLI, 'check', '-c', file], { env: { ALICE_PASSWORD: 'pw' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(expected);
    expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
    return result.stderr;
  };

  it('accepts a valid file', async () => {
    const result = await run('node', [CLI, 'check', '-c', configFile('ok.yaml', VALID)], { env: { ALICE_PASSWORD: 'pw' } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ok (1 listener, 0 plugins)');
  });

  it('names a missing file', async () => {
    await expectConfigError(undefined, /missing\.yaml: cannot read config file: no such file/);
  });

  it('gives the line of a YAML syntax error', async () => {
    await expectConfigError('listeners:\n  - name: pg\n    dialect: [postgres\n', /\.yaml:\d+:\d+: /);
  });

  it('names the path and line of an unknown key', async () => {
    await expectConfigError(VALID.replace('    dialect: postgres', '    dialect: postgres\n    colour: blue'), /\.yaml:4:5: listeners\[0\]\.colour: unknown key/);
  });

  it('names the path and line of a wrong type', async () => {
    await expectConfigError(VALID.replace('port: 5432', 'port: lots'), /\.yaml:5:\d+: listeners\[0\]\.upstream\.port: expected a port number/);
  });

  it('names a missing environment variable without printing any secret', async () => {
    const result = await run('node', [CLI, 'check', '-c', configFile('noenv.yaml', VALID)], { env: { ALICE_PASSWORD: '' } });
    // An empty variable is set: the check passes; an unset one fails.
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/identity\.users\[0\]\.password/);
  });

  it('validates plugin options with the line of the bad option', async () => {
    const file = configFile(
      'plugin.yaml',
      `${VALID}plugins:\n  - use: ${join(fixtures, 'plugins/strict-options.js')}\n    with: { limit: many }\n`,
    );
    const result = await run('node', [CLI, 'check', '-c', file], { env: { ALICE_PASSWORD: 'pw' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/plugin\.yaml:11:\d+: plugins\[0\]\.with\.limit: /);
  });

  it('refuses a plugin that cannot be loaded', async () => {
    await expectConfigError(`${VALID}plugins:\n  - use: ./no-such-plugin.js\n`, /plugins\[0\]\.use: cannot load plugin \.\/no-such-plugin\.js/);
  });
});

describe('sluice start', () => {
  it('serves, reloads on SIGHUP without dropping sessions, refuses a bad reload, and shuts down gracefully', async () => {
    const file = configFile('start.yaml', VALID);
    const sluice = startProcess('node', [CLI, 'start', '-c', file], LISTENING, { env: { ALICE_PASSWORD: 'alice-pw' } });
    children.push(sluice.child);
    const port = Number(LISTENING.exec(await sluice.started)![1]);

    const session = new pg.Client({ host: '127.0.0.1', port, user: 'alice', password: 'alice-pw', database: 'postgres' });
    await session.connect();
    await session.query('create temp table t (id int)');
    await expect(session.query('drop table t')).resolves.toBeDefined();
    await session.query('create temp table t (id int)');

    // Reload with a plugin that denies DROP: the open session keeps going under the new policy.
    writeFileSync(file, `${VALID}plugins:\n  - use: ${join(fixtures, 'plugins/deny-drop.js')}\n`);
    sluice.child.kill('SIGHUP');
    await waitFor(() => sluice.output().includes('config reloaded'));
    await expect(session.query('drop table t')).rejects.toMatchObject({ code: '42501' });
    expect((await session.query('select 1 as one')).rows).toEqual([{ one: 1 }]);

    // A broken file is refused and the running config stays.
    writeFileSync(file, 'listeners: [');
    sluice.child.kill('SIGHUP');
    await waitFor(() => sluice.output().includes('config reload refused'));
    await expect(session.query('drop table t')).rejects.toMatchObject({ code: '42501' });

    // SIGTERM: a session inside a transaction may finish it, then it is closed.
    await session.query('begin');
    const errors: unknown[] = [];
    session.on('error', (error) => errors.push(error));
    sluice.child.kill('SIGTERM');
    await waitFor(() => sluice.output().includes('shutting down'));
    const refused = new pg.Client({ host: '127.0.0.1', port, user: 'alice', password: 'alice-pw', database: 'postgres' });
    await expect(refused.connect()).rejects.toThrow();
    expect((await session.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    await session.query('commit');
    const code = await sluice.exited;
    expect(code).toBe(0);
    expect(errors.map((e) => (e as { code?: string }).code)).toContain('57P01');
    expect(sluice.output()).not.toContain('alice-pw');
  });

  it('reloads through the admin API (POST /api/reload), and refuses a broken file there too', async () => {
    const admin = `admin:\n  listen: 127.0.0.1:0\n  groups: [dba]\n`;
    const file = configFile('api-reload.yaml', `${VALID}${admin}`);
    const ADMIN_LISTENING = /"address":"127\.0\.0\.1:(\d+)","msg":"admin API listening"/;
    const sluice = startProcess('node', [CLI, 'start', '-c', file], ADMIN_LISTENING, { env: { ALICE_PASSWORD: 'alice-pw' } });
    children.push(sluice.child);
    const adminPort = Number(ADMIN_LISTENING.exec(await sluice.started)![1]);
    const port = Number(LISTENING.exec(sluice.output())![1]);
    const reload = async () => {
      const response = await fetch(`http://127.0.0.1:${adminPort}/api/reload`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('alice:alice-pw').toString('base64')}` },
      });
      return { status: response.status, body: (await response.json()) as { reloaded: boolean; error?: string } };
    };
    const session = new pg.Client({ host: '127.0.0.1', port, user: 'alice', password: 'alice-pw', database: 'postgres' });
    await session.connect();
    await session.query('create temp table t (id int)');

    writeFileSync(file, `${VALID}${admin}plugins:\n  - use: ${join(fixtures, 'plugins/deny-drop.js')}\n`);
    expect(await reload()).toEqual({ status: 200, body: { reloaded: true } });
    await expect(session.query('drop table t')).rejects.toMatchObject({ code: '42501' });

    writeFileSync(file, `${VALID}${admin}plugins:\n  - use: ./no-such-plugin.js\n`);
    const refused = await reload();
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ reloaded: false, error: expect.stringContaining('no-such-plugin.js') });
    await expect(session.query('drop table t')).rejects.toMatchObject({ code: '42501' });
    await session.end();
    sluice.child.kill('SIGTERM');
    expect(await sluice.exited).toBe(0);
    expect(sluice.output()).not.toContain('alice-pw');
  });

  it('exits 2 on an invalid config without starting', async () => {
    const result = await run('node', [CLI, 'start', '-c', configFile('bad-start.yaml', 'listeners: []\n')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('listeners');
  });

  it('exits 1 when the listen address is taken', async () => {
    const first = startProcess('node', [CLI, 'start', '-c', configFile('a.yaml', VALID)], LISTENING, { env: { ALICE_PASSWORD: 'x' } });
    children.push(first.child);
    const port = LISTENING.exec(await first.started)![1];
    const result = await run('node', [CLI, 'start', '-c', configFile('b.yaml', VALID.replace('127.0.0.1:0', `127.0.0.1:${port}`))], { env: { ALICE_PASSWORD: 'x' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('EADDRINUSE');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });
});

describe('sluice demo', () => {
  it('starts with no database installed and psql can query through it', async () => {
    const demo = startProcess('node', [CLI, 'demo', '--port', '0'], /psql "postgresql:\/\/demo@127\.0\.0\.1:(\d+)\/postgres"/);
    children.push(demo.child);
    const line = await demo.started;
    const port = Number(/:(\d+)\//.exec(line)![1]);
    const result = await psql(port, 'demo', 'demo', 'select count(*) from customers');
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('20');
    // Masking is on with no configuration: the first customer's contact details come back masked.
    const masked = await psql(port, 'demo', 'demo', 'select email, card_number from customers order by id limit 1');
    expect(masked.stderr).toBe('');
    const [email, card] = masked.stdout.trim().split('|');
    expect(email).toMatch(/^\*+@[\w.-]+$/);
    expect(card).toMatch(/^[*\s-]+\d{4}$/);
    // Guardrails are on too: a DELETE without WHERE is refused.
    const denied = await psql(port, 'demo', 'demo', 'delete from orders');
    expect(denied.stderr).toContain('no-unbounded-writes');
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
  }, 90_000);
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
