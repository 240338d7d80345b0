import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfigText, type ConfigIssue } from './index.js';

const FILE = '/etc/sluice/sluice.yaml';
const ENV = { PG_APP_PASSWORD: 'pg-secret', ALICE_PASSWORD: 'alice-secret' };

const DESIGN_EXAMPLE = `
listeners:
  - name: pg-prod
    dialect: postgres                 # loads @sluice/driver-postgres
    listen: 127.0.0.1:6432
    environment: prod                 # tag that policies match on
    tls: { cert: ./tls/server.crt, key: ./tls/server.key }
    upstream:
      host: 127.0.0.1
      port: 5432
      user: app_rw
      password: \${env:PG_APP_PASSWORD}
      tls: prefer                     # disable | prefer | require | verify-full

identity:
  users:
    - name: alice
      password: \${env:ALICE_PASSWORD}
      groups: [dba]

plugins:
  - use: "@sluice/plugin-audit"
    with: { sinks: [ { type: file, path: ./audit/audit.jsonl } ] }
  - use: "@sluice/plugin-guardrails"
    with:
      rules:
        - { name: no-drop-in-prod, match: { environment: prod, statement: [drop, truncate] }, action: deny }
        - { name: review-ddl, match: { environment: prod, statement: [alter, create] }, action: require_approval }
        - { name: no-unbounded-delete, match: { statement: [delete, update], where: absent }, action: deny }
  - use: "@sluice/plugin-masking"
    with: { detect: auto, unmasked_groups: [pii-readers] }
  - use: ./plugins/my-policy.js       # a local plugin file works the same way
`;

const MINIMAL = `
listeners:
  - name: pg
    dialect: postgres
    listen: 127.0.0.1:6432
    upstream: { host: db.internal, port: 5432 }
`;

function parse(text: string, env: NodeJS.ProcessEnv = ENV) {
  return parseConfigText(text, { file: FILE, env });
}

