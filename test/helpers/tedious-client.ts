// Promise wrappers around tedious 19 for the SQL Server tests: connect, batches, execSql, prepare/execute, transactions.
import { Connection, Request, type ConnectionConfiguration } from 'tedious';

export interface Column {
  readonly name: string;
  /** tedious's name for the TDS type it decoded (IntN, NVarChar, DateTimeOffsetN, …). */
  readonly type: string;
  readonly precision?: number;
  readonly scale?: number;
  readonly dataLength?: number;
}

export interface ResultSet {
  readonly columns: Column[];
  readonly rows: unknown[][];
}

export interface Outcome {
  readonly resultSets: ResultSet[];
  /** Rows as name → value objects, all result sets together. */
  readonly rows: Record<string, unknown>[];
  readonly rowCount: number | undefined;
  readonly infos: { number: number; message: string }[];
  readonly returnValues: Record<string, unknown>;
  readonly returnStatus: number | undefined;
  /** Column numbers of every ORDER token, in arrival order. */
  readonly orders: number[][];
}

export interface TediousOptions {
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly token?: string;
  readonly encrypt?: boolean | 'strict';
  readonly database?: string;
  readonly packetSize?: number;
  readonly appName?: string;
  readonly connectTimeout?: number;
  /** For strict encryption (which ignores trustServerCertificate): the CA to trust and the name to check. */
  readonly ca?: Buffer;
  readonly serverName?: string;
}

export function connectTedious(options: TediousOptions): Promise<Connection> {
  const config: ConnectionConfiguration = {
    server: '127.0.0.1',
    authentication: options.token
      ? { type: 'azure-active-directory-access-token', options: { token: options.token } }
      : { type: 'default', options: { userName: options.user, password: options.password ?? '' } },
    options: {
      port: options.port,
      encrypt: options.encrypt ?? false,
      trustServerCertificate: true,
      ...(options.database ? { database: options.database } : {}),
      ...(options.packetSize ? { packetSize: options.packetSize } : {}),
      ...(options.ca ? { cryptoCredentialsDetails: { ca: options.ca } } : {}),
      ...(options.serverName ? { serverName: options.serverName } : {}),
      appName: options.appName ?? 'sluice-tests',
      connectTimeout: options.connectTimeout ?? 10_000,
      requestTimeout: 30_000,
      rowCollectionOnRequestCompletion: false,
    },
  };
  const connection = new Connection(config);
  return new Promise((resolve, reject) => {
    connection.on('error', () => undefined);
    connection.connect((error) => (error ? reject(error) : resolve(connection)));
  });
}

export function closeTedious(connection: Connection): Promise<void> {
  return new Promise((resolve) => {
    if ((connection as unknown as { closed: boolean }).closed) return resolve();
    connection.once('end', () => resolve());
    connection.close();
  });
}

/** Collects everything a request produces; rejects with tedious's RequestError. */
export function collect(connection: Connection, request: Request, start: (request: Request) => void, infos: Outcome['infos'] = []): Promise<Outcome> {
  const resultSets: ResultSet[] = [];
  const rows: Record<string, unknown>[] = [];
  const returnValues: Record<string, unknown> = {};
  let returnStatus: number | undefined;
  const orders: number[][] = [];
  request.on('order', (columns: number[]) => orders.push(columns));
  request.on('columnMetadata', (columns) => {
    const list = Array.isArray(columns) ? columns : Object.values(columns);
    resultSets.push({
      columns: list.map((c) => ({ name: c.colName, type: c.type.name, precision: c.precision, scale: c.scale, dataLength: c.dataLength })),
      rows: [],
    });
  });
  request.on('row', (columns) => {
    const list = Array.isArray(columns) ? columns : Object.values(columns);
    resultSets.at(-1)?.rows.push(list.map((c) => c.value));
    rows.push(Object.fromEntries(list.map((c) => [c.metadata.colName, c.value])));
  });
  request.on('returnValue', (name, value) => (returnValues[name] = value));
  request.on('doneProc', (_rowCount, _more, status) => {
    if (typeof status === 'number') returnStatus ??= status;
  });
  const onInfo = (info: { number: number; message: string }) => infos.push({ number: info.number, message: info.message });
  connection.on('infoMessage', onInfo);
  return new Promise((resolve, reject) => {
    (request as unknown as { userCallback: (error: Error | null | undefined, rowCount?: number) => void }).userCallback = (error, rowCount) => {
      connection.off('infoMessage', onInfo);
      if (error) reject(error);
      else resolve({ resultSets, rows, rowCount, infos, returnValues, returnStatus, orders });
    };
    start(request);
  });
}

/** A plain SQLBatch. */
export function batch(connection: Connection, sql: string): Promise<Outcome> {
  const request = new Request(sql, () => undefined);
  return collect(connection, request, (r) => connection.execSqlBatch(r));
}

export type Parameter = readonly [name: string, type: Parameters<Request['addParameter']>[1], value: unknown, options?: Parameters<Request['addParameter']>[3]];

/** sp_executesql with typed parameters. */
export function execSql(connection: Connection, sql: string, parameters: readonly Parameter[] = []): Promise<Outcome> {
  const request = new Request(sql, () => undefined);
  for (const [name, type, value, options] of parameters) request.addParameter(name, type, value, options);
  return collect(connection, request, (r) => connection.execSql(r));
}

/** A named procedure call with input and output parameters. */
export function callProcedure(connection: Connection, name: string, inputs: readonly Parameter[], outputs: readonly Parameter[] = []): Promise<Outcome> {
  const request = new Request(name, () => undefined);
  for (const [n, type, value, options] of inputs) request.addParameter(n, type, value, options);
  for (const [n, type, value, options] of outputs) request.addOutputParameter(n, type, value, options);
  return collect(connection, request, (r) => connection.callProcedure(r));
}

/** sp_prepare; the returned request runs with execute() and is released with unprepare(). */
export async function prepare(connection: Connection, sql: string, parameters: readonly Parameter[]): Promise<Request> {
  const request = new Request(sql, () => undefined);
  for (const [name, type, , options] of parameters) request.addParameter(name, type, undefined, options);
  await new Promise<void>((resolve, reject) => {
    request.once('prepared', () => resolve());
    request.once('error', reject);
    connection.prepare(request);
  });
  return request;
}

export function execute(connection: Connection, request: Request, values: Record<string, unknown>): Promise<Outcome> {
  request.removeAllListeners('row');
  request.removeAllListeners('columnMetadata');
  request.removeAllListeners('returnValue');
  request.removeAllListeners('doneProc');
  request.removeAllListeners('order');
  return collect(connection, request, (r) => connection.execute(r, values));
}

export function unprepare(connection: Connection, request: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    (request as unknown as { userCallback: (error?: Error | null) => void }).userCallback = (error) => (error ? reject(error) : resolve());
    connection.unprepare(request);
  });
}

export function beginTransaction(connection: Connection): Promise<void> {
  return new Promise((resolve, reject) => connection.beginTransaction((error) => (error ? reject(error) : resolve())));
}
export function commitTransaction(connection: Connection): Promise<void> {
  return new Promise((resolve, reject) => connection.commitTransaction((error) => (error ? reject(error) : resolve())));
}
export function rollbackTransaction(connection: Connection): Promise<void> {
  return new Promise((resolve, reject) => connection.rollbackTransaction((error) => (error ? reject(error) : resolve())));
}
