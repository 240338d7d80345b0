// Starts the embedded PostgreSQL behind `sluice demo`: PGlite (Postgres compiled to WASM) on a TCP port, loaded with the sample data.
//
// What @electric-sql/pglite-socket 0.2.17 does, found by reading its code and by testing:
// - Authentication: none. After the startup packet it answers AuthenticationOk at once
//   (trust); a password, if sent, is never asked for. SSLRequest gets 'N' (no TLS).
//   CancelRequest is swallowed: a running query cannot be cancelled.
// - Names: any user and database in the startup packet are accepted, but every
//   connection is the same session as user `postgres` on database `postgres`.
// - Concurrency: PGlite is ONE Postgres backend in single-user mode. The server
//   accepts up to `maxConnections` sockets (default 1; further sockets are closed
//   at once, which clients see as "connection terminated unexpectedly") and
//   multiplexes all of them onto that one session through a shared queue, one
//   protocol message at a time. Consequences for every client:
//     * Queries from different clients run one after another, never in parallel.
//     * While one client is inside an explicit transaction, all others wait
//       (indefinitely) until it commits, rolls back or disconnects; a disconnect
//       rolls the transaction back.
//     * Session state is shared: SET, temp tables, named prepared statements
//       (a second client preparing the same name gets 42P05) and LISTEN.
// - Two defects of that queue are patched here (see keepClientTurnsWhole): it
//   could interleave another client's messages into an extended-protocol batch
//   (Parse/Bind/Execute/Sync) that arrived in more than one TCP read, so one
//   client got another's rows; and a client disconnecting in the middle of a
//   failed batch left the backend ignoring everything until a Sync, hanging
//   every other client.
import { PGlite, type ExecProtocolOptionsStream } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { SAMPLE_DATA_SQL } from './sample-data.js';

export interface EmbeddedPostgresOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** TCP port; 0 or undefined picks a free one. */
  port?: number;
  /** Directory to keep the database in across runs; default is in memory only. */
  dataDir?: string;
  /** Client connections accepted at once, all sharing one session (default 10). */
  maxConnections?: number;
}

export interface EmbeddedPostgres {
  host: string;
  port: number;
  /** The only role; the server trusts every connection, no password needed. */
  user: string;
  database: string;
  close(): Promise<void>;
}

const DEFAULT_MAX_CONNECTIONS = 10;

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir });
  let server: PGLiteSocketServer | undefined;
  try {
    await loadSampleDataOnce(db);
    keepClientTurnsWhole(db);
    const host = opts.host ?? '127.0.0.1';
    server = new PGLiteSocketServer({
      db,
      host,
      port: opts.port ?? 0,
      maxConnections: opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    });
    const port = await listen(server);
    const running = server;
    let closing: Promise<void> | undefined;
    return {
      host,
      port,
      user: 'postgres',
      database: 'postgres',
      close: () => (closing ??= running.stop().then(() => db.close())),
    };
  } catch (err) {
    await server?.stop();
    await db.close();
    throw err;
  }
}

// A persistent dataDir keeps the data from an earlier run; loading it again would fail.
async function loadSampleDataOnce(db: PGlite): Promise<void> {
  const { rows } = await db.query<{ loaded: boolean }>(
    "select to_regclass('public.customers') is not null as loaded",
  );
  if (!rows[0]?.loaded) await db.exec(SAMPLE_DATA_SQL);
}

async function listen(server: PGLiteSocketServer): Promise<number> {
  let port = 0;
  server.addEventListener('listening', (event) => {
    port = (event as CustomEvent<{ port: number }>).detail.port;
  });
  await server.start();
  return port;
}

const READY_FOR_QUERY = 0x5a; // 'Z'
const TERMINATE = 0x58; // 'X'

// pglite-socket keeps taking messages from one client only while
// db.isInTransaction() is true, and on a disconnect while that holds it runs
// ROLLBACK. Widening "in transaction" to "this client's turn is not finished"
// (PGlite has not yet answered ReadyForQuery) keeps each client's batch whole
// and, on a mid-batch disconnect, gets that ROLLBACK to reset the backend.
// Relies on pglite-socket internals, so re-check it when upgrading that package.
function keepClientTurnsWhole(db: PGlite): void {
  let turnOpen = false;
  const isInTransaction = db.isInTransaction.bind(db);
  const execProtocolRawStream = db.execProtocolRawStream.bind(db);

  db.isInTransaction = () => turnOpen || isInTransaction();
  db.execProtocolRawStream = async (message: Uint8Array, options: ExecProtocolOptionsStream) => {
    let tail: Uint8Array = new Uint8Array(0);
    await execProtocolRawStream(message, {
      ...options,
      onRawData: (data) => {
        tail = lastBytes(tail, data, 6);
        options.onRawData(data);
      },
    });
    turnOpen = message[0] !== TERMINATE && !isReadyForQuery(tail);
  };
}

function isReadyForQuery(bytes: Uint8Array): boolean {
  const [type, l0, l1, l2, l3, status] = bytes;
  const statusIsValid = status === 0x49 || status === 0x54 || status === 0x45; // 'I' | 'T' | 'E'
  return bytes.length === 6 && type === READY_FOR_QUERY && l0 === 0 && l1 === 0 && l2 === 0 && l3 === 5 && statusIsValid;
}

function lastBytes(previous: Uint8Array, next: Uint8Array, count: number): Uint8Array {
  if (next.length >= count) return next.slice(next.length - count);
  const joined = new Uint8Array(previous.length + next.length);
  joined.set(previous);
  joined.set(next, previous.length);
  return joined.slice(Math.max(0, joined.length - count));
}
