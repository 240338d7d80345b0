// Real PostgreSQL clients get the same results through Sluice as directly: psql, pg (with pg-cursor and pg-query-stream), postgres.js, JDBC, psycopg2.
//
// Every scenario runs three times — directly against the server, through a Sluice with no plugins, and through one with
// the recorder plugin (row hooks on, values untouched) — and each client prints what it got as stable text. A test
// compares one Sluice configuration's text with the direct text, exactly. Clients this machine lacks are skipped with
// the reason in the test name; scripts/test.sh installs them. COMPAT_TRACE=1 puts a logging relay in front of each
// Sluice and writes every message the clients and Sluice exchanged to a file in the temp dir.
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JDBC_SCENARIOS, PSYCOPG2_SCENARIOS, type ProgramScenario } from './compat/program-scenarios.js';
import { PG_SCENARIOS, type InProcessScenario } from './compat/pg-scenarios.js';
import { POSTGRES_JS_SCENARIOS } from './compat/postgres-js-scenarios.js';
import { PSQL_SCENARIOS } from './compat/psql-scenarios.js';
import {
  compileJdbcScenarios,
  COMPAT_DIR,
  DIRECT,
  JDBC_JAR,
  jdbcAvailability,
  normalize,
  programEnv,
  psqlAvailability,
  psycopg2Availability,
  runOf,
  sections,
  startProtocolTrace,
  SYSTEM_PYTHON,
  Transcript,
  type Availability,
  type Run,
  type Target,
} from './helpers/compat.js';
import { run } from './helpers/processes.js';
import { postgresListener, startSluice, USERS, type RunningSluice } from './helpers/sluice.js';

const psqlHere = psqlAvailability();
const jdbcHere = jdbcAvailability();
const psycopg2Here = psycopg2Availability();
let javaClasses: Promise<string> | undefined;

const CONFIGURATIONS = ['plain', 'recorder'] as const;
type Configuration = (typeof CONFIGURATIONS)[number];

const RECORDER_KEY = 'compatEvents';
const recorded = () => ((globalThis as Record<string, unknown>)[RECORDER_KEY] ??= []) as Record<string, unknown>[];

const sluices: Partial<Record<Configuration, RunningSluice>> = {};
const traces: Partial<Record<Configuration, Awaited<ReturnType<typeof startProtocolTrace>>>> = {};
const through: Partial<Record<Configuration, Target>> = {};
const schemas = new Set<string>();

beforeAll(async () => {
  // Compiled while the other clients run; the JDBC tests wait for it.
  if (jdbcHere.ok) {
    javaClasses = compileJdbcScenarios();
    javaClasses.catch(() => undefined);
  }
  const configs: Record<Configuration, string> = {
    plain: `${postgresListener()}${USERS}`,
    recorder: `${postgresListener()}${USERS}
plugins:
  - use: ./plugins/recorder.js
    with: { key: ${RECORDER_KEY} }
`,
  };
  for (const configuration of CONFIGURATIONS) {
    const sluice = await startSluice(configs[configuration]);
    sluices[configuration] = sluice;
    if (process.env.COMPAT_TRACE) traces[configuration] = await startProtocolTrace(sluice.port);
    const port = traces[configuration]?.port ?? sluice.port;
    through[configuration] = { label: configuration, host: '127.0.0.1', port, user: 'alice', password: 'alice-secret-pw' };
  }
});

afterAll(async () => {
  for (const configuration of CONFIGURATIONS) {
    const trace = traces[configuration];
    if (!trace) continue;
    const file = join(tmpdir(), `sluice-compat-trace-${configuration}.txt`);
    writeFileSync(file, `${trace.lines().join('\n')}\n`);
    console.log(`protocol trace of the ${configuration} configuration: ${file}`);
  }
  await Promise.all(CONFIGURATIONS.map((configuration) => sluices[configuration]?.stop()));
  await Promise.all(CONFIGURATIONS.map((configuration) => traces[configuration]?.close()));
  const classes = await javaClasses?.catch(() => undefined);
  if (classes) rmSync(classes, { recursive: true, force: true });
  if (schemas.size === 0) return;
  const direct = new pg.Client({ host: DIRECT.host, port: DIRECT.port, user: DIRECT.user, database: 'postgres' });
  await direct.connect();
  await direct.query([...schemas].map((schema) => `drop schema if exists ${schema} cascade;`).join('\n'));
  await direct.end();
});