/** Line and column where the `occurrence`-th (0-based) `snippet` starts in `text`. */
function positionOf(text: string, snippet: string, occurrence = 0): { line: number; column: number } {
  let offset = -1;
  for (let seen = 0; seen <= occurrence; seen++) {
    offset = text.indexOf(snippet, offset + 1);
    if (offset < 0) throw new Error(`snippet ${snippet} not found`);
  }
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** The issues of the ConfigError that parsing `text` throws. */
function issuesOf(text: string, env: NodeJS.ProcessEnv = ENV): readonly ConfigIssue[] {
  try {
    parse(text, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfigText: valid configs', () => {
  it('parses the DESIGN.md example', () => {
    const loaded = parse(DESIGN_EXAMPLE);
    expect(loaded.file).toBe(FILE);
    expect(loaded.dir).toBe('/etc/sluice');
    expect(loaded.config).toEqual({
      listeners: [
        {
          name: 'pg-prod',
          dialect: 'postgres',
          listen: { host: '127.0.0.1', port: 6432 },
          environment: 'prod',
          tls: { cert: '/etc/sluice/tls/server.crt', key: '/etc/sluice/tls/server.key' },
          upstream: { host: '127.0.0.1', port: 5432, user: 'app_rw', password: 'pg-secret', tls: 'prefer' },
        },
      ],
      identity: { users: [{ name: 'alice', password: 'alice-secret', groups: ['dba'] }] },
      plugins: [
        { use: '@sluice/plugin-audit', with: { sinks: [{ type: 'file', path: './audit/audit.jsonl' }] } },
        {
          use: '@sluice/plugin-guardrails',
          with: {
            rules: [
              { name: 'no-drop-in-prod', match: { environment: 'prod', statement: ['drop', 'truncate'] }, action: 'deny' },
              { name: 'review-ddl', match: { environment: 'prod', statement: ['alter', 'create'] }, action: 'require_approval' },
              { name: 'no-unbounded-delete', match: { statement: ['delete', 'update'], where: 'absent' }, action: 'deny' },
            ],
          },
        },
        { use: '@sluice/plugin-masking', with: { detect: 'auto', unmasked_groups: ['pii-readers'] } },
        { use: './plugins/my-policy.js' },
      ],
      logging: { level: 'info', format: 'auto' },
      timeouts: { connect: 10_000, idle: 0, shutdown: 30_000 },
    });
  });

  it('parses oidc, giving groups_claim its default', () => {
    const text = `${MINIMAL}
identity:
  oidc:
    issuer: https://idp.example.com
    audience: sluice
`;
    expect(parse(text).config.identity).toEqual({
      users: [],
      oidc: { issuer: 'https://idp.example.com', audience: 'sluice', groups_claim: 'groups' },
    });
    const custom = text.replace('audience: sluice', 'audience: sluice\n    groups_claim: roles');
    expect(parse(custom).config.identity.oidc?.groups_claim).toBe('roles');
  });

  it('applies every default to a minimal config', () => {
    expect(parse(MINIMAL).config).toEqual({
      listeners: [
        {
          name: 'pg',
          dialect: 'postgres',
          listen: { host: '127.0.0.1', port: 6432 },
          upstream: { host: 'db.internal', port: 5432, tls: 'prefer' },
        },
      ],
      identity: { users: [] },
      plugins: [],
      logging: { level: 'info', format: 'auto' },
      timeouts: { connect: 10_000, idle: 0, shutdown: 30_000 },
    });
  });

  it('fills in defaults next to values that are given', () => {
    const text = `${MINIMAL}
identity: { users: [ { name: svc, password: pw } ] }
logging: { format: json }
timeouts: { idle: 5m }
`;
    const { config } = parse(text);
    expect(config.identity.users).toEqual([{ name: 'svc', password: 'pw', groups: [] }]);
    expect(config.logging).toEqual({ level: 'info', format: 'json' });
    expect(config.timeouts).toEqual({ connect: 10_000, idle: 300_000, shutdown: 30_000 });
  });

  it('converts durations to milliseconds, and keeps per-listener timeout overrides', () => {
    const text = `${MINIMAL}    timeouts: { connect: 250ms, idle: 1h }
timeouts: { connect: 30s, idle: 1500, shutdown: 5m }
`;
    const { config } = parse(text);
    expect(config.listeners[0]?.timeouts).toEqual({ connect: 250, idle: 3_600_000 });
    expect(config.timeouts).toEqual({ connect: 30_000, idle: 1_500, shutdown: 300_000 });
  });

  it('resolves tls and ca paths against the config file directory, keeping absolute ones', () => {
    const text = `
listeners:
  - name: my.listener_1
    dialect: mysql
    listen: "[::1]:3307"
    tls: { cert: certs/server.crt, key: /keys/server.key, ca: ../ca.pem }
    upstream: { host: localhost, port: 3306, tls: verify-full, ca: ./upstream-ca.pem }
`;
    const [listener] = parse(text).config.listeners;
    expect(listener?.listen).toEqual({ host: '::1', port: 3307 });
    expect(listener?.tls).toEqual({ cert: '/etc/sluice/certs/server.crt', key: '/keys/server.key', ca: '/etc/ca.pem' });
    expect(listener?.upstream).toMatchObject({ tls: 'verify-full', ca: '/etc/sluice/upstream-ca.pem' });
  });

  it('accepts an upstream port given as a string, as ${env:...} produces', () => {
    // Inside a flow mapping `{` is syntax, so the reference must be quoted there.
    const text = MINIMAL.replace('port: 5432', 'port: "${env:PG_PORT}"');
    expect(parse(text, { PG_PORT: '5433' }).config.listeners[0]?.upstream.port).toBe(5433);
  });

  it('locates values for later error reports, falling back to the nearest ancestor', () => {
    const loaded = parse(DESIGN_EXAMPLE);
    const at = (snippet: string, occurrence?: number) => positionOf(DESIGN_EXAMPLE, snippet, occurrence);
    expect(loaded.locate(['plugins', 1, 'with', 'rules', 1, 'action'])).toEqual(at('require_approval'));
    expect(loaded.locate(['listeners', 0, 'upstream', 'port'])).toEqual(at('5432'));
    expect(loaded.locate(['identity', 'users', 0])).toEqual(at('name: alice'));
    expect(loaded.locate(['plugins', 3, 'with', 'rules'])).toEqual(at('use: ./plugins'));
    expect(loaded.locate([])).toEqual(at('listeners:'));
  });
});

describe('loadConfigFile', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads a file and resolves paths against its directory', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-config-'));
    const file = path.join(dir, 'sluice.yaml');
    await writeFile(file, `${MINIMAL}    tls: { cert: tls/c.pem, key: tls/k.pem }\n`);
    const loaded = await loadConfigFile(file, {});
    expect(loaded.dir).toBe(dir);
    expect(loaded.config.listeners[0]?.tls).toEqual({ cert: path.join(dir, 'tls/c.pem'), key: path.join(dir, 'tls/k.pem') });
  });

  it('reports a missing file as one clear issue', async () => {
    const error = await loadConfigFile('/nonexistent/sluice.yaml').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([{ path: '', message: 'cannot read config file: no such file' }]);
    expect((error as ConfigError).message).toBe('/nonexistent/sluice.yaml: cannot read config file: no such file');
    expect((error as ConfigError).stack).not.toMatch(/\n\s+at /);
  });
});

