// One client connection: startup and TLS, authentication, the upstream login, then the statement relay.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { ConnectionContext, DriverConnection, QueryEvent, ResultSummary, RowFilter, SessionRuntime, TerminationReason } from '@sluice/core';
import type { CancelRegistry } from './cancel-registry.js';
import { channelBindingData } from './auth/channel-binding.js';
import { authenticateClient } from './client-auth.js';
import { decodeQuery, decodeStartup, type StartupPacket } from './client-messages.js';
import { ClientCode, MAX_MESSAGE, MAX_STARTUP_MESSAGE, ServerCode, SqlState } from './codes.js';
import { isFramingError, MessageFramer, type Frame } from './framing.js';
import { affectedRows, dataRowRanges, decodeErrorFields, decodeRowDescription, encodeDataRow } from './results.js';
import {
  authenticationOk,
  backendKeyData,
  errorResponse,
  negotiateProtocolVersion,
  noticeResponse,
  readyForQuery,
  type ErrorFields,
} from './server-messages.js';
import { SocketClosedError, SocketReader } from './socket-reader.js';
import { cancelUpstream, loginUpstream, UpstreamError } from './upstream.js';

const TRANSACTION_IDLE = 0x49; // I

/** Session states, in order. */
const enum State {
  Startup, // reading the startup packet, TLS negotiation
  Authenticating, // client login and upstream login
  Ready, // relaying statements
  Closing, // one side is gone or termination was asked
}

/** A statement sent upstream (or answered by Sluice) whose ReadyForQuery has not come yet. */
interface Pending {
  readonly query: QueryEvent;
  readonly startedAt: number;
  readonly decision: ResultSummary['decision'];
  /** Set when Sluice answers the statement itself; written once every earlier statement has finished. */
  readonly answer?: ErrorFields;
  rows: number;
  bytes: number;
  affected?: number;
  error?: { code?: string; message: string };
  filter?: RowFilter;
  resultIndex: number;
  /** Column formats of the current result set (0 text, 1 binary), kept only while rows are filtered. */
  formats?: number[];
  /** A row hook failed: the remaining rows are dropped and the command ends with this error. */
  rowFailure?: string;
}

/** Startup parameters the upstream would misread or that Sluice cannot relay. */
const REFUSED_PARAMETERS = new Set(['replication']);

export class PostgresConnection implements DriverConnection {
  readonly closed: Promise<void>;
  readonly #context: ConnectionContext;
  readonly #cancels: CancelRegistry;
  #client: Socket | TLSSocket;
  #reader: SocketReader;
  #upstream: Socket | TLSSocket | undefined;
  readonly #upstreamFramer = new MessageFramer(MAX_MESSAGE);
  #runtime: SessionRuntime | undefined;
  #state = State.Startup;
  #transactionStatus = TRANSACTION_IDLE;
  readonly #pending: Pending[] = [];
  #drainMessage: string | undefined;
  #releaseCancelKey: (() => void) | undefined;
  #endReason: 'client' | 'server' | 'shutdown' | 'idle' | 'error' | 'terminated' = 'client';
  #endError: string | undefined;
  /** What the client said about itself in its startup packet, for refusal reports. */
  #claimed: { user?: string; database?: string; application?: string } = {};

  constructor(socket: Socket, context: ConnectionContext, cancels: CancelRegistry) {
    this.#context = context;
    this.#cancels = cancels;
    this.#client = socket;
    this.#reader = new SocketReader(socket, MAX_STARTUP_MESSAGE);
    this.closed = this.#run();
  }

