// The TDS test server: a TDS 7.4 endpoint for tests that answers from the machine's PostgreSQL. Test code only.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import pg from 'pg';
import { createTestCertificate, type TestCertificate } from './certificate.js';
import type { Login7 } from './login7.js';
import { TdsSession, type EncryptionMode, type RecordedRequest } from './session.js';
import type { CustomOids } from './type-mapping.js';

export interface TdsTestServerOptions {
  /** SQL logins the server accepts (user → password). */
  readonly users?: Readonly<Record<string, string>>;
  /** Server side of the PRELOGIN encryption negotiation. Default 'off' (TLS when the client asks). */
  readonly encryption?: EncryptionMode;
  /** The certificate for TLS; one is made with openssl when omitted. */
  readonly certificate?: TestCertificate;
  /** The database a login without one lands in: a PostgreSQL schema, created if missing. */
  readonly database: string;
  /** More databases (schemas) to create, for USE and LOGIN7 database tests. */
  readonly extraDatabases?: readonly string[];
  readonly postgres?: pg.ClientConfig;
  /** Answer matching logins with a routing ENVCHANGE to this address (as Azure SQL gateways do). */
  readonly routing?: (login: Login7) => { server: string; port: number } | undefined;
  /** Rows fetched from PostgreSQL per read (small values make streaming visible). */
  readonly rowsPerRead?: number;
}

export const DEFAULT_POSTGRES: pg.ClientConfig = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
export const TYPES_SCHEMA = 'tds_test_types';

export class TdsTestServer {
  readonly requests: RecordedRequest[] = [];
  readonly certificate: TestCertificate;
  private readonly server: Server;
  private readonly sessions = new Set<TdsSession>();
  private readonly sockets = new Set<Socket>();
  private admin: pg.Client | undefined;
  private customOids: CustomOids = { datetime: -1, smalldatetime: -1 };
  routing: TdsTestServerOptions['routing'];

  private constructor(private readonly options: TdsTestServerOptions) {
    this.certificate = options.certificate ?? createTestCertificate();
    this.routing = options.routing;
    this.server = createServer((socket) => this.accept(socket));
  }

  static async start(options: TdsTestServerOptions): Promise<TdsTestServer> {
    const server = new TdsTestServer(options);
    await server.prepare();
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Requests seen so far of one kind. */
  seen(kind: RecordedRequest['kind']): RecordedRequest[] {
    return this.requests.filter((request) => request.kind === kind);
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  /** Cuts every client connection, as a crashed server would. */
  destroyConnections(): void {
    for (const session of this.sessions) session.destroy();
  }

  async stop(): Promise<void> {
    this.destroyConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.admin?.end().catch(() => undefined);
  }

  /** An admin connection for cancels, the database schemas and the datetime/smalldatetime types. */
  private async prepare(): Promise<void> {
    const admin = new pg.Client(this.pgConfig);
    admin.on('error', () => undefined);
    await admin.connect();
    this.admin = admin;
    for (const schema of [this.options.database, ...(this.options.extraDatabases ?? [])]) {
      await admin.query(`create schema if not exists "${schema.replace(/"/g, '""')}"`);
    }
    await admin.query('select pg_advisory_lock(74000004)');
    try {
      await admin.query(TYPES_SQL);
    } finally {
      await admin.query('select pg_advisory_unlock(74000004)');
    }
    const oids = await admin.query<{ datetime: number; smalldatetime: number }>(
      `select to_regtype('${TYPES_SCHEMA}.datetime')::oid::int as datetime, to_regtype('${TYPES_SCHEMA}.smalldatetime')::oid::int as smalldatetime`,
    );
    this.customOids = oids.rows[0]!;
  }

  private get pgConfig(): pg.ClientConfig {
    return this.options.postgres ?? DEFAULT_POSTGRES;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const mode = this.options.encryption ?? 'off';
    const session = new TdsSession(socket, {
      users: new Map(Object.entries(this.options.users ?? { sa: 'Test-Server-Pw1' })),
      encryption: mode,
      secureContext:
        mode === 'not-supported' ? undefined : createSecureContext({ cert: this.certificate.cert, key: this.certificate.key, maxVersion: 'TLSv1.2', minVersion: 'TLSv1.2' }),
      defaultDatabase: this.options.database,
      pg: this.pgConfig,
      customOids: this.customOids,
      typesSchema: TYPES_SCHEMA,
      rowsPerRead: this.options.rowsPerRead ?? 500,
      routing: (login) => this.routing?.(login),
      cancelBackend: async (pid) => {
        await this.admin?.query('select pg_cancel_backend($1)', [pid]);
      },
      record: (request) => this.requests.push(request),
    });
    this.sessions.add(session);
    socket.on('close', () => this.sessions.delete(session));
  }
}

/**
 * PostgreSQL has no datetime or smalldatetime; these two base types share timestamp's storage and
 * text form, so `::datetime` / `::smalldatetime` casts (and columns) keep a distinct type OID the
 * server maps to DATETIMN. Created once per PostgreSQL cluster, under an advisory lock.
 */
const TYPES_SQL = `
create schema if not exists ${TYPES_SCHEMA};
do $$
declare
  name text;
begin
  foreach name in array array['datetime', 'smalldatetime'] loop
    if to_regtype('${TYPES_SCHEMA}.' || name) is null then
      execute format('create type ${TYPES_SCHEMA}.%I', name);
      execute format('create function ${TYPES_SCHEMA}.%I(cstring, oid, integer) returns ${TYPES_SCHEMA}.%I language internal immutable strict parallel safe as %L', name || '_in', name, 'timestamp_in');
      execute format('create function ${TYPES_SCHEMA}.%I(${TYPES_SCHEMA}.%I) returns cstring language internal immutable strict parallel safe as %L', name || '_out', name, 'timestamp_out');
      execute format('create type ${TYPES_SCHEMA}.%I (input = ${TYPES_SCHEMA}.%I, output = ${TYPES_SCHEMA}.%I, internallength = 8, passedbyvalue, alignment = double)', name, name || '_in', name || '_out');
      execute format('create cast (timestamp as ${TYPES_SCHEMA}.%I) without function as assignment', name);
      execute format('create cast (${TYPES_SCHEMA}.%I as timestamp) without function as implicit', name);
    end if;
  end loop;
end $$;
`;