describe('parseConfigText: errors', () => {
  it('reports the first YAML syntax error with its line', () => {
    const text = MINIMAL.replace('    listen:', '   listen:') + 'plugins: [\n';
    expect(issuesOf(text)).toEqual([
      { path: '', line: 5, column: 1, message: 'invalid YAML: sequence item without - indicator' },
    ]);
    expect(issuesOf(`${MINIMAL}plugins:\n\t- use: x\n`)).toEqual([
      { path: '', line: 8, column: 1, message: 'invalid YAML: tabs are not allowed as indentation' },
    ]);
  });

  it('formats the message as file:line:col: path: message', () => {
    expect(() => parse(MINIMAL.replace('upstream:', 'upstreem:'))).toThrow(
      `${FILE}:3:5: listeners[0].upstream: required\n${FILE}:6:5: listeners[0].upstreem: unknown key`,
    );
  });

  it('rejects duplicate keys, naming the duplicate', () => {
    const text = MINIMAL.replace('dialect: postgres', 'dialect: postgres\n    dialect: mysql');
    expect(issuesOf(text)).toEqual([{ path: 'listeners[0].dialect', line: 5, column: 5, message: 'duplicate key' }]);
  });

  it('rejects an unknown key at the top level', () => {
    expect(issuesOf(`${MINIMAL}logs: { level: debug }\n`)).toEqual([{ path: 'logs', line: 7, column: 1, message: 'unknown key' }]);
  });

  it('rejects unknown keys nested deeply, each at its own key', () => {
    const text = `${MINIMAL}    tls: { cert: a, key: b, chain: c }
identity:
  users: [ { name: a, password: b, role: admin } ]
  oidc: { issuer: "https://idp", audience: x, claims: y }
`;
    expect(issuesOf(text)).toEqual([
      { path: 'listeners[0].tls.chain', ...positionOf(text, 'chain'), message: 'unknown key' },
      { path: 'identity.users[0].role', ...positionOf(text, 'role'), message: 'unknown key' },
      { path: 'identity.oidc.claims', ...positionOf(text, 'claims'), message: 'unknown key' },
    ]);
  });

  it('reports a wrong type with the path and line of the value', () => {
    const text = `${MINIMAL}identity:\n  users:\n    - { name: a, password: b, groups: dba }\n`;
    expect(issuesOf(text)).toEqual([
      { path: 'identity.users[0].groups', ...positionOf(text, 'dba'), message: 'expected a list, got a string' },
    ]);
    const listOfPorts = MINIMAL.replace('port: 5432', 'port: [5432]');
    expect(issuesOf(listOfPorts)).toEqual([
      { path: 'listeners[0].upstream.port', ...positionOf(listOfPorts, '[5432]'), message: 'expected a port number from 1 to 65535' },
    ]);
  });

  it('reports enum values and missing keys, placing a missing key at its parent', () => {
    const text = `
listeners:
  - name: pg
    dialect: postgres
    listen: 127.0.0.1:6432
    upstream:
      port: 5432
      tls: always
logging: { level: loud }
`;
    expect(issuesOf(text)).toEqual([
      { path: 'listeners[0].upstream.host', line: 7, column: 7, message: 'required' },
      { path: 'listeners[0].upstream.tls', line: 8, column: 12, message: 'expected one of disable, prefer, require, verify-full' },
      { path: 'logging.level', line: 9, column: 19, message: 'expected one of trace, debug, info, warn, error, fatal' },
    ]);
  });

  it.each([
    ['6432', 'expected host:port, e.g. 127.0.0.1:6432 or [::1]:6432'],
    ['localhost:70000', 'port must be an integer from 0 to 65535'],
    ['::1:6432', 'an IPv6 host must be written in brackets, e.g. [::1]:6432'],
  ])('rejects the listen address %j', (address, message) => {
    expect(issuesOf(MINIMAL.replace('127.0.0.1:6432', `"${address}"`))).toEqual([
      { path: 'listeners[0].listen', line: 5, column: 13, message },
    ]);
  });

  it('explains a listen address that is not a string', () => {
    expect(issuesOf(MINIMAL.replace('listen: 127.0.0.1:6432', 'listen: 6432'))).toEqual([
      { path: 'listeners[0].listen', line: 5, column: 13, message: 'expected host:port, e.g. 127.0.0.1:6432 or [::1]:6432' },
    ]);
  });

  it('still reports an unknown key whose value could not be interpolated', () => {
    const text = `${MINIMAL}    passwd: \${env:NOPE}\n`;
    expect(issuesOf(text)).toEqual([
      { path: 'listeners[0].passwd', line: 7, column: 5, message: 'unknown key' },
      { path: 'listeners[0].passwd', line: 7, column: 13, message: 'environment variable NOPE is not set' },
    ]);
  });

  it('rejects duplicate listener names at the duplicate', () => {
    const text = `${MINIMAL}  - name: other
    dialect: mysql
    listen: 127.0.0.1:3307
    upstream: { host: db, port: 3306 }
  - name: pg
    dialect: mssql
    listen: 127.0.0.1:1434
    upstream: { host: db, port: 1433 }
`;
    expect(issuesOf(text)).toEqual([
      { path: 'listeners[2].name', line: 11, column: 11, message: 'duplicate listener name (already used by item 0)' },
    ]);
  });

  it('still reports duplicate listener names when another listener is invalid', () => {
    const text = `${MINIMAL}  - name: pg\n    dialect: Postgres\n    listen: 127.0.0.1:1\n    upstream: { host: db, port: 1 }\n`;
    expect(issuesOf(text).map((issue) => issue.path)).toEqual(['listeners[1].name', 'listeners[1].dialect']);
  });

  it('rejects bad listener names, user duplicates and empty lists', () => {
    expect(issuesOf(MINIMAL.replace('name: pg', 'name: -pg'))[0]?.message).toMatch(/^must start with a letter or digit/);
    const users = `${MINIMAL}identity:\n  users: [ { name: a, password: x }, { name: a, password: y } ]\n`;
    expect(issuesOf(users)).toEqual([
      { path: 'identity.users[1].name', ...positionOf(users, 'a, password: y'), message: 'duplicate user name (already used by item 0)' },
    ]);
    expect(issuesOf('listeners: []\n')).toEqual([{ path: 'listeners', line: 1, column: 12, message: 'must have at least 1 item' }]);
  });

  it('rejects a bad duration', () => {
    expect(issuesOf(`${MINIMAL}timeouts: { connect: 10 seconds, idle: -5 }\n`)).toEqual([
      { path: 'timeouts.connect', line: 7, column: 22, message: 'expected a duration such as 250ms, 30s, 5m, 1h or a number of milliseconds' },
      { path: 'timeouts.idle', line: 7, column: 40, message: 'expected a duration such as 250ms, 30s, 5m, 1h or a number of milliseconds' },
    ]);
  });

  it('reports an empty file or a non-mapping document at the start', () => {
    expect(issuesOf('')).toEqual([{ path: '', line: 1, column: 1, message: 'expected a mapping, got null' }]);
    expect(issuesOf('- a\n')).toEqual([{ path: '', line: 1, column: 1, message: 'expected a mapping, got a list' }]);
  });

  it('reports every problem at once, in file order', () => {
    const text = `
timeouts: { connect: never }
listeners:
  - name: pg
    dialect: postgres
    listen: nowhere
    upstream: { host: db, port: 0, tls: off }
plugins: [ { use: "" } ]
`;
    expect(issuesOf(text).map((issue) => `${issue.line}: ${issue.path}`)).toEqual([
      '2: timeouts.connect',
      '6: listeners[0].listen',
      '7: listeners[0].upstream.port',
      '7: listeners[0].upstream.tls',
      '8: plugins[0].use',
    ]);
  });
});