  terminate(reason: TerminationReason, message: string): void {
    if (this.#state === State.Closing) return;
    const code = reason === 'idle' ? SqlState.idleSessionTimeout : reason === 'timeout' ? SqlState.connectionFailure : SqlState.adminShutdown;
    this.#endReason = reason === 'timeout' ? 'error' : reason === 'idle' ? 'idle' : reason === 'shutdown' ? 'shutdown' : 'terminated';
    this.#fatal({ severity: 'FATAL', code, message: `sluice: terminating connection: ${message}` });
  }

  drain(message: string): void {
    this.#drainMessage = message;
    if (this.#state !== State.Ready) this.terminate('shutdown', message);
    else this.#closeIfDrained();
  }

  async #run(): Promise<void> {
    try {
      const startup = await this.#startup();
      if (startup) await this.#login(startup);
      if (this.#state === State.Ready) await this.#relayClient();
    } catch (error) {
      if (!(error instanceof SocketClosedError)) {
        this.#endReason = 'error';
        this.#endError = error instanceof Error ? error.message : String(error);
        this.#context.log.error({ error: this.#endError }, 'session failed');
        this.#fatal({ severity: 'FATAL', code: SqlState.internalError, message: 'sluice: internal error, see the proxy log' });
      }
    } finally {
      await this.#close();
    }
  }

  /** Reads startup packets until a StartupMessage, answering SSL/GSSENC requests and cancels on the way. */
  async #startup(): Promise<Extract<StartupPacket, { kind: 'startup' }> | undefined> {
    let tlsDone = false;
    for (;;) {
      const packet = await this.#reader.startupPacket(MAX_STARTUP_MESSAGE);
      if (isFramingError(packet)) return this.#protocolViolation(packet.error);
      const startup = decodeStartup(packet.body);
      if (!startup) return this.#protocolViolation('invalid startup packet layout');
      switch (startup.kind) {
        case 'ssl': {
          const secureContext = this.#context.listener.tls;
          if (tlsDone || !secureContext) {
            this.#client.write('N');
            continue;
          }
          this.#client.write('S');
          await this.#startTls(secureContext);
          tlsDone = true;
          continue;
        }
        case 'gssenc':
          this.#client.write('N');
          continue;
        case 'cancel':
          await this.#forwardCancel(startup.processId, startup.secretKey);
          return undefined;
        case 'startup':
          return startup;
      }
    }
  }

  async #startTls(secureContext: NonNullable<ConnectionContext['listener']['tls']>): Promise<void> {
    const leftover = this.#reader.detach();
    if (leftover.length > 0) return this.#protocolViolation('received unencrypted data after SSL request');
    const tlsSocket = new TLSSocket(this.#client, { isServer: true, secureContext });
    await new Promise<void>((resolve, reject) => {
      tlsSocket.once('secure', resolve);
      tlsSocket.once('error', reject);
    }).catch((error: Error) => {
      throw new SocketClosedError(error);
    });
    tlsSocket.removeAllListeners('error');
    this.#client = tlsSocket;
    this.#reader = new SocketReader(tlsSocket, MAX_STARTUP_MESSAGE);
  }

  async #forwardCancel(processId: number, secretKey: Buffer): Promise<void> {
    const target = this.#cancels.find(processId, secretKey);
    this.#endReason = 'client';
    if (!target) {
      this.#context.log.info('cancel request with an unknown key ignored');
      return;
    }
    try {
      await cancelUpstream(target.upstream, target.processId, target.secretKey);
      this.#context.log.info('cancel request forwarded');
    } catch (error) {
      this.#context.log.warn({ error: (error as Error).message }, 'cancel request could not be forwarded');
    }
  }

