// PgBouncer in session mode on a free port, in front of the bench database, with SCRAM client logins like Sluice.
import { existsSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, stopProcess, waitForPort } from './processes.mjs';
import { BENCH_DATABASE } from './postgres-server.mjs';

const BINARY = '/usr/sbin/pgbouncer';

export function pgbouncerMissing() {
  return existsSync(BINARY) ? undefined : 'pgbouncer is not installed (apt-get install pgbouncer)';
}

/** Starts PgBouncer; returns { port, pid, stop() }. As root it drops to the postgres user, as PgBouncer insists. */
export async function startPgbouncer(server, credentials, logStream) {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-bench-pgbouncer-'));
  const port = await freePort();
  const ini = `[databases]
${BENCH_DATABASE} = host=${server.host} port=${server.port} user=${server.user} dbname=${BENCH_DATABASE}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = ${join(directory, 'userlist.txt')}
pool_mode = session
max_client_conn = 5000
default_pool_size = 2200
max_db_connections = 0
ignore_startup_parameters = extra_float_digits,options
pidfile = ${join(directory, 'pgbouncer.pid')}
logfile = ${join(directory, 'pgbouncer.log')}
log_connections = 0
log_disconnections = 0
`;
  writeFileSync(join(directory, 'pgbouncer.ini'), ini);
  writeFileSync(join(directory, 'userlist.txt'), `"${credentials.user}" "${credentials.password}"\n`);
  const args = [join(directory, 'pgbouncer.ini')];
  if (process.getuid?.() === 0) {
    const [, , uid, gid] = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim().split(':');
    for (const file of ['', 'pgbouncer.ini', 'userlist.txt']) chownSync(join(directory, file), Number(uid), Number(gid));
    args.unshift('-u', 'postgres');
  }
  const handle = startProcess(BINARY, args, { logStream });
  let alive = true;
  handle.exited.then(() => (alive = false));
  await waitForPort(port, 15_000, () => alive);
  return {
    port,
    pid: handle.pid,
    async stop() {
      await stopProcess(handle, 5_000, 'SIGINT');
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
