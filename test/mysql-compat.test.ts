// Real MySQL/MariaDB clients get the same results through Sluice as directly: the mariadb CLI (and mariadb-admin),
// mysql2, MariaDB Connector/J and PyMySQL.
//
// Every scenario runs against MariaDB directly and through three Sluice configurations — no plugins; the recorder
// plugin (every hook, rows not decoded) with the clients talking TLS to Sluice; and a plugin that asks for every column
// and hands every value back unchanged (so each row is decoded and encoded again, text and binary) — and each client
// prints what it got as stable text.
// A test compares one Sluice configuration's text with the direct text, exactly. Clients this machine lacks are
// skipped with the reason in the test name; scripts/test.sh installs them. Each client and target works in its own
// database, `sluice_compat_<random>_<client>_<target>`, dropped at the end. MYSQL_COMPAT_DUMP=DIR writes every
// output to a file in DIR, to read what a client printed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTOR_J_SCENARIOS, PYMYSQL_SCENARIOS, type MysqlProgramScenario } from './compat/mysql/program-scenarios.js';
import { MARIADB_CLI_SCENARIOS } from './compat/mysql/mariadb-cli-scenarios.js';
import { MYSQL2_SCENARIOS, type MysqlInProcessScenario } from './compat/mysql/mysql2-scenarios.js';
import { normalize, sections, SYSTEM_PYTHON, Transcript, type Availability, type Target } from './helpers/compat.js';
import {
  compileConnectorJScenarios,
  CONNECTOR_J_JAR,
  connectorJAvailability,
  directMariadb,
  foldLongLines,
  mariadbCliAvailability,
  MYSQL_COMPAT_DIR,
  MYSQL_DIRECT,
  mysqlProgramEnv,
  mysqlRunOf,
  type MysqlRun,
  type MysqlTarget,
  pymysqlAvailability,
  runClient,
  summarizeOutput,
  uniqueDatabasePrefix,
} from './helpers/mysql-compat.js';
import { startSluice, USERS, type RunningSluice } from './helpers/sluice.js';

const cliHere = mariadbCliAvailability();
const connectorJHere = connectorJAvailability();
const pymysqlHere = pymysqlAvailability();
let javaClasses: Promise<string> | undefined;

const PREFIX = uniqueDatabasePrefix();
const dataDirectory = mkdtempSync(join(tmpdir(), 'sluice-mysql-compat-'));
// The recorder configuration's listener talks TLS: a self-signed certificate for 127.0.0.1 the clients verify.
const TLS_CERT = join(dataDirectory, 'listener.crt');
const TLS_KEY = join(dataDirectory, 'listener.key');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', TLS_KEY, '-out', TLS_CERT, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
// The file LOAD DATA LOCAL INFILE reads: 5000 tab-separated rows.
writeFileSync(join(dataDirectory, 'items.tsv'), Array.from({ length: 5000 }, (_, i) => `${i + 1}\tlabel ${i + 1} ☃\t${((i + 1) / 2).toFixed(2)}\n`).join(''));

const CONFIGURATIONS = ['plain', 'recorder', 'rewrite'] as const;
type Configuration = (typeof CONFIGURATIONS)[number];

const RECORDER_KEY = 'mysqlCompatEvents';
const recorded = () => ((globalThis as Record<string, unknown>)[RECORDER_KEY] ??= []) as Record<string, unknown>[];
const recorderPlugin = fileURLToPath(new URL('./fixtures/plugins/recorder.js', import.meta.url));
const rewritePlugin = join(MYSQL_COMPAT_DIR, 'rewrite-identical.js');

function mysqlListener(tls = false): string {
  return `
listeners:
  - name: mysql-compat
    dialect: mysql
    listen: 127.0.0.1:0
    environment: test
${tls ? `    tls: { cert: ${TLS_CERT}, key: ${TLS_KEY} }\n` : ''}    upstream: { host: 127.0.0.1, port: 3306, user: root, tls: disable }
`;
}

const sluices: Partial<Record<Configuration, RunningSluice>> = {};
const through: Partial<Record<Configuration, MysqlTarget>> = {};
const startFailures: Partial<Record<Configuration, string>> = {};
const databases = new Set<string>();

beforeAll(async () => {
  if (connectorJHere.ok) {
    javaClasses = compileConnectorJScenarios();
    javaClasses.catch(() => undefined);
  }
  const configs: Record<Configuration, string> = {
    plain: `${mysqlListener()}${USERS}`,
    recorder: `${mysqlListener(true)}${USERS}
plugins:
  - use: ${recorderPlugin}
    with: { key: ${RECORDER_KEY} }
`,
    rewrite: `${mysqlListener()}${USERS}
plugins:
  - use: ${rewritePlugin}
`,
  };
  for (const configuration of CONFIGURATIONS) {
    try {
      const sluice = await startSluice(configs[configuration]);
      sluices[configuration] = sluice;
      through[configuration] = {
        label: configuration,
        host: '127.0.0.1',
        port: sluice.port,
        user: 'alice',
        password: 'alice-secret-pw',
        ...(configuration === 'recorder' ? { tlsCa: TLS_CERT } : {}),
      };
    } catch (error) {
      // Kept for the tests of this configuration to report; the direct runs still go ahead.
      startFailures[configuration] = error instanceof Error ? error.message : String(error);
    }
  }
});