  async #login(startup: Extract<StartupPacket, { kind: 'startup' }>): Promise<void> {
    this.#state = State.Authenticating;
    const parameters = startup.parameters;
    const user = parameters.get('user');
    this.#claimed = Object.fromEntries(
      (['user', 'database', 'application_name'] as const).flatMap((key) => {
        const value = parameters.get(key);
        return value === undefined ? [] : [[key === 'application_name' ? 'application' : key, value]];
      }),
    );
    if (startup.major !== 3) {
      return this.#fatal({ severity: 'FATAL', code: SqlState.featureNotSupported, message: `unsupported frontend protocol ${startup.major}.${startup.minor}: server supports 3.0` });
    }
    if (!user) {
      return this.#fatal({ severity: 'FATAL', code: SqlState.invalidAuthorization, message: 'no PostgreSQL user name specified in startup packet' });
    }
    const refused = [...parameters.keys()].find((name) => REFUSED_PARAMETERS.has(name));
    if (refused) {
      return this.#fatal({ severity: 'FATAL', code: SqlState.featureNotSupported, message: `sluice: the startup parameter "${refused}" is not supported through the proxy` });
    }
    const protocolOptions = [...parameters.keys()].filter((name) => name.startsWith('_pq_.'));
    const upstreamParameters = new Map([...parameters].filter(([name]) => !name.startsWith('_pq_.')));
    if (startup.minor > 0 || protocolOptions.length > 0) this.#client.write(negotiateProtocolVersion(0, protocolOptions));

    const binding = this.#client instanceof TLSSocket ? channelBindingData(this.#client.getCertificate()) : undefined;
    const auth = await authenticateClient(
      { reader: this.#reader, write: (message) => this.#client.write(message), ...(binding ? { channelBinding: binding } : {}) },
      this.#context.users,
      user,
    );
    if (!auth.ok) {
      this.#context.log.info({ user, reason: auth.error.message }, 'client authentication failed');
      this.#context.refused({ ...this.#claimed, reason: auth.error.message });
      return this.#fatal(auth.error);
    }

    const database = parameters.get('database') ?? user;
    const target = this.#context.upstreamFor(auth.identity, database);
    const application = parameters.get('application_name');
    const begun = await this.#context.begin({
      identity: auth.identity,
      database,
      ...(application === undefined ? {} : { application }),
      ...(target.user === undefined ? {} : { upstreamUser: target.user }),
    });
    if (!begun.ok) {
      const { verdict } = begun;
      const reason = verdict.action === 'deny' ? `${verdict.rule ?? verdict.plugin}: ${verdict.reason}` : 'denied';
      return this.#fatal({ severity: 'FATAL', code: SqlState.invalidAuthorization, message: `sluice: ${reason}` });
    }
    this.#runtime = begun.session;

    let login;
    try {
      login = await loginUpstream(target, upstreamParameters);
    } catch (error) {
      const upstream = error instanceof UpstreamError ? error : new UpstreamError(String(error));
      this.#endReason = 'error';
      this.#endError = upstream.message;
      this.#context.log.warn({ upstream: `${target.host}:${target.port}`, error: upstream.message }, 'upstream login failed');
      return this.#fatal({
        severity: 'FATAL',
        code: upstream.serverError?.code ?? SqlState.connectionFailure,
        message: `sluice: ${upstream.message}`,
      });
    }
    // terminate() may have run while the login was in flight.
    if ((this.#state as State) === State.Closing) {
      login.socket.destroy();
      return;
    }

    const key = this.#cancels.register({ upstream: target, processId: login.processId, secretKey: login.secretKey });
    this.#releaseCancelKey = key.release;
    this.#transactionStatus = login.transactionStatus;
    this.#client.cork();
    this.#client.write(authenticationOk());
    for (const message of login.greeting) this.#client.write(message);
    this.#client.write(backendKeyData(key.processId, key.secretKey));
    this.#client.write(readyForQuery(this.#transactionStatus));
    this.#client.uncork();

    this.#upstream = login.socket;
    this.#upstream.on('data', (chunk: Buffer) => this.#relayServer(chunk));
    this.#upstream.on('error', () => undefined);
    this.#upstream.on('close', () => this.#upstreamClosed());
    this.#upstream.resume();
    this.#state = State.Ready;
    if (login.leftover.length > 0) this.#relayServer(login.leftover);
  }

  /** Client to server: every statement goes through the pipeline before it is forwarded. */
  async #relayClient(): Promise<void> {
    for (;;) {
      const frame = await this.#reader.message();
      if (this.#state !== State.Ready) return;
      if (isFramingError(frame)) return this.#protocolViolation(frame.error);
      switch (frame.code) {
        case ClientCode.Query:
          await this.#query(frame);
          break;
        case ClientCode.Terminate:
          this.#endReason = 'client';
          this.#upstream!.end(frame.raw);
          this.#state = State.Closing;
          this.#client.end();
          return;
        case ClientCode.CopyData:
        case ClientCode.CopyDone:
        case ClientCode.CopyFail:
          // Only meaningful after a COPY FROM STDIN the pipeline allowed; the server ignores them otherwise.
          await this.#toUpstream(frame.raw);
          break;
        case ClientCode.Parse:
        case ClientCode.Bind:
        case ClientCode.Describe:
        case ClientCode.Execute:
        case ClientCode.Close:
        case ClientCode.Flush:
        case ClientCode.Sync:
        case ClientCode.FunctionCall:
          await this.#refuseExtendedProtocol(frame);
          break;
        default:
          return this.#protocolViolation(`invalid frontend message type ${frame.code}`);
      }
    }
  }

  async #query(frame: Frame): Promise<void> {
    const sql = decodeQuery(frame.body);
    if (sql === undefined) return this.#protocolViolation('invalid Query message');
    const query = this.#runtime!.newQuery(sql, 'simple');
    const startedAt = performance.now();
    const verdict = await this.#runtime!.query(query, {
      onHold: (approval) => {
        this.#client.write(
          noticeResponse({ severity: 'NOTICE', code: '00000', message: `sluice: statement held for approval ${approval.id}: ${approval.reason}` }),
        );
      },
    });
    if (this.#state !== State.Ready) return;
    if (verdict.action === 'allow') {
      this.#pending.push({ query, startedAt, decision: { action: 'allow' }, rows: 0, bytes: 0, resultIndex: -1 });
      await this.#toUpstream(frame.raw);
      return;
    }
    const message = `sluice: ${verdict.rule ?? verdict.plugin}: ${verdict.reason}`;
    this.#context.log.info({ rule: verdict.rule, plugin: verdict.plugin }, 'statement denied');
    const decision = { action: 'deny' as const, reason: verdict.reason, plugin: verdict.plugin, ...(verdict.rule === undefined ? {} : { rule: verdict.rule }) };
    this.#answer({ query, startedAt, decision, rows: 0, bytes: 0, resultIndex: -1, answer: { severity: 'ERROR', code: SqlState.insufficientPrivilege, message } });
  }

  /** Until the extended protocol is relayed, its messages are refused up to Sync, as the server does after an error. */
  async #refuseExtendedProtocol(first: Frame): Promise<void> {
    let frame: Frame = first;
    const query = this.#runtime!.newQuery('', 'prepare');
    const answer: ErrorFields = { severity: 'ERROR', code: SqlState.featureNotSupported, message: 'sluice: the extended query protocol is not supported by this version of the proxy' };
    for (;;) {
      if (frame.code === ClientCode.Sync) break;
      const next = await this.#reader.message();
      if (isFramingError(next)) return this.#protocolViolation(next.error);
      if (next.code === ClientCode.Terminate) {
        this.#state = State.Closing;
        return;
      }
      frame = next;
    }
    this.#runtime!.busy();
    const decision = { action: 'deny' as const, reason: answer.message };
    this.#answer({ query, startedAt: performance.now(), decision, rows: 0, bytes: 0, resultIndex: -1, answer });
  }

  /** Queues an answer Sluice gives itself, behind any statement still running upstream. */
  #answer(pending: Pending): void {
    this.#pending.push(pending);
    if (this.#pending.length === 1) this.#settleAnswers();
  }

  /** Server to client: frames each chunk, forwards untouched runs in one write, edits rows only when a plugin asked. */
  #relayServer(chunk: Buffer): void {
    this.#upstreamFramer.push(chunk);
    const client = this.#client;
    client.cork();
    let runStart: Buffer | undefined;
    let runEnd = 0;
    const flushRun = () => {
      if (runStart) this.#write(runStart.subarray(0, runEnd - runStart.byteOffset));
      runStart = undefined;
    };
    for (;;) {
      const frame = this.#upstreamFramer.next();
      if (frame === undefined) break;
      if (isFramingError(frame)) {
        flushRun();
        client.uncork();
        this.#endReason = 'error';
        this.#endError = `malformed message from the database server: ${frame.error}`;
        return this.#fatal({ severity: 'FATAL', code: SqlState.protocolViolation, message: `sluice: ${this.#endError}` });
      }
      const output = this.#serverMessage(frame);
      if (output === frame.raw) {
        const raw = frame.raw;
        if (runStart && raw.buffer === runStart.buffer && raw.byteOffset === runEnd) {
          runEnd += raw.length;
        } else {
          flushRun();
          runStart = Buffer.from(raw.buffer, raw.byteOffset, raw.buffer.byteLength - raw.byteOffset);
          runEnd = raw.byteOffset + raw.length;
        }
        continue;
      }
      flushRun();
      if (output) this.#write(output);
    }
    flushRun();
    client.uncork();
    this.#settleAnswers();
    if (this.#pending.length === 0) this.#closeIfDrained();
  }

  /** Bookkeeping for one server message; returns what to send the client in its place (null: nothing). */
  #serverMessage(frame: Frame): Buffer | null {
    const pending = this.#pending[0];
    if (pending) pending.bytes += frame.raw.length;
    switch (frame.code) {
      case ServerCode.RowDescription:
        if (pending) this.#startResultSet(pending, frame);
        return frame.raw;
      case ServerCode.DataRow:
        if (!pending) return frame.raw;
        pending.rows++;
        if (pending.rowFailure !== undefined) return null;
        return pending.filter ? this.#filterRow(pending, frame) : frame.raw;
      case ServerCode.CommandComplete: {
        if (!pending) return frame.raw;
        const tag = frame.body.toString('utf8', 0, Math.max(0, frame.body.length - 1));
        const affected = affectedRows(tag);
        if (affected !== undefined) pending.affected = (pending.affected ?? 0) + affected;
        pending.filter = undefined;
        if (pending.rowFailure !== undefined) {
          const failure = pending.rowFailure;
          pending.rowFailure = undefined;
          pending.error = { code: SqlState.internalError, message: failure };
          return errorResponse({ severity: 'ERROR', code: SqlState.internalError, message: failure });
        }
        return frame.raw;
      }
      case ServerCode.ErrorResponse:
        if (pending) pending.error = decodeErrorFields(frame.body);
        return frame.raw;
      case ServerCode.ReadyForQuery:
        this.#transactionStatus = frame.body[0] ?? TRANSACTION_IDLE;
        if (pending && pending.answer === undefined) {
          this.#pending.shift();
          this.#finish(pending);
        }
        return frame.raw;
      default:
        return frame.raw;
    }
  }

  #startResultSet(pending: Pending, frame: Frame): void {
    pending.resultIndex++;
    pending.filter = undefined;
    if (!this.#runtime!.wantsRows) return;
    const columns = decodeRowDescription(frame.body);
    if (!columns) return;
    const filter = this.#runtime!.resultSet(pending.query, { index: pending.resultIndex, columns });
    if (filter) pending.filter = filter;
    pending.formats = columns.map((column) => column.format);
  }

  #filterRow(pending: Pending, frame: Frame): Buffer | null {
    const ranges = dataRowRanges(frame.body);
    if (!ranges) {
      pending.rowFailure = 'sluice: malformed row from the database server';
      return null;
    }
    const wanted = pending.filter!.columns;
    const formats = pending.formats ?? [];
    const values: (string | null | undefined)[] = new Array(ranges.length);
    for (let i = 0; i < ranges.length; i++) {
      if (wanted !== 'all' && !wanted.includes(i)) continue;
      // Binary-format values are not decoded here yet: plugins see them as undefined.
      if (formats[i] === 1) continue;
      const range = ranges[i]!;
      values[i] = range.start === -1 ? null : frame.body.toString('utf8', range.start, range.start + range.length);
    }
    try {
      const patch = pending.filter!.apply({ values });
      return patch ? encodeDataRow(frame.body, ranges, patch) : frame.raw;
    } catch (error) {
      this.#context.log.error({ error: (error as Error).message }, 'row hook failed: the rest of the result is withheld');
      pending.rowFailure = `sluice: ${(error as Error).message}`;
      return null;
    }
  }

  /** Writes the answers Sluice owes once everything before them has finished. */
  #settleAnswers(): void {
    while (this.#pending[0]?.answer !== undefined) {
      const pending = this.#pending.shift()!;
      this.#client.cork();
      this.#write(errorResponse(pending.answer!));
      this.#write(readyForQuery(this.#transactionStatus));
      this.#client.uncork();
      pending.error = { code: pending.answer!.code, message: pending.answer!.message };
      this.#finish(pending);
    }
  }

  #finish(pending: Pending): void {
    const durationMs = performance.now() - pending.startedAt;
    this.#runtime!.result(pending.query, {
      rows: pending.rows,
      ...(pending.affected === undefined ? {} : { affected: pending.affected }),
      bytes: pending.bytes,
      durationMs,
      ...(pending.error === undefined ? {} : { error: pending.error }),
      decision: pending.decision,
    });
    if (this.#pending.length === 0) this.#runtime!.idle();
  }

  #write(bytes: Buffer): void {
    if (!this.#client.write(bytes) && this.#upstream && !this.#upstream.isPaused()) {
      // Backpressure: stop reading from the server until the client catches up.
      this.#upstream.pause();
      this.#client.once('drain', () => this.#upstream?.resume());
    }
  }

  async #toUpstream(bytes: Buffer): Promise<void> {
    const upstream = this.#upstream!;
    if (upstream.write(bytes)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        upstream.off('drain', done);
        upstream.off('close', done);
        resolve();
      };
      upstream.once('drain', done);
      upstream.once('close', done);
    });
  }

  #closeIfDrained(): void {
    if (this.#drainMessage !== undefined && this.#pending.length === 0 && this.#transactionStatus === TRANSACTION_IDLE) {
      this.terminate('shutdown', this.#drainMessage);
    }
  }

  #upstreamClosed(): void {
    if (this.#state === State.Closing) return;
    this.#endReason = 'server';
    this.#fatal({ severity: 'FATAL', code: SqlState.connectionFailure, message: 'sluice: the database server closed the connection unexpectedly' });
  }

  #protocolViolation(message: string): undefined {
    this.#endReason = 'error';
    this.#endError = `protocol violation: ${message}`;
    this.#context.log.warn({ error: message }, 'client protocol violation');
    if (!this.#runtime) this.#context.refused({ ...this.#claimed, reason: this.#endError });
    this.#fatal({ severity: 'FATAL', code: SqlState.protocolViolation, message: `sluice: ${message}` });
    return undefined;
  }

  /** Sends a FATAL error to the client and closes both sides. */
  #fatal(error: ErrorFields): void {
    if (this.#state === State.Closing) return;
    this.#state = State.Closing;
    if (!this.#client.destroyed && this.#client.writable) this.#client.end(errorResponse(error));
    else this.#client.destroy();
    this.#upstream?.end();
  }

  async #close(): Promise<void> {
    this.#state = State.Closing;
    this.#releaseCancelKey?.();
    const client = this.#client;
    const upstream = this.#upstream;
    if (!client.destroyed) {
      client.end();
      setTimeout(() => client.destroy(), 1_000).unref();
    }
    upstream?.end();
    if (upstream) setTimeout(() => upstream.destroy(), 1_000).unref();
    await Promise.all([closedPromise(client), upstream ? closedPromise(upstream) : undefined]);
    await this.#runtime?.end({ reason: this.#endReason, ...(this.#endError === undefined ? {} : { error: this.#endError }) });
  }
}

function closedPromise(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}
