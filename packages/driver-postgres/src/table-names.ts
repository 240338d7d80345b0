// Names of the tables behind result columns. PostgreSQL's RowDescription names a column's table by
// OID only; plugins (masking rules) and the audit trail want `schema.table`. Names are looked up on a
// side connection per upstream login, once per table, and kept for a while: a lookup delays only the
// first result that shows a table, and only in sessions whose plugins read rows.
import type { UpstreamTarget } from '@sluice/core';
import type { Socket } from 'node:net';
import { ClientCode, MAX_MESSAGE, ServerCode } from './codes.js';
import { isFramingError } from './framing.js';
import { dataRowRanges, decodeErrorFields, decodeRowDescription, type ColumnDescription } from './results.js';
import { SocketReader } from './socket-reader.js';
import { loginUpstream } from './upstream.js';
import { MessageWriter } from './writer.js';

/** How long a name is trusted (a renamed table shows its new name after this). */
const NAME_TTL_MS = 5 * 60_000;
/** After a failed lookup, tables are shown by OID for this long rather than stall every result. */
const FAILURE_BACKOFF_MS = 30_000;
const IDLE_CLOSE_MS = 30_000;
const LOOKUP_TIMEOUT_MS = 2_000;
const MAX_NAMES = 10_000;

interface Named {
  readonly name: string;
  readonly at: number;
}

/** The side connections, one per upstream login; shared by the sessions of one driver. */
export class TableNames {
  readonly #catalogs = new Map<string, Catalog>();

  for(target: UpstreamTarget): Catalog {
    const key = `${target.host}\u0000${target.port}\u0000${target.database ?? ''}\u0000${target.user ?? ''}`;
    let catalog = this.#catalogs.get(key);
    if (!catalog) {
      catalog = new Catalog(target);
      this.#catalogs.set(key, catalog);
    }
    return catalog;
  }
}

