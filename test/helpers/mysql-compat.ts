// MySQL/MariaDB side of the client compatibility harness: which clients this machine has, where runs put their tables, and how programs learn their target.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { COMPAT_DIR, SYSTEM_PYTHON, type Availability, type Run, type Target } from './compat.js';
import { run, type Completed } from './processes.js';

export const MYSQL_COMPAT_DIR = join(COMPAT_DIR, 'mysql');
export const MYSQL_TYPES_SQL_FILE = join(MYSQL_COMPAT_DIR, 'types.sql');
/** CREATE TABLE compat_types and its rows: every value kind the scenarios read back. */
export const MYSQL_TYPES_SQL = readFileSync(MYSQL_TYPES_SQL_FILE, 'utf8');
/** The statements of types.sql one by one, for clients that send one statement at a time. */
export const MYSQL_TYPES_STATEMENTS = MYSQL_TYPES_SQL.split(/;\s*\n/)
  .map((statement) => statement.trim())
  .filter(Boolean);

export const MARIADB_DIRECT_PORT = 3306;

/** A target clients reach over TLS when `tlsCa` names the certificate (PEM) to verify the server with. */
export interface MysqlTarget extends Target {
  readonly tlsCa?: string;
}
export type MysqlRun = Run & MysqlTarget;
export const MYSQL_DIRECT: Target = { label: 'direct', host: '127.0.0.1', port: MARIADB_DIRECT_PORT, user: 'root', password: '' };

/** A name no other test file or earlier run uses: `sluice_compat_<random>`. */
export function uniqueDatabasePrefix(): string {
  return `sluice_compat_${randomBytes(4).toString('hex')}`;
}

/** A run's database is `<prefix>_<client>_<target>`; `schema` holds it, so `normalize()` replaces it with `<schema>`. */
export function mysqlRunOf(prefix: string, client: string, target: MysqlTarget): MysqlRun {
  return { ...target, schema: `${prefix}_${client}_${target.label}`.replace(/[^A-Za-z0-9_]/g, '_') };
}

/** Runs SQL as root directly against the shared MariaDB (database setup and teardown). */
export async function directMariadb<T>(use: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({ host: MYSQL_DIRECT.host, port: MYSQL_DIRECT.port, user: MYSQL_DIRECT.user, multipleStatements: true });
  try {
    return await use(connection);
  } finally {
    await connection.end();
  }
}

function probe(command: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 15_000 });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() || String(result.error ?? '') };
}

export function mariadbCliAvailability(): Availability {
  const found = probe('mariadb', ['--version']);
  if (!found.ok) return { ok: false, reason: 'the mariadb command-line client is not installed (apt-get install mariadb-client)' };
  return { ok: true, version: found.output };
}

export const CONNECTOR_J_JAR = '/usr/share/java/mariadb-java-client.jar';

export function connectorJAvailability(): Availability {
  if (!probe('javac', ['-version']).ok) return { ok: false, reason: 'no javac on this machine (a JDK 17 is needed)' };
  if (!existsSync(CONNECTOR_J_JAR)) return { ok: false, reason: `${CONNECTOR_J_JAR} is missing (apt-get install libmariadb-java)` };
  return { ok: true, version: probe('java', ['-version']).output.split('\n')[0]! };
}

export function pymysqlAvailability(): Availability {
  if (!existsSync(SYSTEM_PYTHON)) return { ok: false, reason: `${SYSTEM_PYTHON} is missing (apt-get install python3-pymysql)` };
  const found = probe(SYSTEM_PYTHON, ['-c', 'import pymysql; print(pymysql.__version__)']);
  if (!found.ok) return { ok: false, reason: `${SYSTEM_PYTHON} cannot import pymysql (apt-get install python3-pymysql)` };
  return { ok: true, version: `PyMySQL ${found.output}` };
}

/** Compiles the Connector/J scenario program into a fresh temp dir; nothing is cached in the repository. */
export async function compileConnectorJScenarios(): Promise<string> {
  const classes = mkdtempSync(join(tmpdir(), 'sluice-compat-connectorj-'));
  const source = join(MYSQL_COMPAT_DIR, 'ConnectorJScenarios.java');
  const compiled = await run('javac', ['-encoding', 'UTF-8', '-d', classes, '-cp', CONNECTOR_J_JAR, source], { timeoutMs: 60_000 });
  if (compiled.code !== 0) throw new Error(`javac failed:\n${compiled.stderr}`);
  return classes;
}

