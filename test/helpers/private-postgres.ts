// Starts a throwaway PostgreSQL server for one test file: own data directory, free port, TLS, password roles.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { readyOrExit } from './server-ready.js';

const execFileAsync = promisify(execFile);

/** The pg_hba.conf method a role logs in with. */
export type HbaMethod = 'trust' | 'password' | 'md5' | 'scram-sha-256';

export interface PrivateRole {
  readonly name: string;
  readonly method: HbaMethod;
  /** The pg_hba.conf connection type: `hostssl` only matches TLS connections, `hostnossl` only plain ones. Default `host`. */
  readonly connection?: 'host' | 'hostssl' | 'hostnossl';
  /** How the password is stored (password_encryption when the role is created). Default `scram-sha-256`. */
  readonly storage?: 'scram-sha-256' | 'md5';
  /** Text put in front of the random part of the generated password (e.g. non-ASCII, to exercise SASLprep). */
  readonly passwordPrefix?: string;
}

export interface PrivatePostgresTls {
  /** The CA that signed the server certificate. */
  readonly caFile: string;
  /** A CA that signed nothing the server uses. */
  readonly otherCaFile: string;
  /** A certificate for `localhost` signed by the other CA, and its key: what an impostor would present. */
  readonly impostorCertFile: string;
  readonly impostorKeyFile: string;
  /** The names in the server certificate's subjectAltName. */
  readonly serverNames: readonly string[];
}

export interface PrivatePostgres {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** A superuser that logs in with trust from 127.0.0.1. */
  readonly superuser: string;
  /** Generated password per role name. */
  readonly passwords: Readonly<Record<string, string>>;
  readonly tls: PrivatePostgresTls;
  /** Everything the server wrote to its log so far: log_connections is on, and each line reads `time [pid] SQLSTATE user@database`. */
  logText(): string;
  /** Runs SQL as the superuser on a new connection. */
  query(sql: string): Promise<pg.QueryResult>;
  /** Sets a server setting with ALTER SYSTEM, reloads, and waits until new connections see it. */
  reconfigure(setting: string, value: string): Promise<void>;
  /** Stops the server at once and removes its directory. */
  stop(): Promise<void>;
}

const SUPERUSER = 'sluice_private_admin';
const SERVER_NAMES = ['localhost'] as const;
const READY = /database system is ready to accept connections/;

