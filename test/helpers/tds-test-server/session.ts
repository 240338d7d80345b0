// One client connection of the TDS test server: PRELOGIN, optional TLS, LOGIN7, then requests run on PostgreSQL.
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import type { SecureContext } from 'node:tls';
import pg from 'pg';
import { MalformedInput } from './buffer-reader.js';
import { infoFor, serverErrorFor, type PgError } from './errors.js';
import { Feature, parseLogin7, type Login7 } from './login7.js';
import { MessageAssembler, PacketReader, packetsOf, type Message } from './packets.js';
import { PgStatement } from './pg-statement.js';
import { buildPreloginResponse, Encryption, parsePrelogin } from './prelogin.js';
import { DoneStatus, EnvChangeType, PacketStatus, PacketType, Token } from './protocol.js';
import { isolationClause, parseSqlBatch, parseTransactionRequest, type TransactionRequest } from './requests.js';
import { ResponseWriter } from './response-writer.js';
import type { RecordedRequest, RequestContext, StatementResult } from './request-context.js';
import { RpcHandlers } from './rpc-handlers.js';
import { parseRpc } from './rpc-request.js';
import { directive, orderByColumns, statementsOf, stripComments, useDatabase } from './sql-translation.js';
import { startPreloginTls, startStrictTls, type PreloginTls } from './tls-in-prelogin.js';
import {
  colMetadata,
  done,
  envChangeBeginTransaction,
  envChangeCollation,
  envChangeEndTransaction,
  envChangeResetConnectionAck,
  envChangeRouting,
  envChangeText,
  errorOrInfo,
  featureExtAck,
  loginAck,
  order,
  row,
  type ServerMessage,
} from './tokens.js';
import { tdsTypeFor, type CustomOids, type TdsType } from './type-mapping.js';

export type EncryptionMode = 'off' | 'on' | 'required' | 'not-supported';
export type { RecordedRequest } from './request-context.js';


export interface SessionSettings {
  readonly users: ReadonlyMap<string, string>;
  readonly encryption: EncryptionMode;
  readonly secureContext: SecureContext | undefined;
  readonly defaultDatabase: string;
  readonly pg: pg.ClientConfig;
  readonly customOids: CustomOids;
  readonly typesSchema: string;
  readonly rowsPerRead: number;
  /** When set for a login, the login answer carries a routing ENVCHANGE to this address. */
  readonly routing: ((login: Login7) => { server: string; port: number } | undefined) | undefined;
  cancelBackend(pid: number): Promise<void>;
  record(request: RecordedRequest): void;
}

const enum State {
  Prelogin = 'prelogin',
  Login = 'login',
  Ready = 'ready',
  Closed = 'closed',
}

const enum Wire {
  Plain = 'plain',
  Handshake = 'handshake',
  Tls = 'tls',
}


/** First byte of a TLS handshake record: a TDS 8.0 client starts TLS before any packet. */
const TLS_HANDSHAKE_RECORD = 0x16;
const MIN_PACKET_SIZE = 512;
const MAX_PACKET_SIZE = 32767;
const LOGIN_FAILED = 18456;

