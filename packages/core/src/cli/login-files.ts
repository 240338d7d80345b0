// Client credential files `sluice login` writes: a ~/.pgpass line and a ~/.my.cnf [client] block.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface PgpassEntry {
  readonly host: string;
  readonly port: number;
  /** `*` matches any database. */
  readonly database: string;
  /** `*` matches any user name. */
  readonly user: string;
  readonly password: string;
}

/** libpq's own default: PGPASSFILE, else ~/.pgpass. */
export function defaultPgpassFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.PGPASSFILE ?? join(homedir(), '.pgpass');
}

export function defaultMyCnfFile(): string {
  return join(homedir(), '.my.cnf');
}

/** The pgpass text with `entry` in place of any line for the same host, port, database and user. */
export function pgpassWithEntry(existing: string, entry: PgpassEntry): string {
  const key = [entry.host, String(entry.port), entry.database, entry.user].map(escapePgpass);
  const kept = existing.split('\n').filter((line) => {
    if (line.trim() === '') return false;
    if (line.startsWith('#')) return true;
    const fields = splitPgpass(line);
    return !(fields.length >= 5 && key.every((field, index) => field === fields[index]));
  });
  return [...kept, [...key, escapePgpass(entry.password)].join(':')].join('\n') + '\n';
}

export interface MyCnfEntry {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Ask the client for TLS: a token is only accepted over TLS (loopback aside, when allowed). */
  readonly tls: boolean;
}

const CLIENT_KEYS = ['host', 'port', 'user', 'password'];
const TLS_KEYS = ['ssl', 'ssl-mode'];

/**
 * The my.cnf text with host, port, user and password of its [client] group replaced, other lines
 * kept. With `tls`, `ssl` goes in [client-mariadb]: MariaDB's clients before 11.4 do not use TLS
 * unless asked, and only they read that group (MySQL 8's clients use TLS when the server offers it,
 * and would refuse MariaDB's `ssl` option).
 */
export function myCnfWithClient(existing: string, entry: MyCnfEntry): string {
  let lines = existing === '' ? [] : existing.replace(/\n$/, '').split('\n');
  const password = `"${entry.password.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  lines = withGroup(lines, 'client', [`host=${entry.host}`, `port=${entry.port}`, `user=${entry.user}`, `password=${password}`], CLIENT_KEYS);
  if (entry.tls) lines = withGroup(lines, 'client-mariadb', ['ssl'], TLS_KEYS);
  return lines.join('\n') + '\n';
}

/** `group` with `ours` first and any earlier line of `managed` keys removed; the group is added when missing. */
function withGroup(lines: string[], group: string, ours: string[], managed: readonly string[]): string[] {
  const start = lines.findIndex((line) => line.trim().toLowerCase() === `[${group}]`);
  if (start === -1) return [...lines, ...(lines.length > 0 ? [''] : []), `[${group}]`, ...ours];
  let end = lines.findIndex((line, index) => index > start && /^\s*\[/.test(line));
  if (end === -1) end = lines.length;
  const body = lines.slice(start + 1, end).filter((line) => {
    const key = /^\s*([A-Za-z_-]+)\s*(=|$)/.exec(line)?.[1]?.toLowerCase().replace(/_/g, '-').replace(/^loose-/, '');
    return !(key !== undefined && managed.includes(key));
  });
  return [...lines.slice(0, start + 1), ...ours, ...body, ...lines.slice(end)];
}

/** Writes a credentials file readable by its owner only (libpq ignores a pgpass file others can read). */
export async function writePrivateFile(file: string, update: (existing: string) => string): Promise<void> {
  const existing = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, update(existing), { mode: 0o600 });
  await chmod(file, 0o600);
}

function escapePgpass(field: string): string {
  return field === '*' ? field : field.replace(/[\\:]/g, (c) => `\\${c}`);
}

/** A pgpass line's fields, still escaped, split at unescaped colons. */
function splitPgpass(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      current += c + line[i + 1];
      i++;
    } else if (c === ':') {
      fields.push(current);
      current = '';
    } else current += c;
  }
  fields.push(current);
  return fields;
}