afterAll(async () => {
  await Promise.all(CONFIGURATIONS.map((configuration) => sluices[configuration]?.stop()));
  const classes = await javaClasses?.catch(() => undefined);
  if (classes) rmSync(classes, { recursive: true, force: true });
  rmSync(dataDirectory, { recursive: true, force: true });
  if (databases.size > 0) await directMariadb((c) => c.query([...databases].map((database) => `DROP DATABASE IF EXISTS \`${database}\``).join(';')));
});

/** Each output is produced once, whichever test asks first; a failure to produce it becomes its text. */
const outputs = new Map<string, Promise<string>>();
function once(key: string, produce: () => Promise<string>): Promise<string> {
  let output = outputs.get(key);
  if (!output) {
    output = produce().catch((error: unknown) => `FAILED TO RUN: ${error instanceof Error ? error.message : String(error)}`);
    const dump = process.env.MYSQL_COMPAT_DUMP;
    if (dump) void output.then((text) => writeFileSync(join(dump, `${key.replace(/[^A-Za-z0-9_.-]+/g, '_')}.txt`), text));
    outputs.set(key, output);
  }
  return output;
}

/** A fresh database for one client's run against one target. */
function prepareRun(client: string, target: MysqlTarget): Promise<MysqlRun> {
  const prepared = mysqlRunOf(PREFIX, client, target);
  databases.add(prepared.schema);
  return once(`database:${prepared.schema}`, () =>
    directMariadb(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS \`${prepared.schema}\`; CREATE DATABASE \`${prepared.schema}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
      return prepared.schema;
    }),
  ).then(() => prepared);
}

function targetOf(configuration: Configuration): MysqlTarget {
  const target = through[configuration];
  if (!target) throw new Error(`Sluice (${configuration}) did not start: ${startFailures[configuration] ?? 'unknown reason'}`);
  return target;
}

/** Output that legitimately differs between two connections, on top of the shared normalize(). */
function normalizeMysql(text: string, at: MysqlRun): string {
  // Connector/J puts the connection id in its messages: `(conn=1234) Duplicate entry...`.
  return normalize(text, at).replaceAll(dataDirectory, '<data>').replace(/\(conn=\d+\)/g, '(conn=<id>)');
}

interface Comparison {
  readonly name: string;
  readonly expect: readonly string[];
  /** Why this scenario cannot run here; the test is skipped with this in its name. */
  readonly skip?: string | undefined;
  /** For the tests of a client that runs all its scenarios at once. */
  readonly timeoutMs?: number;
  output(target: Target): Promise<string>;
}

/**
 * One test per scenario and Sluice configuration: the direct text must show what the scenario is about, and the text
 * through Sluice must be identical.
 */
function compare(scenario: Comparison): void {
  for (const configuration of CONFIGURATIONS) {
    const title = `${scenario.name}, through Sluice (${configuration}) = direct`;
    if (scenario.skip) {
      it.skip(`${title} — skipped: ${scenario.skip}`, () => undefined);
      continue;
    }
    it(title, async () => {
      // Both runs at once (the direct one is shared by the three configurations, so it usually is done already).
      const [direct, throughSluice] = await Promise.all([scenario.output(MYSQL_DIRECT), Promise.resolve().then(() => scenario.output(targetOf(configuration)))]);
      for (const text of scenario.expect) expect(direct, `the direct run shows ${JSON.stringify(text)}`).toContain(text);
      expect(throughSluice).toBe(direct);
    }, scenario.timeoutMs ?? 60_000);
  }
}

function unavailable(availability: Availability): string | undefined {
  return availability.ok ? undefined : availability.reason;
}

describe(`mariadb command-line client (${cliHere.ok ? cliHere.version : 'not installed'})`, () => {
  for (const [index, scenario] of MARIADB_CLI_SCENARIOS.entries()) {
    compare({
      name: scenario.name,
      expect: scenario.expect,
      skip: unavailable(cliHere),
      output: (target) =>
        once(`cli:${scenario.name}:${target.label}`, async () => {
          const at = await prepareRun(`cli${index}`, target);
          const fill = (text: string) => text.replaceAll('{data}', dataDirectory).replaceAll('{database}', at.schema);
          const tls = at.tlsCa ? ['--ssl', `--ssl-ca=${at.tlsCa}`, '--ssl-verify-server-cert'] : [];
          const connection = ['--no-defaults', '--protocol=TCP', '-h', at.host, '-P', String(at.port), '-u', at.user, ...tls];
          const args =
            scenario.tool === 'mariadb-admin'
              ? [...connection, ...(scenario.args ?? []).map(fill)]
              : [...connection, '--batch', '--default-character-set=utf8mb4', ...(scenario.args ?? []).map(fill), at.schema];
          const result = await runClient(scenario.tool ?? 'mariadb', args, {
            input: fill(scenario.script ?? ''),
            timeoutMs: 60_000,
            env: { MYSQL_PWD: at.password, TZ: 'UTC', LC_ALL: 'C.UTF-8' },
          });
          let stdout = foldLongLines(result.stdout);
          if (scenario.summarize) stdout = summarizeOutput(stdout);
          let text = `${stdout}\n--- stderr\n${result.stderr}\n--- exit ${result.code}`;
          if (scenario.maskNumbers) text = text.replace(/\d+(\.\d+)?/g, '#');
          return normalizeMysql(text, at);
        }),
    });
  }
});

function inProcess(client: string, scenarios: readonly MysqlInProcessScenario[]): void {
  for (const [index, scenario] of scenarios.entries()) {
    compare({
      name: scenario.name,
      expect: scenario.expect,
      output: (target) =>
        once(`${client}:${scenario.name}:${target.label}`, async () => {
          const at = await prepareRun(`${client}${index}`, target);
          const out = new Transcript();
          await out.attempt(() => scenario.run(at, out, dataDirectory));
          return normalizeMysql(foldLongLines(out.toString()), at);
        }),
    });
  }
}

describe('mysql2', () => inProcess('mysql2', MYSQL2_SCENARIOS));

/** The Java and Python programs run every scenario in one process per target; each test compares one `== name` section. */
function program(client: string, availability: Availability, scenarios: readonly MysqlProgramScenario[], start: (at: MysqlRun) => Promise<Map<string, string>>): void {
  const runs = new Map<string, Promise<Map<string, string>>>();
  const sectionsOf = (target: Target) => {
    let found = runs.get(target.label);
    if (!found) {
      found = prepareRun(client, target).then(async (at) => {
        const printed = await start(at);
        return new Map([...printed].map(([name, text]) => [name, normalizeMysql(foldLongLines(text), at)]));
      });
      found.catch(() => undefined);
      runs.set(target.label, found);
    }
    return found;
  };
  const all: MysqlProgramScenario[] = [...scenarios, { name: '(exit)', expect: ['code 0'] }];
  for (const scenario of all) {
    compare({
      // Any of them may be the one that waits for the whole program (test filters, a loaded machine).
      timeoutMs: 180_000,
      name: scenario.name === '(exit)' ? 'exit status and stderr' : scenario.name,
      expect: scenario.expect,
      skip: unavailable(availability),
      output: (target) => once(`${client}:${scenario.name}:${target.label}`, async () => (await sectionsOf(target)).get(scenario.name) ?? '(section missing)'),
    });
  }
  if (availability.ok) {
    it('prints exactly the scenarios listed for it, and a clean exit directly', async () => {
      const direct = await sectionsOf(MYSQL_DIRECT);
      expect([...direct.keys()]).toEqual(all.map((s) => s.name));
      expect(direct.get('(exit)')).toBe('code 0\n');
    }, 180_000);
  }
}

describe(`MariaDB Connector/J (${connectorJHere.ok ? `${connectorJHere.version}, ${CONNECTOR_J_JAR}` : 'not available'})`, () => {
  program('connectorj', connectorJHere, CONNECTOR_J_SCENARIOS, async (at) => {
    javaClasses ??= compileConnectorJScenarios();
    const classes = await javaClasses;
    return sections(
      await runClient('java', ['-Xmx1g', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', `${classes}:${CONNECTOR_J_JAR}`, 'ConnectorJScenarios'], {
        env: mysqlProgramEnv(at, dataDirectory),
        timeoutMs: 150_000,
      }),
    );
  });
});

describe(`PyMySQL (${pymysqlHere.ok ? `${pymysqlHere.version}, ${SYSTEM_PYTHON}` : 'not available'})`, () => {
  program('pymysql', pymysqlHere, PYMYSQL_SCENARIOS, async (at) =>
    sections(await runClient(SYSTEM_PYTHON, [join(MYSQL_COMPAT_DIR, 'pymysql_scenarios.py')], { env: mysqlProgramEnv(at, dataDirectory), timeoutMs: 150_000 })),
  );
});

describe('the recorder configuration', () => {
  it('saw the statements of every protocol path the clients used', (context) => {
    context.skip(recorded().length === 0, 'no client ran through the recorder configuration in this run (filtered out)');
    const vias = new Set(recorded().filter((event) => event.hook === 'onQuery').map((event) => event.via));
    expect([...vias].sort()).toEqual(['execute', 'prepare', 'simple']);
    expect(recorded().filter((event) => event.hook === 'onResultSet').length).toBeGreaterThan(100);
  });
});