export class TdsSession {
  private state = State.Prelogin;
  private wire = Wire.Plain;
  private readonly reader = new PacketReader();
  private readonly assembler = new MessageAssembler();
  private handshakeReader = new PacketReader();
  private tls: PreloginTls | undefined;
  /** TLS for LOGIN7 only (encryption OFF): dropped once the login record is read. */
  private loginOnlyTls = false;
  /** TDS 8.0: TLS came first, everything (PRELOGIN included) travels inside it. */
  private strict = false;
  private negotiated = Encryption.NotSupported;
  private packetSize = 4096;
  private pg: pg.Client | undefined;
  private database = '';
  private readonly queue: Message[] = [];
  private processing = false;
  private current: RequestContext | undefined;
  private readonly procedures: RpcHandlers;
  private transactionCounter = 0n;
  private transaction: Buffer | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly settings: SessionSettings,
  ) {
    const session = this;
    this.procedures = new RpcHandlers({
      get pg() {
        return session.pg!;
      },
      customOids: settings.customOids,
      get closed() {
        return session.state === State.Closed;
      },
      record: (request) => settings.record(request),
      runStatement: (text, values, context, doneToken, more) => this.runStatement(text, values, context, doneToken, more),
    });
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** Ends the connection at once, as a crashed server would. */
  destroy(): void {
    this.socket.destroy();
    this.close();
  }

  private close(): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    if (this.current) this.current.cancelled = true;
    this.tls?.cleartext.destroy();
    const client = this.pg;
    this.pg = undefined;
    client?.end().catch(() => undefined);
  }

  // --- bytes in -------------------------------------------------------------------------------------------

  private onSocketData(chunk: Buffer): void {
    if (this.state === State.Closed) return;
    switch (this.wire) {
      case Wire.Plain:
        if (this.state === State.Prelogin && chunk[0] === TLS_HANDSHAKE_RECORD && this.reader.peekByte() === undefined) return this.startStrict(chunk);
        this.onTdsBytes(chunk);
        break;
      case Wire.Handshake:
        this.handshakeReader.push(chunk);
        this.pumpHandshake();
        break;
      case Wire.Tls:
        this.tls!.receive(chunk);
        break;
    }
  }

  /** During the handshake the client wraps TLS records in PRELOGIN packets; its first bare record ends that. */
  private pumpHandshake(): void {
    for (;;) {
      const first = this.handshakeReader.peekByte();
      if (first === undefined) return;
      if (first >= 0x14 && first <= 0x17) {
        this.wire = Wire.Tls;
        this.tls!.receive(this.handshakeReader.takeRemaining());
        return;
      }
      const next = this.handshakeReader.next();
      if (next === undefined) return;
      if (next instanceof Error) return this.protocolError(next.message);
      if (next.type !== PacketType.Prelogin) return this.protocolError(`packet type 0x${next.type.toString(16)} during the TLS handshake`);
      this.tls!.receive(next.payload);
    }
  }

  private onTdsBytes(chunk: Buffer): void {
    this.reader.push(chunk);
    for (;;) {
      if (this.wire === Wire.Handshake) {
        // A PRELOGIN packet just started TLS: the rest of the bytes belong to the handshake.
        this.handshakeReader.push(this.reader.takeRemaining());
        this.pumpHandshake();
        return;
      }
      const next = this.reader.next();
      if (next === undefined) return;
      if (next instanceof Error) return this.protocolError(next.message);
      if (this.state === State.Login && next.type === PacketType.Prelogin && !this.assembler.inProgress && !this.strict) {
        this.startTls(next.payload);
        continue;
      }
      const message = this.assembler.add(next);
      if (message === undefined) continue;
      if (message instanceof Error) return this.protocolError(message.message);
      this.onMessage(message);
      if (this.state === State.Closed) return;
    }
  }

  private onMessage(message: Message): void {
    switch (this.state) {
      case State.Prelogin:
        return this.onPrelogin(message);
      case State.Login:
        return void this.onLogin(message).catch((error: unknown) => this.protocolError(String(error)));
      case State.Ready:
        if (message.type === PacketType.Attention) return this.onAttention();
        this.queue.push(message);
        void this.processQueue();
        return;
      case State.Closed:
        return;
    }
  }

  // --- PRELOGIN and TLS ----------------------------------------------------------------------------------

  private onPrelogin(message: Message): void {
    if (message.type !== PacketType.Prelogin) return this.protocolError(`expected PRELOGIN, got packet type 0x${message.type.toString(16)}`);
    const request = parsePrelogin(message.payload);
    if (request instanceof Error) return this.protocolError(request.message);
    // Under strict encryption TLS is already there: the ENCRYPTION option no longer starts a handshake.
    const answer = this.strict ? Encryption.NotSupported : this.chooseEncryption(request.encryption);
    if (answer === undefined) {
      this.socket.destroy();
      return this.close();
    }
    this.negotiated = answer;
    for (const packet of packetsOf(PacketType.TabularResult, buildPreloginResponse(answer), 4096)) this.output.write(packet);
    this.state = State.Login;
  }

  /** MS-TDS 2.2.6.5 encryption table; undefined means the server refuses the client. */
  private chooseEncryption(client: Encryption): Encryption | undefined {
    const mode = this.settings.secureContext ? this.settings.encryption : 'not-supported';
    switch (mode) {
      case 'not-supported':
        return client === Encryption.On || client === Encryption.Required ? undefined : Encryption.NotSupported;
      case 'off':
        if (client === Encryption.NotSupported) return Encryption.NotSupported;
        return client === Encryption.Off ? Encryption.Off : Encryption.On;
      case 'on':
        return client === Encryption.NotSupported ? undefined : Encryption.On;
      case 'required':
        return client === Encryption.NotSupported ? undefined : Encryption.Required;
    }
  }

  private startStrict(firstBytes: Buffer): void {
    if (!this.settings.secureContext) {
      this.socket.destroy();
      return this.close();
    }
    this.strict = true;
    this.tls = startStrictTls(this.settings.secureContext, (bytes) => {
      if (!this.socket.destroyed) this.socket.write(bytes);
    });
    this.tls.cleartext.on('error', () => this.destroy());
    this.tls.cleartext.on('data', (chunk: Buffer) => this.onTdsBytes(chunk));
    this.wire = Wire.Tls;
    this.tls.receive(firstBytes);
  }

  private startTls(firstPayload: Buffer): void {
    if (this.negotiated === Encryption.NotSupported || !this.settings.secureContext) return this.protocolError('TLS handshake although encryption was not negotiated');
    this.loginOnlyTls = this.negotiated === Encryption.Off;
    this.tls = startPreloginTls(this.settings.secureContext, (bytes) => {
      if (!this.socket.destroyed) this.socket.write(bytes);
    });
    this.tls.cleartext.on('error', () => this.destroy());
    this.tls.cleartext.on('data', (chunk: Buffer) => {
      // The first cleartext is LOGIN7: the client finished its handshake, so the server's did too.
      this.tls!.stopWrapping();
      this.onTdsBytes(chunk);
    });
    this.wire = Wire.Handshake;
    this.tls.receive(firstPayload);
  }

  private get output(): Writable {
    return this.tls && !this.loginOnlyTls && this.wire === Wire.Tls ? this.tls.cleartext : this.socket;
  }

  // --- LOGIN7 ---------------------------------------------------------------------------------------------

  private async onLogin(message: Message): Promise<void> {
    if (message.type !== PacketType.Login7) return this.protocolError(`expected LOGIN7, got packet type 0x${message.type.toString(16)}`);
    const encrypted = this.wire === Wire.Tls;
    if ((this.negotiated === Encryption.On || this.negotiated === Encryption.Required) && !encrypted) {
      return this.protocolError('LOGIN7 in clear text although encryption was negotiated');
    }
    if (this.loginOnlyTls) {
      // Encryption OFF: only the login record was encrypted; both sides drop TLS now.
      this.wire = Wire.Plain;
      this.tls?.cleartext.removeAllListeners('data');
    }
    this.state = State.Ready; // further messages queue until the login answer is out
    this.processing = true;
    const login = parseLogin7(message.payload);
    if (login instanceof Error) return this.protocolError(login.message);
    const tls = this.strict ? 'strict' : !encrypted ? 'none' : this.loginOnlyTls ? 'login-only' : 'full';
    this.settings.record({ kind: 'login', user: login.userName, database: login.database, appName: login.appName, tls, packetSize: login.packetSize });
    const writer = new ResponseWriter(() => ({ stream: this.output, packetSize: 4096 }));
    const refuse = (messages: ServerMessage[]) => {
      for (const m of messages) writer.write(errorOrInfo(Token.Error, m));
      writer.write(done(Token.Done, DoneStatus.Error));
      writer.end();
      this.socket.end();
      this.close();
    };
    if (login.features.has(Feature.FedAuth)) {
      return refuse([{ number: LOGIN_FAILED, state: 1, severity: 14, message: 'Login failed: the TDS test server accepts SQL logins only (no FEDAUTH).' }]);
    }
    const expected = this.settings.users.get(login.userName);
    if (expected === undefined || expected !== login.password) {
      return refuse([{ number: LOGIN_FAILED, state: 1, severity: 14, message: `Login failed for user '${login.userName}'.` }]);
    }
    const database = login.database || this.settings.defaultDatabase;
    const client = new pg.Client(this.settings.pg);
    client.on('error', () => this.destroy());
    client.on('notice', (notice) => {
      if (this.current && !this.current.writer.ended) this.current.writer.write(errorOrInfo(Token.Info, infoFor(notice as PgError)));
    });
    try {
      await client.connect();
      if ((this.state as State) === State.Closed) return void client.end().catch(() => undefined);
      await client.query("set timezone = 'UTC'; set datestyle = 'ISO, YMD'; set intervalstyle = 'iso_8601'; set bytea_output = 'hex'");
      if (!(await this.schemaExists(client, database))) {
        await client.end();
        return refuse([
          { number: 4060, state: 1, severity: 11, message: `Cannot open database "${database}" requested by the login. The login failed.` },
          { number: LOGIN_FAILED, state: 1, severity: 14, message: `Login failed for user '${login.userName}'.` },
        ]);
      }
      await this.setSearchPath(client, database);
    } catch (error) {
      await client.end().catch(() => undefined);
      return refuse([{ number: LOGIN_FAILED, state: 1, severity: 14, message: `Login failed: PostgreSQL refused the test server (${(error as Error).message}).` }]);
    }
    this.pg = client;
    this.database = database;
    const requestedSize = login.packetSize === 0 ? 4096 : login.packetSize;
    const packetSize = Math.min(MAX_PACKET_SIZE, Math.max(MIN_PACKET_SIZE, requestedSize));
    writer.write(envChangeText(EnvChangeType.Database, database, 'master'));
    writer.write(errorOrInfo(Token.Info, { number: 5701, state: 2, severity: 0, message: `Changed database context to '${database}'.` }));
    writer.write(envChangeCollation());
    writer.write(envChangeText(EnvChangeType.Language, 'us_english', ''));
    writer.write(errorOrInfo(Token.Info, { number: 5703, state: 1, severity: 0, message: "Changed language setting to us_english." }));
    writer.write(loginAck());
    if (login.features.has(Feature.Utf8Support)) writer.write(featureExtAck(new Map([[Feature.Utf8Support, Buffer.from([0])]])));
    writer.write(envChangeText(EnvChangeType.PacketSize, String(packetSize), '4096'));
    const route = this.settings.routing?.(login);
    if (route) writer.write(envChangeRouting(route.server, route.port));
    writer.write(done(Token.Done, DoneStatus.Final));
    writer.end();
    this.packetSize = packetSize;
    this.processing = false;
    void this.processQueue();
  }

  private async schemaExists(client: pg.Client, schema: string): Promise<boolean> {
    const result = await client.query('select 1 from pg_namespace where nspname = $1', [schema]);
    return result.rowCount === 1;
  }

  private async setSearchPath(client: pg.Client, schema: string): Promise<void> {
    await client.query(`select set_config('search_path', $1, false)`, [`"${schema.replace(/"/g, '""')}", ${this.settings.typesSchema}, public`]);
  }

  // --- requests -------------------------------------------------------------------------------------------

  private async processQueue(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0 && this.state === State.Ready) {
        const message = this.queue.shift()!;
        await this.handleRequest(message);
      }
    } finally {
      this.processing = false;
    }
  }

  private async handleRequest(message: Message): Promise<void> {
    const context: RequestContext = {
      writer: new ResponseWriter(() => ({ stream: this.output, packetSize: this.packetSize })),
      cancelled: false,
      awaitingPostgres: false,
      dieAfterRows: undefined,
      rowsSent: 0,
    };
    if (message.type === PacketType.Attention) {
      // An attention that arrived between requests: acknowledge it on its own.
      context.writer.write(done(Token.Done, DoneStatus.Attention));
      context.writer.end();
      return;
    }
    this.current = context;
    try {
      if ((message.status & (PacketStatus.ResetConnection | PacketStatus.ResetConnectionKeepTransaction)) !== 0) {
        await this.resetConnection((message.status & PacketStatus.ResetConnectionKeepTransaction) !== 0);
        context.writer.write(envChangeResetConnectionAck());
      }
      switch (message.type) {
        case PacketType.SqlBatch:
          await this.sqlBatch(parseSqlBatch(message.payload), context);
          break;
        case PacketType.Rpc:
          await this.procedures.run(parseRpc(message.payload), context);
          break;
        case PacketType.TransactionManager:
          await this.transactionRequest(parseTransactionRequest(message.payload), context);
          break;
        default:
          throw new MalformedInput(`packet type 0x${message.type.toString(16)} is not a request the TDS test server knows`);
      }
    } catch (error) {
      if (error instanceof MalformedInput) {
        this.current = undefined;
        return this.protocolError(error.message, context.writer);
      }
      if (this.state === State.Closed) return;
      throw error;
    } finally {
      if (this.current === context) this.current = undefined;
    }
    if (this.state === State.Closed || context.writer.ended) return;
    if (context.cancelled) {
      // The cancelled request's response ends first; the acknowledgment follows as a message of its own
      // (tedious reads it in its SENT_ATTENTION state, after the response message).
      if (!context.writer.written) context.writer.write(done(Token.Done, DoneStatus.Final));
      context.writer.end();
      const ack = new ResponseWriter(() => ({ stream: this.output, packetSize: this.packetSize }));
      ack.write(done(Token.Done, DoneStatus.Attention));
      ack.end();
      return;
    }
    context.writer.end();
  }

  private onAttention(): void {
    this.settings.record({ kind: 'attention' });
    const context = this.current;
    if (!context) {
      this.queue.push({ type: PacketType.Attention, status: 0, payload: Buffer.alloc(0) });
      void this.processQueue();
      return;
    }
    context.cancelled = true;
    if (context.awaitingPostgres && this.pg) {
      const pid = (this.pg as unknown as { processID: number }).processID;
      void this.settings.cancelBackend(pid).catch(() => undefined);
    }
  }

  private async resetConnection(keepTransaction: boolean): Promise<void> {
    const client = this.pg!;
    if (!keepTransaction && client.getTransactionStatus() !== 'I') {
      await client.query('rollback');
      this.transaction = undefined;
    }
    this.procedures.forgetPrepared();
  }

  private async sqlBatch(sql: string, context: RequestContext): Promise<void> {
    this.settings.record({ kind: 'batch', sql });
    const reroute = directive(sql, 'send-routing');
    if (reroute !== undefined) {
      // Test directive: a routing ENVCHANGE in the middle of a session, which a proxy must never pass on.
      const [host, port] = reroute.split(':');
      context.writer.write(envChangeRouting(host ?? '', Number(port)));
    }
    const raw = directive(sql, 'send-bytes');
    if (raw !== undefined) {
      // Test directive: arbitrary (usually malformed) bytes in the token stream, then the message ends.
      context.writer.write(Buffer.from(raw, 'hex'));
      return;
    }
    const dieAfter = directive(sql, 'die-after-rows');
    if (dieAfter !== undefined) context.dieAfterRows = Number(dieAfter);
    const database = useDatabase(sql);
    if (database !== undefined) return this.useDatabase(database, context);
    const statements = statementsOf(sql);
    if (statements.length === 0) {
      context.writer.write(done(Token.Done, DoneStatus.Final));
      return;
    }
    for (const [index, statement] of statements.entries()) {
      const last = index === statements.length - 1;
      const result = await this.runStatement(statement, [], context, Token.Done, !last);
      if (!result.ok || context.cancelled) return;
    }
  }

  private async useDatabase(database: string, context: RequestContext): Promise<void> {
    const client = this.pg!;
    if (!(await this.schemaExists(client, database))) {
      context.writer.write(errorOrInfo(Token.Error, { number: 911, state: 1, severity: 16, message: `Database '${database}' does not exist. Make sure that the name is entered correctly.` }));
      context.writer.write(done(Token.Done, DoneStatus.Error));
      return;
    }
    await this.setSearchPath(client, database);
    context.writer.write(envChangeText(EnvChangeType.Database, database, this.database));
    context.writer.write(errorOrInfo(Token.Info, { number: 5701, state: 1, severity: 0, message: `Changed database context to '${database}'.` }));
    this.database = database;
    context.writer.write(done(Token.Done, DoneStatus.Final));
  }

  /**
   * Runs one statement, streaming its rows as TDS tokens, and closes it with a DONE-family token.
   * Errors become an ERROR token and a DONE with the error flag; a cancelled statement ends silently
   * (the caller adds the attention acknowledgment).
   */
  private async runStatement(
    text: string,
    values: readonly (string | Buffer | null)[],
    context: RequestContext,
    doneToken: Token.Done | Token.DoneInProc,
    more: boolean,
  ): Promise<StatementResult> {
    const client = this.pg!;
    const before = client.getTransactionStatus();
    const statement = new PgStatement(client, text, values);
    const { writer } = context;
    let columns: TdsType[] | undefined;
    let sent = 0;
    try {
      for (;;) {
        if (context.cancelled) break;
        context.awaitingPostgres = true;
        const batch = await statement.next(this.settings.rowsPerRead);
        context.awaitingPostgres = false;
        if (!columns && batch.fields.length > 0) {
          columns = batch.fields.map((field) => tdsTypeFor(field.dataTypeID, field.dataTypeModifier, this.settings.customOids));
          writer.write(colMetadata(batch.fields.map((field, i) => ({ name: field.name, nullable: true, typeInfo: columns![i]!.typeInfo }))));
          const sortedBy = orderByColumns(text, batch.fields.map((field) => field.name));
          if (sortedBy.length > 0) writer.write(order(sortedBy));
        }
        if (batch.rows.length === 0) break;
        for (const values of batch.rows) {
          if (context.cancelled) break;
          writer.write(row(values.map((value, i) => (value === null ? null : columns![i]!.encode(value)))));
          sent++;
          context.rowsSent++;
          if (context.dieAfterRows !== undefined && context.rowsSent >= context.dieAfterRows) {
            // Test directive: the server "dies" mid-result, after flushing what it sent so far.
            writer.flushPartial();
            this.socket.end(() => this.socket.destroy());
            this.close();
            return { ok: false };
          }
        }
        await writer.drained();
      }
    } catch (error) {
      context.awaitingPostgres = false;
      // After a PostgreSQL error the portal is already gone; after an encoding error it is still open.
      if (!(error as PgError).code) await statement.close();
      if (context.cancelled || this.state === State.Closed) return { ok: false };
      const pgError = error as PgError;
      writer.write(errorOrInfo(Token.Error, serverErrorFor(pgError.code ? pgError : { code: '22003', message: pgError.message })));
      this.transactionChanges(before, text, writer);
      writer.write(done(doneToken, DoneStatus.Error | (more ? DoneStatus.More : 0)));
      return { ok: false };
    }
    if (context.cancelled) {
      await statement.close();
      this.transactionChanges(before, text, writer);
      return { ok: true };
    }
    this.transactionChanges(before, text, writer);
    const command = statement.command.toUpperCase();
    const counted = columns !== undefined || ['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'SELECT', 'COPY', 'FETCH', 'MOVE'].includes(command);
    const rowCount = columns !== undefined ? sent : statement.rowCount;
    const status = (more ? DoneStatus.More : 0) | (counted ? DoneStatus.Count : 0) | (client.getTransactionStatus() !== 'I' ? DoneStatus.InTransaction : 0);
    writer.write(done(doneToken, status, CURRENT_COMMAND[command] ?? 0, BigInt(rowCount)));
    return { ok: true };
  }

  /** ENVCHANGE begin/commit/rollback when a statement opened or closed a transaction on PostgreSQL. */
  private transactionChanges(before: string | null, text: string, writer: ResponseWriter): void {
    const after = this.pg?.getTransactionStatus() ?? 'I';
    if (before === 'I' && after !== 'I') {
      this.transactionCounter++;
      const descriptor = Buffer.alloc(8);
      descriptor.writeBigUInt64LE(this.transactionCounter);
      this.transaction = descriptor;
      writer.write(envChangeBeginTransaction(descriptor));
    } else if (before !== 'I' && after === 'I') {
      const rolledBack = before === 'E' || /^\s*(rollback|abort)\b/i.test(stripComments(text));
      writer.write(envChangeEndTransaction(rolledBack ? EnvChangeType.RollbackTransaction : EnvChangeType.CommitTransaction, this.transaction ?? Buffer.alloc(8)));
      this.transaction = undefined;
    }
  }

  private async transactionRequest(request: TransactionRequest, context: RequestContext): Promise<void> {
    this.settings.record({ kind: 'transaction', transaction: request });
    const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const statements: string[] = [];
    switch (request.kind) {
      case 'begin':
        statements.push(`begin${isolationClause(request.isolation)}`);
        break;
      case 'commit':
        statements.push('commit');
        if (request.beginAgain) statements.push(`begin${isolationClause(request.isolation)}`);
        break;
      case 'rollback':
        statements.push(request.name ? `rollback to savepoint ${quoted(request.name)}` : 'rollback');
        if (request.beginAgain) statements.push(`begin${isolationClause(request.isolation)}`);
        break;
      case 'save':
        statements.push(`savepoint ${quoted(request.name)}`);
        break;
    }
    for (const [index, statement] of statements.entries()) {
      const result = await this.runStatement(statement, [], context, Token.Done, index < statements.length - 1);
      if (!result.ok) return;
    }
  }

  // --- errors ---------------------------------------------------------------------------------------------

  /** Malformed input: an ERROR token in the client's protocol where possible, then only this session closes. */
  private protocolError(reason: string, writer?: ResponseWriter): void {
    if (this.state === State.Closed) return;
    if (this.state === State.Ready || this.state === State.Login) {
      const out = writer && !writer.ended ? writer : new ResponseWriter(() => ({ stream: this.output, packetSize: this.packetSize }));
      out.write(errorOrInfo(Token.Error, { number: 4002, state: 1, severity: 20, message: `The incoming tabular data stream (TDS) protocol stream is incorrect: ${reason}` }));
      out.write(done(Token.Done, DoneStatus.Error));
      out.end();
    }
    this.socket.end(() => this.socket.destroy());
    this.close();
  }
}

const CURRENT_COMMAND: Record<string, number> = { SELECT: 0xc1, INSERT: 0xc3, DELETE: 0xc4, UPDATE: 0xc5 };
