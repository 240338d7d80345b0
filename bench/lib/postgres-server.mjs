// The PostgreSQL server the suite measures against: a private one it starts (default) or an existing one.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, onKill, run, startProcess, stopProcess, waitForPort } from './processes.mjs';

export const BENCH_DATABASE = 'sluice_bench';

/** Settings of the private server: room for 2,000 idle connections, commits that do not wait on the disk. */
const PRIVATE_SETTINGS = {
  max_connections: '2300',
  shared_buffers: '256MB',
  synchronous_commit: 'off',
  listen_addresses: '127.0.0.1',
  log_min_messages: 'warning',
};

function postgresBin() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  return join(root, version, 'bin');
}

function serverUser() {
  if (process.getuid?.() !== 0) return undefined;
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  const [, , uid, gid] = line.split(':');
  return { name: 'postgres', uid: Number(uid), gid: Number(gid) };
}

/** As root, PostgreSQL refuses to run: its binaries run as the postgres user. */
function asServerUser(owner, command, args) {
  return owner ? ['runuser', ['-u', owner.name, '--', command, ...args]] : [command, args];
}

/**
 * Starts a throwaway server in a temp directory on a free port.
 * Returns { host, port, user, stop(), pid, describe }.
 */
export async function startPrivatePostgres(logStream) {
  const bin = postgresBin();
  const owner = serverUser();
  const directory = mkdtempSync(join(tmpdir(), 'sluice-bench-pg-'));
  if (owner) chownSync(directory, owner.uid, owner.gid);
  const data = join(directory, 'data');
  await run(...asServerUser(owner, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']));
  const port = await freePort();
  const settings = Object.entries({ ...PRIVATE_SETTINGS, port: String(port), unix_socket_directories: directory }).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const server = startProcess(...asServerUser(owner, join(bin, 'postgres'), ['-D', data, ...settings]), { logStream });
  let alive = true;
  server.exited.then(() => (alive = false));
  await waitForPort(port, 30_000, () => alive);
  const serverPid = readPostmasterPid(data) ?? server.pid;
  // Immediate shutdown if the suite dies: killing runuser would leave the postmaster running.
  let stopped = false;
  onKill(() => {
    if (!stopped) process.kill(serverPid, 'SIGQUIT');
  });
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    private: true,
    pid: serverPid,
    describe: `private PostgreSQL (${bin.split('/').at(-2)}) on 127.0.0.1:${port}: ${Object.entries(PRIVATE_SETTINGS).filter(([k]) => k !== 'listen_addresses' && k !== 'log_min_messages').map(([k, v]) => `${k}=${v}`).join(', ')}`,
    async stop() {
      stopped = true;
      // SIGINT: PostgreSQL's fast shutdown, sent to the postmaster itself rather than runuser.
      await stopProcess(server, 10_000, 'SIGINT', serverPid);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function readPostmasterPid(data) {
  try {
    return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

/** An existing server given as host:port (user postgres, trust). */
export function existingPostgres(address) {
  const [host, port] = address.split(':');
  return { host, port: Number(port), user: 'postgres', private: false, describe: `existing PostgreSQL on ${host}:${port}`, async stop() {} };
}

/** Runs SQL with psql as the superuser; an array runs each statement on its own (outside a transaction block). */
export async function psql(server, sql, database = BENCH_DATABASE) {
  const commands = (Array.isArray(sql) ? sql : [sql]).flatMap((statement) => ['-c', statement]);
  const { stdout } = await run('psql', ['-h', server.host, '-p', String(server.port), '-U', server.user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-A', '-t', ...commands]);
  return stdout.trim();
}

/** Creates the bench database, the pgbench tables and a 1M-row table of personal-looking data. */
export async function prepareDatabase(server, { scale, peopleRows }, say) {
  const exists = await psql(server, `SELECT 1 FROM pg_database WHERE datname = '${BENCH_DATABASE}'`, 'postgres');
  if (!exists) await psql(server, `CREATE DATABASE ${BENCH_DATABASE}`, 'postgres');
  const haveScale = await countRows(server, 'pgbench_branches');
  if (Number(haveScale) !== scale) {
    say(`pgbench -i -s ${scale}`);
    await run('pgbench', ['-h', server.host, '-p', String(server.port), '-U', server.user, '-i', '-q', '-s', String(scale), BENCH_DATABASE]);
  }
  const havePeople = await countRows(server, 'bench_people');
  if (Number(havePeople) !== peopleRows) {
    say(`bench_people: ${peopleRows} rows`);
    await psql(
      server,
      `DROP TABLE IF EXISTS bench_people;
       CREATE TABLE bench_people AS
         SELECT g AS id, 'Person ' || g AS full_name, 'person' || g || '@example.com' AS email,
                '+1 415 555 ' || lpad((g % 10000)::text, 4, '0') AS phone, now() - g * interval '1 minute' AS created_at
         FROM generate_series(1, ${peopleRows}) g;
       ANALYZE bench_people;`,
    );
  }
}

async function countRows(server, table) {
  const exists = await psql(server, `SELECT to_regclass('${table}') IS NOT NULL`);
  return exists === 't' ? Number(await psql(server, `SELECT count(*) FROM ${table}`)) : 0;
}

/** Vacuums the pgbench tables directly, as pgbench would before each run (runs use -n so every path sees the same state). */
export async function vacuumPgbench(server) {
  await psql(server, ['VACUUM pgbench_branches', 'VACUUM pgbench_tellers', 'TRUNCATE pgbench_history']);
}
