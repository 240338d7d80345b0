// Client compatibility harness: where each client connects, which clients this machine has, and stable text transcripts to compare.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type Completed } from './processes.js';

export const COMPAT_DIR = fileURLToPath(new URL('../compat/', import.meta.url));
export const TYPES_SQL_FILE = join(COMPAT_DIR, 'types.sql');
export const TYPES_SQL = readFileSync(TYPES_SQL_FILE, 'utf8');
export const DIRECT_PORT = 5432;

/** One way to reach the server: directly, or through one of the Sluice configurations. */
export interface Target {
  /** `direct`, or the name of the Sluice configuration. */
  readonly label: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

/** Where one client's run puts its tables and listens: unique per client and target, so runs can overlap. */
export interface Run extends Target {
  readonly schema: string;
}

export const DIRECT: Target = { label: 'direct', host: '127.0.0.1', port: DIRECT_PORT, user: 'postgres', password: '' };

export function runOf(client: string, target: Target): Run {
  return { ...target, schema: `compat_${client}_${target.label}` };
}

/** Whether a client can run here, and if not, the reason the skipped tests show. */
export type Availability = { readonly ok: true; readonly version: string } | { readonly ok: false; readonly reason: string };

function probe(command: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 15_000 });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() || String(result.error ?? '') };
}

export function psqlAvailability(): Availability & { major?: number } {
  const found = probe('psql', ['--version']);
  if (!found.ok) return { ok: false, reason: 'psql is not installed (apt-get install postgresql-client)' };
  const major = Number(/(\d+)(?:\.\d+)?/.exec(found.output)?.[1]);
  return { ok: true, version: found.output, major };
}

export const JDBC_JAR = '/usr/share/java/postgresql.jar';

export function jdbcAvailability(): Availability {
  if (!probe('javac', ['-version']).ok) return { ok: false, reason: 'no javac on this machine (a JDK 17 is needed)' };
  if (!existsSync(JDBC_JAR)) return { ok: false, reason: `${JDBC_JAR} is missing (apt-get install libpostgresql-jdbc-java)` };
  return { ok: true, version: probe('java', ['-version']).output.split('\n')[0]! };
}

/** Debian's psycopg2 lives in the system Python's dist-packages, which a pyenv `python3` on PATH does not see. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export function psycopg2Availability(): Availability {
  if (!existsSync(SYSTEM_PYTHON)) return { ok: false, reason: `${SYSTEM_PYTHON} is missing (apt-get install python3-psycopg2)` };
  const found = probe(SYSTEM_PYTHON, ['-c', 'import psycopg2; print(psycopg2.__version__)']);
  if (!found.ok) return { ok: false, reason: `${SYSTEM_PYTHON} cannot import psycopg2 (apt-get install python3-psycopg2)` };
  return { ok: true, version: `psycopg2 ${found.output}` };
}

/** Compiles the JDBC scenario program into a fresh temp dir; nothing is cached in the repository. */
export async function compileJdbcScenarios(): Promise<string> {
  const classes = mkdtempSync(join(tmpdir(), 'sluice-compat-jdbc-'));
  const compiled = await run('javac', ['-encoding', 'UTF-8', '-d', classes, '-cp', JDBC_JAR, join(COMPAT_DIR, 'JdbcScenarios.java')], { timeoutMs: 60_000 });
  if (compiled.code !== 0) throw new Error(`javac failed:\n${compiled.stderr}`);
  return classes;
}

/** Environment the Java and Python scenario programs read their target from. */
export function programEnv(target: Run): NodeJS.ProcessEnv {
  return {
    COMPAT_HOST: target.host,
    COMPAT_PORT: String(target.port),
    COMPAT_USER: target.user,
    COMPAT_PASSWORD: target.password,
    COMPAT_SCHEMA: target.schema,
    COMPAT_DIRECT_PORT: String(DIRECT_PORT),
    COMPAT_TYPES_SQL: TYPES_SQL_FILE,
    // Same zone and locale for every run, so printed dates cannot differ by environment.
    TZ: 'UTC',
    LC_ALL: 'C.UTF-8',
    PYTHONIOENCODING: 'utf-8',
  };
}

/** Splits a program's `== name` sections; stderr (if any) is kept as its own section. */
export function sections(completed: Completed): Map<string, string> {
  const found = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  const close = () => {
    if (name !== undefined) found.set(name, lines.join('\n'));
  };
  for (const line of completed.stdout.split('\n')) {
    const header = /^== (.+)$/.exec(line);
    if (header) {
      close();
      name = header[1]!;
      lines = [];
    } else if (name !== undefined) lines.push(line);
  }
  close();
  found.set('(exit)', `code ${completed.code}\n${completed.stderr}`);
  return found;
}

/** Lines of text a scenario produces; every value is rendered the same way whichever side it came from. */
export class Transcript {
  readonly #lines: string[] = [];

  line(...parts: unknown[]): void {
    this.#lines.push(parts.map((part) => (typeof part === 'string' ? part : show(part))).join(' '));
  }

  error(error: unknown): void {
    this.line('error:', describeError(error));
  }

  /** Runs a step and records its error instead of stopping the scenario. */
  async attempt(step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.error(error);
    }
  }

  toString(): string {
    return this.#lines.join('\n');
  }
}

/** A stable rendering of a value as a driver returned it. */
export function show(value: unknown): string {
  if (value === null) return 'NULL';
  if (value === undefined) return 'undefined';
  if (Buffer.isBuffer(value)) return `Buffer(\\x${value.toString('hex')})`;
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([key, inner]) => `${JSON.stringify(key)}: ${show(inner)}`);
    const kind = value.constructor && value.constructor !== Object ? `${value.constructor.name} ` : '';
    return `${kind}{${entries.join(', ')}}`;
  }
  return String(value);
}