/** Starts the server; call `stop()` in afterAll. Fails with a clear message when initdb is not installed. */
export async function startPrivatePostgres(roles: readonly PrivateRole[]): Promise<PrivatePostgres> {
  const bin = await findBinaries();
  const owner = await serverOwner();
  const directory = await mkdtemp(join(tmpdir(), 'sluice-private-pg-'));
  let server: ChildProcess | undefined;
  let killOnExit: (() => void) | undefined;
  try {
    if (owner) await chown(directory, owner.uid, owner.gid);
    const dataDirectory = join(directory, 'data');
    const [tls] = await Promise.all([
      makeCertificates(join(directory, 'tls'), owner),
      runAs(owner, join(bin, 'initdb'), ['-D', dataDirectory, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']),
    ]);
    const passwords = Object.fromEntries(roles.map((role) => [role.name, `${role.passwordPrefix ?? ''}pw-${randomBytes(9).toString('hex')}`]));
    await writeFile(join(dataDirectory, 'pg_hba.conf'), hbaConf(roles));

    let log = '';
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      await writeFile(join(dataDirectory, 'postgresql.conf'), serverConf(port, tls.serverCertFile, tls.serverKeyFile));
      log = '';
      server = spawn(join(bin, 'postgres'), ['-D', dataDirectory], { stdio: ['ignore', 'ignore', 'pipe'], ...(owner ?? {}) });
      server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      const outcome = await readyOrExit(server, () => log, READY, 'the private PostgreSQL server', 30_000);
      if (outcome === 'ready') break;
      server = undefined;
      // Another process may have taken the port between freePort() and the bind.
      if (attempt >= 3 || !/could not (bind|create listen socket)/i.test(log)) {
        throw new Error(`the private PostgreSQL server did not start:\n${log}`);
      }
    }
    const running = server;
    // Last resort when the test process exits without stop(): nothing may outlive it.
    killOnExit = () => {
      running.kill('SIGQUIT');
      rmSync(directory, { recursive: true, force: true });
    };
    process.once('exit', killOnExit);
    const forgetExitHook = killOnExit;

    const query = async (sql: string) => {
      const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, database: 'postgres' });
      await client.connect();
      try {
        return await client.query(sql);
      } finally {
        await client.end();
      }
    };
    await query(roles.map((role) => createRoleSql(role, passwords[role.name]!)).join(';\n'));

    return {
      host: '127.0.0.1',
      port,
      superuser: SUPERUSER,
      passwords,
      tls: { caFile: tls.caFile, otherCaFile: tls.otherCaFile, impostorCertFile: tls.impostorCertFile, impostorKeyFile: tls.impostorKeyFile, serverNames: SERVER_NAMES },
      logText: () => log,
      query,
      reconfigure: async (setting, value) => {
        // ALTER SYSTEM cannot share a query string (an implicit transaction) with anything else.
        await query(`alter system set ${setting} = ${quoteLiteral(value)}`);
        await query('select pg_reload_conf()');
        for (let tries = 0; tries < 100; tries++) {
          const current = await query(`select current_setting(${quoteLiteral(setting)}) as value`);
          if (current.rows[0]?.value === value) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`the private PostgreSQL server did not take ${setting} = ${value}`);
      },
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

async function findBinaries(): Promise<string> {
  const candidates: string[] = [];
  try {
    candidates.push((await execFileAsync('pg_config', ['--bindir'])).stdout.trim());
  } catch {
    // pg_config is optional; fall back to the usual places.
  }
  candidates.push('/usr/local/bin', '/usr/bin');
  for (const version of ['18', '17', '16', '15', '14', '13']) candidates.push(`/usr/lib/postgresql/${version}/bin`);
  const found = candidates.find((directory) => existsSync(join(directory, 'initdb')) && existsSync(join(directory, 'postgres')));
  if (!found) {
    throw new Error(`initdb and postgres were not found (looked in ${candidates.join(', ')}); install the PostgreSQL server package (apt-get install postgresql)`);
  }
  return found;
}

/** initdb and postgres refuse to run as root: when we are root, they run as the postgres OS user. */
async function serverOwner(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all(['-u', '-g'].map(async (flag) => Number((await execFileAsync('id', [flag, 'postgres'])).stdout.trim())));
    return { uid: uid!, gid: gid! };
  } catch {
    throw new Error('the tests run as root and there is no "postgres" OS user to run the private PostgreSQL server as');
  }
}

async function runAs(owner: { uid: number; gid: number } | undefined, command: string, args: string[]): Promise<void> {
  try {
    await execFileAsync(command, args, { ...(owner ?? {}), env: { ...process.env, LC_ALL: 'C' } });
  } catch (error) {
    const failed = error as { stderr?: string; message: string };
    throw new Error(`${command} failed: ${failed.stderr || failed.message}`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Immediate shutdown (SIGQUIT): nothing in the cluster is worth a checkpoint. */
function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
    server.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    server.kill('SIGQUIT');
  });
}

function serverConf(port: number, certFile: string, keyFile: string): string {
  return `listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = ''
max_connections = 40
shared_buffers = 16MB
fsync = off
synchronous_commit = off
full_page_writes = off
ssl = on
ssl_cert_file = '${certFile}'
ssl_key_file = '${keyFile}'
password_encryption = 'scram-sha-256'
log_connections = on
log_line_prefix = '%m [%p] %e %u@%d '
log_min_messages = warning
lc_messages = 'C'
datestyle = 'iso, mdy'
timezone = 'UTC'
`;
}

function hbaConf(roles: readonly PrivateRole[]): string {
  const lines = [`host all ${SUPERUSER} 127.0.0.1/32 trust`];
  for (const role of roles) lines.push(`${role.connection ?? 'host'} all ${role.name} 127.0.0.1/32 ${role.method}`);
  return `${lines.join('\n')}\n`;
}

function createRoleSql(role: PrivateRole, password: string): string {
  return `set password_encryption = '${role.storage ?? 'scram-sha-256'}'; create role ${role.name} login password ${quoteLiteral(password)}`;
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export interface Certificates {
  readonly caFile: string;
  readonly otherCaFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly impostorCertFile: string;
  readonly impostorKeyFile: string;
}

/** Two self-signed CAs (P-256 keys, fast to make); the first signs the server's certificate, the second an impostor's. */
export async function makeCertificates(directory: string, owner: { uid: number; gid: number } | undefined): Promise<Certificates> {
  await mkdir(directory);
  const file = (name: string) => join(directory, name);
  await writeFile(
    file('openssl.cnf'),
    `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = ${SERVER_NAMES.map((name) => `DNS:${name}`).join(',')}
`,
  );
  const openssl = async (args: string[]) => {
    try {
      await execFileAsync('openssl', args, { cwd: directory });
    } catch (error) {
      const failed = error as { stderr?: string; message: string };
      throw new Error(`openssl ${args[0]} failed (is the openssl CLI installed?): ${failed.stderr || failed.message}`);
    }
  };
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const makeCa = (name: string, subject: string) =>
    openssl(['req', '-x509', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', subject, '-config', 'openssl.cnf', '-extensions', 'ca']);
  const makeLeaf = async (name: string, ca: string) => {
    await openssl(['req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost', '-config', 'openssl.cnf']);
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2', '-out', `${name}.crt`, '-extfile', 'openssl.cnf', '-extensions', 'server']);
  };
  await Promise.all([makeCa('ca', '/CN=Sluice test CA'), makeCa('other-ca', '/CN=Sluice impostor CA')]);
  await Promise.all([makeLeaf('server', 'ca'), makeLeaf('impostor', 'other-ca')]);
  // PostgreSQL refuses a private key that others can read, or that another user owns.
  await chmod(file('server.key'), 0o600);
  if (owner) await chown(file('server.key'), owner.uid, owner.gid);
  await chmod(directory, 0o755);
  return {
    caFile: file('ca.crt'),
    otherCaFile: file('other-ca.crt'),
    serverCertFile: file('server.crt'),
    serverKeyFile: file('server.key'),
    impostorCertFile: file('impostor.crt'),
    impostorKeyFile: file('impostor.key'),
  };
}