/** One Connector/J login: the URL options are exactly the ones given (no allowPublicKeyRetrieval unless asked). */
const CONNECTOR_J_LOGIN = `
import java.sql.*;
public class ConnectorJLogin {
  public static void main(String[] args) {
    String url = "jdbc:mariadb://" + System.getenv("LOGIN_HOST") + ":" + System.getenv("LOGIN_PORT") + "/" + System.getenv().getOrDefault("LOGIN_OPTIONS", "");
    try (Connection c = DriverManager.getConnection(url, System.getenv("LOGIN_USER"), System.getenv("LOGIN_PASSWORD"));
         Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT CURRENT_USER(), 6 * 7")) {
      rs.next();
      System.out.println("ok " + rs.getString(1) + " " + rs.getInt(2));
    } catch (SQLException e) {
      System.out.println("error " + e.getSQLState() + "/" + e.getErrorCode() + " " + e.getMessage());
    }
  }
}
`;

let compiledConnectorJLogin: Promise<string> | undefined;

/**
 * Logs in with MariaDB Connector/J and runs one query: `ok <current_user> 42`, or `error <sqlstate>/<code> <message>`.
 * `options` is the URL's query string (e.g. `?allowPublicKeyRetrieval=true`).
 */
export async function connectorJLogin(target: { host: string; port: number; user: string; password: string; options?: string }): Promise<string> {
  compiledConnectorJLogin ??= (async () => {
    const classes = mkdtempSync(join(tmpdir(), 'sluice-connectorj-login-'));
    writeFileSync(join(classes, 'ConnectorJLogin.java'), CONNECTOR_J_LOGIN);
    const compiled = await run('javac', ['-encoding', 'UTF-8', '-d', classes, '-cp', CONNECTOR_J_JAR, join(classes, 'ConnectorJLogin.java')], { timeoutMs: 60_000 });
    if (compiled.code !== 0) throw new Error(`javac failed:\n${compiled.stderr}`);
    return classes;
  })();
  const classes = await compiledConnectorJLogin;
  const result = await runClient('java', ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', `${classes}:${CONNECTOR_J_JAR}`, 'ConnectorJLogin'], {
    env: { LOGIN_HOST: target.host, LOGIN_PORT: String(target.port), LOGIN_USER: target.user, LOGIN_PASSWORD: target.password, LOGIN_OPTIONS: target.options ?? '' },
    timeoutMs: 60_000,
  });
  if (result.code !== 0) throw new Error(`Connector/J login program failed (${result.code}):\n${result.stderr}`);
  return result.stdout.trim();
}

/** Environment the Java and Python scenario programs read their target from. */
export function mysqlProgramEnv(target: MysqlRun, dataDirectory: string): NodeJS.ProcessEnv {
  return {
    ...(target.tlsCa ? { COMPAT_TLS_CA: target.tlsCa } : {}),
    COMPAT_HOST: target.host,
    COMPAT_PORT: String(target.port),
    COMPAT_USER: target.user,
    COMPAT_PASSWORD: target.password,
    COMPAT_DATABASE: target.schema,
    COMPAT_TYPES_SQL: MYSQL_TYPES_SQL_FILE,
    COMPAT_DATA_DIR: dataDirectory,
    TZ: 'UTC',
    LC_ALL: 'C.UTF-8',
    PYTHONIOENCODING: 'utf-8',
  };
}

/** Replaces each line longer than `limit` characters with its length and hash, so a large value stays comparable but short. */
export function foldLongLines(text: string, limit = 4000): string {
  return text
    .split('\n')
    .map((line) => (line.length > limit ? `<${line.length} chars, sha256 ${createHash('sha256').update(line).digest('hex').slice(0, 16)}, starts ${JSON.stringify(line.slice(0, 40))}>` : line))
    .join('\n');
}

/** Folds a long output to its line count, its hash, and its first and last lines. */
export function summarizeOutput(text: string, keep = 5): string {
  const lines = text.split('\n');
  if (lines.length <= keep * 2 + 1) return text;
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return [...lines.slice(0, keep), `<${lines.length - keep * 2} more lines; whole output ${text.length} chars, sha256 ${digest}>`, ...lines.slice(-keep)].join('\n');
}

/**
 * Runs a client program like processes.ts's run(), but decodes its output once at the end: a multibyte character split
 * across two pipe reads must not turn into replacement characters (where the reads split depends on timing).
 */
export function runClient(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Completed> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