export class Catalog {
  readonly #target: UpstreamTarget;
  readonly #names = new Map<number, Named>();
  #failedAt = -Infinity;
  #connection: Promise<CatalogConnection> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(target: UpstreamTarget) {
    this.#target = target;
  }

  /** `schema.table` for a table OID, when known and fresh. */
  name(oid: number): string | undefined {
    const named = this.#names.get(oid);
    return named && Date.now() - named.at < NAME_TTL_MS ? named.name : undefined;
  }

  /** OIDs among these that need a lookup; empty while lookups are backing off after a failure. */
  missing(oids: Iterable<number>): number[] {
    if (Date.now() - this.#failedAt < FAILURE_BACKOFF_MS) return [];
    const missing = new Set<number>();
    for (const oid of oids) if (oid !== 0 && this.name(oid) === undefined) missing.add(oid);
    return [...missing];
  }

  /** Looks the OIDs up; never throws (a failure is returned, and names stay OIDs for a while). */
  lookup(oids: readonly number[]): Promise<Error | undefined> {
    const run = this.#queue.then(() => this.#lookup(oids));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #lookup(oids: readonly number[]): Promise<Error | undefined> {
    const result = await this.#withConnection(async (connection) => {
      const rows = await connection.query(tableNamesSql(oids));
      const at = Date.now();
      for (const [oid, schema, table] of rows) this.#remember(Number(oid), `${schema}.${table}`, at);
    });
    if (result instanceof Error) this.#failedAt = Date.now();
    return result instanceof Error ? result : undefined;
  }

  /**
   * The result columns of a statement, as the server describes it without running it (Parse and
   * Describe of an unnamed statement); an Error when it cannot be described on the side connection
   * (a temporary table, a search_path or transaction only the session has, a failed login).
   */
  describe(sql: string): Promise<ColumnDescription[] | null | Error> {
    const run = this.#queue.then(() => this.#withConnection((connection) => connection.describe(sql)));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #withConnection<T>(work: (connection: CatalogConnection) => Promise<T>): Promise<T | Error> {
    clearTimeout(this.#idleTimer);
    try {
      const connection = await (this.#connection ??= CatalogConnection.open(this.#target));
      const result = await withTimeout(work(connection), LOOKUP_TIMEOUT_MS);
      this.#idleTimer = setTimeout(() => this.#close(), IDLE_CLOSE_MS);
      this.#idleTimer.unref();
      return result;
    } catch (error) {
      this.#close();
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  #remember(oid: number, name: string, at: number): void {
    this.#names.delete(oid);
    this.#names.set(oid, { name, at });
    if (this.#names.size > MAX_NAMES) this.#names.delete(this.#names.keys().next().value!);
  }

  #close(): void {
    clearTimeout(this.#idleTimer);
    const connection = this.#connection;
    this.#connection = undefined;
    void connection?.then((open) => open.close(), () => undefined);
  }
}

function tableNamesSql(oids: readonly number[]): string {
  // OIDs are integers read from the server's own message: safe to write into the statement.
  const list = oids.map((oid) => String(Math.trunc(oid))).join(',');
  return `select c.oid, n.nspname, c.relname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.oid in (${list})`;
}

/** One logged-in connection that runs catalog queries with the simple query protocol, one at a time. */
class CatalogConnection {
  readonly #reader: SocketReader;
  readonly #socket: Socket;

  private constructor(socket: Socket, reader: SocketReader) {
    this.#socket = socket;
    this.#reader = reader;
  }

  static async open(target: UpstreamTarget): Promise<CatalogConnection> {
    const login = await loginUpstream(target, new Map([['application_name', 'sluice (table names)']]));
    login.socket.on('error', () => undefined);
    const reader = new SocketReader(login.socket, MAX_MESSAGE);
    if (login.leftover.length > 0) reader.framer.push(login.leftover);
    login.socket.resume();
    return new CatalogConnection(login.socket, reader);
  }

  async query(sql: string): Promise<string[][]> {
    this.#socket.write(new MessageWriter(ClientCode.Query).cstring(sql).finish());
    const rows: string[][] = [];
    let failure: string | undefined;
    for (;;) {
      const frame = await this.#reader.message();
      if (isFramingError(frame)) throw new Error(`malformed catalog answer: ${frame.error}`);
      if (frame.code === ServerCode.DataRow) {
        const ranges = dataRowRanges(frame.body) ?? [];
        rows.push(ranges.map((range) => (range.start === -1 ? '' : frame.body.toString('utf8', range.start, range.start + range.length))));
      } else if (frame.code === ServerCode.ErrorResponse) {
        failure = decodeErrorFields(frame.body).message || 'the catalog query failed';
      } else if (frame.code === ServerCode.ReadyForQuery) {
        if (failure !== undefined) throw new Error(failure);
        return rows;
      }
    }
  }

  /** Columns of the statement (null: it returns none), described without running it. */
  async describe(sql: string): Promise<ColumnDescription[] | null> {
    this.#socket.write(
      Buffer.concat([
        new MessageWriter(ClientCode.Parse).cstring('').cstring(sql).int16(0).finish(),
        new MessageWriter(ClientCode.Describe).byte(0x53).cstring('').finish(),
        new MessageWriter(ClientCode.Sync).finish(),
      ]),
    );
    let columns: ColumnDescription[] | null | undefined;
    let failure: string | undefined;
    for (;;) {
      const frame = await this.#reader.message();
      if (isFramingError(frame)) throw new Error(`malformed catalog answer: ${frame.error}`);
      if (frame.code === ServerCode.RowDescription) columns = decodeRowDescription(frame.body);
      else if (frame.code === ServerCode.NoData) columns = null;
      else if (frame.code === ServerCode.ErrorResponse) failure = decodeErrorFields(frame.body).message || 'the statement cannot be described';
      else if (frame.code === ServerCode.ReadyForQuery) {
        if (failure !== undefined) throw new Error(failure);
        if (columns === undefined) throw new Error('the server did not describe the statement');
        return columns;
      }
    }
  }

  close(): void {
    this.#socket.end(new MessageWriter(ClientCode.Terminate).finish());
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`the catalog did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