/** Each output is produced once, whichever test asks first; a failure to produce it becomes its text. */
const outputs = new Map<string, Promise<string>>();
function once(key: string, produce: () => Promise<string>): Promise<string> {
  let output = outputs.get(key);
  if (!output) {
    output = produce().catch((error: unknown) => `FAILED TO RUN: ${error instanceof Error ? error.message : String(error)}`);
    outputs.set(key, output);
  }
  return output;
}

/** A fresh schema for one client's run against one target. */
function prepareRun(client: string, target: Target): Promise<Run> {
  const prepared = runOf(client, target);
  schemas.add(prepared.schema);
  return once(`schema:${prepared.schema}`, async () => {
    const direct = new pg.Client({ host: DIRECT.host, port: DIRECT.port, user: DIRECT.user, database: 'postgres' });
    await direct.connect();
    await direct.query(`drop schema if exists ${prepared.schema} cascade; create schema ${prepared.schema}`);
    await direct.end();
    return prepared.schema;
  }).then(() => prepared);
}

const targets = (configuration: Configuration): [Target, Target, Target] => {
  const other = configuration === 'plain' ? 'recorder' : 'plain';
  return [DIRECT, through[configuration]!, through[other]!];
};

interface Comparison {
  readonly name: string;
  readonly expect: readonly string[];
  /** Why this scenario cannot run here; the test is skipped with this in its name. */
  readonly skip?: string | undefined;
  /** Configurations where Sluice is known to answer differently (see the BUG comments in KNOWN_BUGS). */
  readonly fails?: readonly Configuration[] | undefined;
  /** For the first test of a client that runs all its scenarios at once. */
  readonly timeoutMs?: number;
  output(target: Target): Promise<string>;
}

/**
 * One test per scenario and Sluice configuration: the direct text must show what the scenario is about, and the text
 * through Sluice must be identical. The third target's run starts at the same time, so the next test finds it done.
 */
function compare(scenario: Comparison): void {
  for (const configuration of CONFIGURATIONS) {
    const title = `${scenario.name}, through Sluice (${configuration}) = direct`;
    if (scenario.skip) {
      it.skip(`${title} — skipped: ${scenario.skip}`, () => undefined);
      continue;
    }
    const test = scenario.fails?.includes(configuration) ? it.fails : it;
    test(title, async () => {
      const [direct, throughSluice] = await Promise.all(targets(configuration).map((target) => scenario.output(target)));
      for (const text of scenario.expect) expect(direct, `the direct run shows ${JSON.stringify(text)}`).toContain(text);
      expect(throughSluice).toBe(direct);
    }, scenario.timeoutMs);
  }
}

function unavailable(availability: Availability): string | undefined {
  return availability.ok ? undefined : availability.reason;
}

/*
 * Scenarios where Sluice is known to differ from a direct connection. Each entry is a bug, kept visible as an
 * it.fails test (it starts failing — and so needs attention — the day the bug is fixed).
 */
const KNOWN_BUGS: Record<string, readonly Configuration[]> = {
};