const ERROR_FIELDS = ['code', 'severity', 'message', 'detail', 'hint', 'position', 'where'] as const;

/** The server's error fields (pg and postgres.js name them alike), or the client error's class and message. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `thrown ${show(error)}`;
  const fields = error as unknown as Record<string, unknown>;
  const parts = ERROR_FIELDS.filter((field) => fields[field] !== undefined && fields[field] !== '').map((field) => `${field}=${show(fields[field])}`);
  return `${error.constructor.name} ${parts.join(' ')}`;
}

/** Output that legitimately differs between two connections: backend process ids and the per-run schema name. */
export function normalize(text: string, run: Run): string {
  return text.replaceAll(run.schema, '<schema>').replace(/server process with PID \d+/g, 'server process with PID <pid>');
}

/** Resolves once `check` returns true, polling; rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A TCP relay that logs every PostgreSQL message passing through it, one line per run of same-type messages
 * (`C> d x3000 (60000 bytes)`, `S> E "..."`). Put it in front of a server to see what a client and the server said.
 */
export async function startProtocolTrace(upstreamPort: number, upstreamHost = '127.0.0.1'): Promise<{ port: number; lines(): string[]; close(): Promise<void> }> {
  const { createServer, connect } = await import('node:net');
  const lines: string[] = [];
  const loggers = new Set<{ flush(): void }>();
  const server = createServer((client) => {
    const upstream = connect(upstreamPort, upstreamHost);
    const id = lines.filter((line) => line.startsWith('--- connection')).length + 1;
    lines.push(`--- connection ${id}`);
    const state = { untypedFromClient: true, rawBytesFromServer: 0 };
    const log = messageLogger((line) => lines.push(`#${id} ${line}`));
    loggers.add(log);
    const fromClient = frameSplitter((code, body) => {
      if (code === undefined) {
        const request = body.length >= 4 ? body.readInt32BE(0) : 0;
        if (request === 80877103 || request === 80877104) state.rawBytesFromServer = 1;
        else state.untypedFromClient = false;
        log('C', request === 80877103 ? 'SSLRequest' : request === 80877104 ? 'GSSENCRequest' : request === 80877102 ? 'CancelRequest' : 'Startup', body);
      } else log('C', String.fromCharCode(code), body);
    }, () => state.untypedFromClient);
    const fromServer = frameSplitter((code, body) => log('S', code === undefined ? 'raw' : String.fromCharCode(code), body), () => false, () => {
      const raw = state.rawBytesFromServer;
      state.rawBytesFromServer = 0;
      return raw;
    });
    client.on('data', (chunk: Buffer) => {
      fromClient(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      fromServer(chunk);
      client.write(chunk);
    });
    const end = (side: string) => () => {
      log.flush();
      lines.push(`#${id} ${side} closed`);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end('client'));
    upstream.on('close', end('server'));
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    lines: () => {
      for (const log of loggers) log.flush();
      return [...lines];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Cuts a byte stream into messages: typed (code, int32 length) or, while `untyped()`, startup packets; `raw()` bytes first. */
function frameSplitter(onMessage: (code: number | undefined, body: Buffer) => void, untyped: () => boolean, raw: () => number = () => 0) {
  let chunks: Buffer[] = [];
  let total = 0;
  /** The first `bytes` bytes in one buffer, joining chunks only once that many have arrived (a 20 MB message is copied once). */
  const head = (bytes: number): Buffer | undefined => {
    if (total < bytes) return undefined;
    if (chunks[0]!.length < bytes) chunks = [Buffer.concat(chunks, total)];
    return chunks[0]!;
  };
  const consume = (bytes: number) => {
    const first = chunks[0]!.subarray(bytes);
    chunks = first.length > 0 ? [first, ...chunks.slice(1)] : chunks.slice(1);
    total -= bytes;
  };
  return (chunk: Buffer) => {
    chunks.push(chunk);
    total += chunk.length;
    for (;;) {
      const rawBytes = raw();
      if (rawBytes > 0) {
        const bytes = head(rawBytes)!;
        onMessage(undefined, bytes.subarray(0, rawBytes));
        consume(rawBytes);
        continue;
      }
      const typed = !untyped();
      const header = head(typed ? 5 : 4);
      if (!header) return;
      const size = typed ? header.readInt32BE(1) + 1 : header.readInt32BE(0);
      const message = head(size);
      if (!message) return;
      onMessage(typed ? message[0] : undefined, message.subarray(typed ? 5 : 4, size));
      consume(size);
    }
  };
}

/** Logs messages, folding a run of same-type messages from one side into one line. */
function messageLogger(write: (line: string) => void) {
  let run: { side: string; type: string; count: number; bytes: number; first: string } | undefined;
  const flush = () => {
    if (!run) return;
    write(`${run.side}> ${run.type}${run.count > 1 ? ` x${run.count} (${run.bytes} bytes)` : ''} ${run.first}`);
    run = undefined;
  };
  const log = (side: string, type: string, body: Buffer) => {
    if (run && run.side === side && run.type === type) {
      run.count++;
      run.bytes += body.length;
      return;
    }
    flush();
    const text = body.subarray(0, 120).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
    run = { side, type, count: 1, bytes: body.length, first: JSON.stringify(text) };
  };
  log.flush = flush;
  return log;
}
