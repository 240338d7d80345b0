// Starts a throwaway MariaDB server for one test file: own data directory, free port, TLS, users per auth plugin.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort, makeCertificates, type PrivatePostgresTls } from './private-postgres.js';
import { readyOrExit } from './server-ready.js';

const execFileAsync = promisify(execFile);

/** The server-side authentication plugin a user logs in with. */
export type MariadbAuthPlugin = 'mysql_native_password' | 'ed25519';

export interface PrivateMariadbUser {
  readonly name: string;
  readonly plugin: MariadbAuthPlugin;
  /** `REQUIRE SSL`: the server refuses this user on a plaintext connection. */
  readonly requireSsl?: boolean;
}

export interface PrivateMariadb {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The server's Unix socket, in the temp dir; root logs in there without a password. */
  readonly socket: string;
  /** Generated password per user name. */
  readonly passwords: Readonly<Record<string, string>>;
  /** A database every user has all privileges on. */
  readonly database: string;
  /** The same certificate files the private PostgreSQL helper makes: the server's CA, an impostor CA, names, and the
   * server's own certificate and key (for another TLS server that should look like this one, e.g. a Sluice listener). */
  readonly tls: PrivatePostgresTls & { readonly serverCertFile: string; readonly serverKeyFile: string };
  /** Everything the server wrote to its error log so far. */
  logText(): string;
  /** Runs SQL (several statements allowed) as root over the socket on a new connection. */
  query(sql: string): Promise<unknown>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

const READY = /ready for connections/;
const DATABASE = 'sluice_private';

/** Starts the server; call `stop()` in afterAll. Fails with a clear message when the MariaDB server is not installed. */
export async function startPrivateMariadb(users: readonly PrivateMariadbUser[]): Promise<PrivateMariadb> {
  const binaries = findBinaries();
  const directory = await mkdtemp(join(tmpdir(), 'sluice-private-mariadb-'));
  const dataDirectory = join(directory, 'data');
  const socket = join(directory, 'mariadb.sock');
  // mariadbd runs as the current OS user; as root it must be told so explicitly.
  const asUser = process.getuid?.() === 0 ? ['--user=root'] : [];
  let server: ChildProcess | undefined;
  let killOnExit: (() => void) | undefined;
  try {
    const [tls] = await Promise.all([
      makeCertificates(join(directory, 'tls'), undefined),
      run(binaries.installDb, [
        '--no-defaults',
        `--datadir=${dataDirectory}`,
        ...asUser,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--skip-name-resolve',
      ]),
    ]);
    const passwords = Object.fromEntries(users.map((user) => [user.name, `pw-${randomBytes(9).toString('hex')}`]));

    let log = '';
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      log = '';
      server = spawn(
        binaries.server,
        [
          '--no-defaults',
          `--datadir=${dataDirectory}`,
          ...asUser,
          `--port=${port}`,
          '--bind-address=127.0.0.1',
          `--socket=${socket}`,
          `--pid-file=${join(directory, 'mariadb.pid')}`,
          '--skip-name-resolve',
          '--skip-log-bin',
          '--innodb-buffer-pool-size=16M',
          '--max-connections=60',
          '--character-set-server=utf8mb4',
          '--collation-server=utf8mb4_general_ci',
          `--ssl-ca=${tls.caFile}`,
          `--ssl-cert=${tls.serverCertFile}`,
          `--ssl-key=${tls.serverKeyFile}`,
          '--lc-messages=en_US',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      const outcome = await readyOrExit(server, () => log, READY, 'the private MariaDB server', 60_000);
      if (outcome === 'ready') break;
      server = undefined;
      // Another process may have taken the port between freePort() and the bind.
      if (attempt >= 3 || !/Address already in use|Can't start server/i.test(log)) {
        throw new Error(`the private MariaDB server did not start:\n${log}`);
      }
    }
    const running = server;
    // Last resort when the test process exits without stop(): nothing may outlive it.
    killOnExit = () => {
      running.kill('SIGKILL');
      rmSync(directory, { recursive: true, force: true });
    };
    process.once('exit', killOnExit);
    const forgetExitHook = killOnExit;

    const query = async (sql: string) => {
      const connection = await mysql.createConnection({ socketPath: socket, user: 'root', multipleStatements: true });
      try {
        const [result] = await connection.query(sql);
        return result;
      } finally {
        await connection.end();
      }
    };
    const setup = [
      "INSTALL SONAME 'auth_ed25519'",
      `CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4`,
      ...users.flatMap((user) => [createUserSql(user, passwords[user.name]!), `GRANT ALL ON ${DATABASE}.* TO '${user.name}'@'%'`]),
    ];
    await query(setup.join(';\n'));

    return {
      host: '127.0.0.1',
      port,
      socket,
      passwords,
      database: DATABASE,
      tls: {
        caFile: tls.caFile,
        otherCaFile: tls.otherCaFile,
        impostorCertFile: tls.impostorCertFile,
        impostorKeyFile: tls.impostorKeyFile,
        serverNames: ['localhost'],
        serverCertFile: tls.serverCertFile,
        serverKeyFile: tls.serverKeyFile,
      },
      logText: () => log,
      query,
      stop: async () => {
        process.off('exit', forgetExitHook);
        await stopServer(running);
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (killOnExit) process.off('exit', killOnExit);
    if (server) await stopServer(server);
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

function findBinaries(): { installDb: string; server: string } {
  const pick = (names: string[]) => names.find((file) => existsSync(file));
  const installDb = pick(['/usr/bin/mariadb-install-db', '/usr/local/bin/mariadb-install-db', '/usr/bin/mysql_install_db']);
  const server = pick(['/usr/sbin/mariadbd', '/usr/local/sbin/mariadbd', '/usr/sbin/mysqld']);
  if (!installDb || !server) {
    throw new Error('mariadb-install-db and mariadbd were not found; install the MariaDB server package (apt-get install mariadb-server)');
  }
  return { installDb, server };
}

async function run(command: string, args: string[]): Promise<void> {
  try {
    await execFileAsync(command, args, { env: { ...process.env, LC_ALL: 'C' } });
  } catch (error) {
    const failed = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${command} failed: ${failed.stderr || failed.stdout || failed.message}`);
  }
}

function createUserSql(user: PrivateMariadbUser, password: string): string {
  const literal = `'${password}'`;
  const via = user.plugin === 'ed25519' ? `IDENTIFIED VIA ed25519 USING PASSWORD(${literal})` : `IDENTIFIED VIA mysql_native_password USING PASSWORD(${literal})`;
  return `CREATE USER '${user.name}'@'%' ${via}${user.requireSsl ? ' REQUIRE SSL' : ''}`;
}

/** SIGKILL: nothing in the instance is worth a clean shutdown, and InnoDB's takes seconds. */
function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    server.once('exit', () => resolve());
    server.kill('SIGKILL');
  });
}