describe(`psql (${psqlHere.ok ? psqlHere.version : 'not installed'})`, () => {
  for (const scenario of PSQL_SCENARIOS) {
    const tooOld = scenario.needs && psqlHere.ok && (psqlHere.major ?? 0) < scenario.needs.major ? `${scenario.needs.why}; this is ${psqlHere.version}` : undefined;
    compare({
      name: scenario.name,
      expect: scenario.expect,
      skip: unavailable(psqlHere) ?? tooOld,
      fails: KNOWN_BUGS[`psql ${scenario.name}`],
      output: (target) =>
        once(`psql:${scenario.name}:${target.label}`, async () => {
          const at = await prepareRun('psql', target);
          const result = await run('psql', ['-X', '-h', at.host, '-p', String(at.port), '-U', at.user, '-d', 'postgres', '-v', `chan=${at.schema}_channel`], {
            input: scenario.script,
            timeoutMs: 60_000,
            env: { PGPASSWORD: at.password, PGOPTIONS: `-c search_path=${at.schema}`, COMPAT_CHANNEL: `${at.schema}_channel`, PGAPPNAME: 'compat', TZ: 'UTC', LC_ALL: 'C.UTF-8' },
          });
          return normalize(`${result.stdout}\n--- stderr\n${result.stderr}\n--- exit ${result.code}`, at);
        }),
    });
  }
});

function inProcess(client: string, scenarios: readonly InProcessScenario[]): void {
  for (const scenario of scenarios) {
    compare({
      name: scenario.name,
      expect: scenario.expect,
      fails: KNOWN_BUGS[`${client} ${scenario.name}`],
      output: (target) =>
        once(`${client}:${scenario.name}:${target.label}`, async () => {
          const at = await prepareRun(client, target);
          const out = new Transcript();
          await out.attempt(() => scenario.run(at, out));
          return normalize(out.toString(), at);
        }),
    });
  }
}

describe('pg, pg-cursor and pg-query-stream', () => inProcess('pg', PG_SCENARIOS));

describe('postgres.js', () => inProcess('postgresjs', POSTGRES_JS_SCENARIOS));

/** The Java and Python programs run every scenario in one process per target; each test compares one `== name` section. */
function program(client: string, availability: Availability, scenarios: readonly ProgramScenario[], start: (at: Run) => Promise<Map<string, string>>): void {
  const runs = new Map<string, Promise<Map<string, string>>>();
  const sectionsOf = (target: Target) => {
    let found = runs.get(target.label);
    if (!found) {
      found = prepareRun(client, target).then(async (at) => {
        const printed = await start(at);
        return new Map([...printed].map(([name, text]) => [name, normalize(text, at)]));
      });
      found.catch(() => undefined);
      runs.set(target.label, found);
    }
    return found;
  };
  const all: ProgramScenario[] = [...scenarios, { name: '(exit)', expect: ['code 0'] }];
  for (const [index, scenario] of all.entries()) {
    compare({
      timeoutMs: index === 0 ? 120_000 : undefined,
      name: scenario.name === '(exit)' ? 'exit status and stderr' : scenario.name,
      expect: scenario.expect,
      skip: unavailable(availability),
      fails: KNOWN_BUGS[`${client} ${scenario.name}`],
      output: (target) => once(`${client}:${scenario.name}:${target.label}`, async () => (await sectionsOf(target)).get(scenario.name) ?? '(section missing)'),
    });
  }
  if (availability.ok) {
    it('prints exactly the scenarios listed for it, and a clean exit directly', async () => {
      const direct = await sectionsOf(DIRECT);
      expect([...direct.keys()]).toEqual(all.map((s) => s.name));
      expect(direct.get('(exit)')).toBe('code 0\n');
    });
  }
}

describe(`JDBC (${jdbcHere.ok ? `${jdbcHere.version}, ${JDBC_JAR}` : 'not available'})`, () => {
  program('jdbc', jdbcHere, JDBC_SCENARIOS, async (at) => {
    javaClasses ??= compileJdbcScenarios();
    const classes = await javaClasses;
    return sections(await run('java', ['-Xmx1g', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', `${classes}:${JDBC_JAR}`, 'JdbcScenarios'], { env: programEnv(at), timeoutMs: 90_000 }));
  });
});

describe(`psycopg2 (${psycopg2Here.ok ? `${psycopg2Here.version}, ${SYSTEM_PYTHON}` : 'not available'})`, () => {
  program('psycopg2', psycopg2Here, PSYCOPG2_SCENARIOS, async (at) =>
    sections(await run(SYSTEM_PYTHON, [`${COMPAT_DIR}psycopg2_scenarios.py`], { env: programEnv(at), timeoutMs: 90_000 })),
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
