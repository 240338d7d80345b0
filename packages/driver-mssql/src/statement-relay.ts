// The statement path of an authenticated session: client requests through the pipeline to the
// server, the server's token stream back through the row and message hooks.
//
// TDS without MARS runs one request at a time: a request goes upstream only once the previous
// response has ended. A denied request never reaches the server; Sluice answers it itself with an
// ERROR token (229) and a DONE with the error flag, and the connection stays usable. Attention
// (cancel) is handled as soon as it arrives, even while a request is being judged.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { resultSummary, writeWithBackpressure, type Logger, type QueryEvent, type ResultSummary, type RowFilter, type SessionRuntime, type Verdict } from '@sluice/core';
import { decodeRpc, decodeSqlBatch, decodeTransactionRequest, isIntegerType, type RpcCall } from './client-requests.js';
import { DoneStatus, EnvChangeType, ErrorNumber, MAX_PACKET_SIZE, PacketStatus, PacketType, Token } from './codes.js';
import { Cursor } from './cursor.js';
import { ResponseWriter } from './output.js';
import { isFramingError, PacketFramer, packetHeader, packetize, type Message, type Packet } from './packet.js';
import { doneToken, failedStatement, messageToken, type MessageFields } from './server-tokens.js';
import type { SocketReader } from './socket-reader.js';
import { TokenStream, type StreamToken } from './token-stream.js';
import { rowValueRanges, TokenError, type Column } from './tokens.js';
import { frameValue, readValue } from './type-info.js';
import { valueBytes, valueText } from './values.js';

/** One statement as the pipeline saw it, with what its result has shown so far. */
interface Tracked {
  readonly query: QueryEvent;
  readonly startedAt: number;
  readonly decision: ResultSummary['decision'];
  rows: number;
  bytes: number;
  affected?: number;
  error?: { code?: string; message: string };
  resultIndex: number;
  filter?: { readonly apply: RowFilter['apply']; readonly columns: readonly Column[]; readonly wanted: ReadonlySet<number> | 'all' };
  rowFailure?: string;
  /** Rows since the last DONE: its count is then a row count, not rows affected. */
  segmentRows: boolean;
  /** When the request went upstream and when its first response byte came back (metrics). */
  sentAt?: number;
  firstByteAt?: number;
  finished?: boolean;
}

/** A request sent upstream, until its response (and any attention acknowledgement) has ended. */
interface InFlight {
  readonly tracked: readonly Tracked[];
  /** Index of the tracked statement results belong to; DONEPROC moves to the next RPC call. */
  current: number;
  /** For prepare calls, in call order: the SQL each returned handle (output parameter 0) stands for. */
  readonly prepares: string[];
  attention: boolean;
  attentionAcked: boolean;
  ended: boolean;
}

/** A request being judged; an attention before the verdict cancels it at once. */
interface Judging {
  cancelled: boolean;
  /** Settles when the client cancels, so a held statement does not keep the session waiting. */
  readonly cancelledSignal: Promise<'cancelled'>;
  cancel(): void;
}

function judging(): Judging {
  let cancel!: () => void;
  const cancelledSignal = new Promise<'cancelled'>((resolve) => (cancel = () => resolve('cancelled')));
  const state: Judging = {
    cancelled: false,
    cancelledSignal,
    cancel: () => {
      state.cancelled = true;
      cancel();
    },
  };
  return state;
}

export interface RelayHost {
  readonly log: Logger;
  /** Ends the session with a fatal error; `reason` is for onDisconnect. */
  fail(error: MessageFields, reason: 'error' | 'server', detail: string): void;
  /** Called whenever the session has no request in flight. */
  idle(): void;
  isOpen(): boolean;
}

const EMPTY = Buffer.alloc(0);
/** Requests read ahead of the one being handled before the client socket is paused. */
const MAX_QUEUED = 8;

export class StatementRelay {
  readonly #client: Socket | TLSSocket;
  readonly #upstream: Socket | TLSSocket;
  readonly #reader: SocketReader;
  readonly #runtime: SessionRuntime;
  readonly #host: RelayHost;
  readonly #framer = new PacketFramer(MAX_PACKET_SIZE);
  readonly #tokens = new TokenStream();
  readonly #queue: Message[] = [];
  /** Prepared statement handles and the SQL they stand for (sp_prepare, sp_prepexec, sp_cursorprepare). */
  readonly #prepared = new Map<number, string>();
  #packetSize: number;
  #inFlight: InFlight | undefined;
  #judging: Judging | undefined;
  #working = false;
  #inTransaction = false;
  /** Within a response message: rewriting tokens (a plugin reads rows or messages) or forwarding packets. */
  #messageOpen = false;
  #rewrite: ResponseWriter | undefined;
  /**
   * Bytes of a token still incomplete at the end of the packets forwarded so far. Packets go out
   * as they came while they end at a token boundary; otherwise what is complete goes out under a new
   * header and the tail waits for the rest of its token, so a client never gets half a token.
   */
  #carry: Buffer[] = [];
  #carryBytes = 0;
  #packetId = 1;
  #settled: (() => void) | undefined;

  constructor(client: Socket | TLSSocket, upstream: Socket | TLSSocket, reader: SocketReader, runtime: SessionRuntime, host: RelayHost, packetSize: number) {
    this.#client = client;
    this.#upstream = upstream;
    this.#reader = reader;
    this.#runtime = runtime;
    this.#host = host;
    this.#packetSize = packetSize;
    upstream.on('data', (chunk: Buffer) => this.#fromServer(chunk));
  }

  /** Nothing in flight and outside a transaction: the session can be closed without losing work. */
  get quiescent(): boolean {
    return !this.#inFlight && !this.#judging && this.#queue.length === 0 && !this.#inTransaction;
  }

  /** Feeds bytes the server sent after the login response. */
  fromServer(chunk: Buffer): void {
    if (chunk.length > 0) this.#fromServer(chunk);
  }

  /** Client to server, until the client leaves or the session closes. */
  async run(): Promise<void> {
    for (;;) {
      const message = await this.#reader.message();
      if (!this.#host.isOpen()) return;
      if (isFramingError(message)) {
        this.#violation(message.error);
        return;
      }
      if (message.type === PacketType.Attention) {
        this.#attention(message);
        continue;
      }
      this.#queue.push(message);
      if (this.#queue.length > MAX_QUEUED) this.#client.pause();
      if (!this.#working) void this.#work();
    }
  }

  async #work(): Promise<void> {
    this.#working = true;
    try {
      while (this.#queue.length > 0 && this.#host.isOpen()) {
        if (this.#inFlight) await new Promise<void>((resolve) => (this.#settled = resolve));
        if (!this.#host.isOpen()) return;
        const message = this.#queue.shift()!;
        if (this.#queue.length <= MAX_QUEUED && this.#client.isPaused()) this.#client.resume();
        if (!(await this.#request(message))) return;
      }
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.#host.log.error({ error: detail }, 'request handling failed');
      this.#host.fail({ number: ErrorNumber.ProtocolError, severity: 20, message: 'sluice: internal error, see the proxy log' }, 'error', detail);
    } finally {
      this.#working = false;
      if (!this.#inFlight && this.#queue.length === 0) this.#host.idle();
    }
  }

  /** Handles one client request; false ends the session. */
  async #request(message: Message): Promise<boolean> {
    switch (message.type) {
      case PacketType.SqlBatch: {
        const sql = decodeSqlBatch(message.payload);
        if (sql === undefined) return this.#violation('malformed SQLBatch');
        return this.#judgeAndSend(message, [{ query: this.#runtime.newQuery(sql, 'simple') }], []);
      }
      case PacketType.Rpc: {
        const calls = decodeRpc(message.payload);
        if (!calls) return this.#violation('malformed RPC request');
        return this.#rpc(message, calls);
      }
      case PacketType.TransactionManager: {
        const request = decodeTransactionRequest(message.payload);
        if (!request) return this.#violation('malformed transaction manager request');
        if (request.distributed) {
          const query = this.#runtime.newQuery(request.sql, 'simple');
          this.#denyLocally(message, [this.#track(query, { action: 'deny', reason: 'distributed transactions are not supported through the proxy' })], {
            number: ErrorNumber.PermissionDenied,
            severity: 16,
            message: 'sluice: distributed transactions (DTC) are not supported through the proxy',
          });
          return true;
        }
        return this.#judgeAndSend(message, [{ query: this.#runtime.newQuery(request.sql, 'simple') }], []);
      }
      case PacketType.BulkLoad:
        // Rows of an INSERT BULK the pipeline already allowed.
        return this.#judgeAndSend(message, [], []);
      default:
        return this.#violation(`unexpected packet type ${message.type} after login`);
    }
  }

  /** RPC calls become statements: sp_executesql and prepared statements by their SQL, other procedures by name. */
  #rpc(message: Message, calls: readonly RpcCall[]): Promise<boolean> {
    const statements: { query: QueryEvent; judge?: boolean }[] = [];
    const prepares: string[] = [];
    calls.forEach((call) => {
      const values = (from: number) => call.parameters.slice(from).map((parameter) => parameter.value);
      const text = (at: number) => call.parameters[at]?.value ?? '';
      switch (call.procedure.toLowerCase()) {
        case 'sp_executesql':
          statements.push({ query: this.#runtime.newQuery(text(0), 'execute', values(2)) });
          break;
        case 'sp_prepare':
          prepares.push(text(2));
          statements.push({ query: this.#runtime.newQuery(text(2), 'prepare') });
          break;
        case 'sp_prepexec':
          prepares.push(text(2));
          statements.push({ query: this.#runtime.newQuery(text(2), 'prepare') }, { query: this.#runtime.newQuery(text(2), 'execute', values(3)) });
          break;
        case 'sp_cursorprepare':
          prepares.push(text(2));
          statements.push({ query: this.#runtime.newQuery(text(2), 'prepare') });
          break;
        case 'sp_cursorprepexec':
          prepares.push(text(3));
          statements.push({ query: this.#runtime.newQuery(text(3), 'prepare') }, { query: this.#runtime.newQuery(text(3), 'execute', values(5)) });
          break;
        case 'sp_cursoropen':
          statements.push({ query: this.#runtime.newQuery(text(1), 'execute', values(5)) });
          break;
        case 'sp_execute':
        case 'sp_cursorexecute': {
          const handle = Number(text(0));
          const sql = this.#prepared.get(handle) ?? `EXEC ${call.procedure} ${handle}`;
          statements.push({ query: this.#runtime.newQuery(sql, 'execute', values(call.procedure.toLowerCase() === 'sp_execute' ? 1 : 5)) });
          break;
        }
        case 'sp_unprepare':
        case 'sp_cursorunprepare':
          this.#prepared.delete(Number(text(0)));
          break;
        case 'sp_cursorfetch':
        case 'sp_cursorclose':
        case 'sp_cursoroption':
          // Work on a cursor whose statement was judged when it was opened.
          break;
        default:
          statements.push({ query: this.#runtime.newQuery(`EXEC ${call.procedure}`, 'execute', call.parameters.filter((p) => !p.output).map((p) => p.value)) });
      }
    });
    return this.#judgeAndSend(message, statements, prepares);
  }

  /** Judges every statement of a request; all allowed, the request goes upstream as it came. */
  async #judgeAndSend(message: Message, statements: readonly { query: QueryEvent }[], prepares: string[]): Promise<boolean> {
    const startedAt = performance.now();
    const current = judging();
    this.#judging = current;
    try {
      for (const { query } of statements) {
        // A held statement the client cancels is given up at once; its approval, if ever given, runs nothing.
        const verdict = await Promise.race([this.#decide(query), current.cancelledSignal]);
        if (!this.#host.isOpen()) return false;
        if (verdict === 'cancelled' || current.cancelled) {
          for (const other of statements) this.#report({ ...this.#track(other.query, { action: 'deny', reason: 'cancelled by the client' }, startedAt), error: { message: 'cancelled by the client' } });
          return true;
        }
        if (verdict.action === 'deny') {
          const tracked = statements.map((other) =>
            this.#track(other.query, other.query === query ? denial(verdict) : { action: 'deny', reason: 'another statement of the same request was denied' }, startedAt),
          );
          this.#host.log.info({ plugin: verdict.plugin, rule: verdict.rule }, 'statement denied');
          this.#denyLocally(message, tracked, deniedError(verdict));
          return true;
        }
      }
    } finally {
      this.#judging = undefined;
    }
    const tracked = statements.map(({ query }) => this.#track(query, { action: 'allow' }, startedAt));
    const sentAt = performance.now();
    for (const t of tracked) t.sentAt = sentAt;
    this.#inFlight = { tracked, current: firstResultBearing(tracked), prepares, attention: false, attentionAcked: false, ended: false };
    const upstream = this.#upstream;
    if (this.#pendingReset && message.packets[0]) {
      message.packets[0][1] = message.packets[0][1]! | this.#pendingReset;
      this.#pendingReset = 0;
    }
    if (message.packets.length === 1) upstream.write(message.packets[0]!);
    else {
      upstream.cork();
      for (const packet of message.packets) upstream.write(packet);
      upstream.uncork();
    }
    return true;
  }

  #decide(query: QueryEvent): Promise<Verdict> {
    return this.#runtime.query(query, {
      onHold: (approval) => {
        // The client hears about the wait as an INFO message; it arrives with the statement's response.
        this.#holdNotices.push(messageToken('info', { number: 0, severity: 0, message: `sluice: statement held for approval ${approval.id}: ${approval.reason}` }));
      },
    });
  }

  #holdNotices: Buffer[] = [];
  /** RESETCONNECTION bits of denied requests, owed to the server with the next request. */
  #pendingReset = 0;

  /** Answers a denied request without the server: ERROR 229 and a DONE with the error flag. */
  #denyLocally(message: Message, tracked: readonly Tracked[], error: MessageFields): void {
    // A connection reset asked with a denied request still happens: it goes with the next request sent.
    this.#pendingReset |= message.status & (PacketStatus.ResetConnection | PacketStatus.ResetConnectionSkipTran);
    const head = tracked.find((t) => t.decision.action === 'deny' && t.decision.reason !== 'another statement of the same request was denied') ?? tracked[0];
    for (const t of tracked) {
      if (t === head) t.error = { code: String(error.number), message: error.message };
      this.#report(t);
    }
    this.#sendToClient(Buffer.concat([...this.#takeHoldNotices(), failedStatement(error)]));
  }

  #takeHoldNotices(): Buffer[] {
    const notices = this.#holdNotices;
    this.#holdNotices = [];
    return notices;
  }

  /** Attention: forwarded when the server is working on a request, answered by Sluice otherwise. */
  #attention(message: Message): void {
    const inFlight = this.#inFlight;
    if (inFlight && !inFlight.ended) {
      inFlight.attention = true;
      for (const packet of message.packets) this.#upstream.write(packet);
      return;
    }
    if (inFlight && inFlight.ended) {
      // The response already ended: nothing left to cancel; acknowledge once the response is out.
      this.#sendToClient(doneToken(Token.Done, DoneStatus.Attention));
      return;
    }
    // Requests read but not yet started are cancelled too, as the server would.
    const cancelled = this.#queue.splice(0).length + (this.#judging ? 1 : 0);
    this.#judging?.cancel();
    // Each cancelled request still gets its (empty) response, then the acknowledgement comes in a
    // message of its own, as tedious expects and FreeTDS accepts (it reads on until DONE_ATTN).
    for (let i = 0; i < cancelled; i++) this.#sendToClient(doneToken(Token.Done, DoneStatus.Final));
    this.#sendToClient(doneToken(Token.Done, DoneStatus.Attention));
  }

  #sendToClient(payload: Buffer): void {
    this.#client.write(packetize(PacketType.TabularResult, payload, this.#packetSize));
  }

  #track(query: QueryEvent, decision: ResultSummary['decision'], startedAt = performance.now()): Tracked {
    return { query, startedAt, decision, rows: 0, bytes: 0, resultIndex: -1, segmentRows: false };
  }

  /** Server to client: packets are parsed token by token; forwarded as they came unless a plugin rewrites something. */
  #fromServer(chunk: Buffer): void {
    this.#framer.push(chunk);
    this.#client.cork();
    try {
      for (;;) {
        const packet = this.#framer.next();
        if (packet === undefined) break;
        if (isFramingError(packet)) return this.#malformed(packet.error);
        if (!this.#serverPacket(packet)) return;
      }
    } catch (error) {
      // Values that decode to nonsense (a date past year 275760, a 3-byte int) end this session only.
      this.#malformed(error instanceof Error ? error.message : String(error));
    } finally {
      this.#client.uncork();
    }
  }

  /** False when the session failed. */
  #serverPacket(packet: Packet): boolean {
    if (packet.type !== PacketType.TabularResult) {
      this.#malformed(`unexpected packet type ${packet.type} from the database server`);
      return false;
    }
    if (!this.#messageOpen) {
      this.#messageOpen = true;
      const notices = this.#takeHoldNotices();
      const rewrite = this.#runtime.wantsRows || this.#runtime.wantsMessages || notices.length > 0;
      this.#rewrite = rewrite ? new ResponseWriter(this.#packetSize, (bytes) => this.#write(bytes)) : undefined;
      for (const notice of notices) this.#rewrite!.append(notice);
    }
    const inFlight = this.#inFlight;
    const tracked = inFlight?.tracked[inFlight.current];
    if (inFlight && inFlight.tracked[0] && inFlight.tracked[0].firstByteAt === undefined) {
      const now = performance.now();
      for (const t of inFlight.tracked) t.firstByteAt = now;
    }
    if (tracked) tracked.bytes += packet.payload.length;
    this.#tokens.push(packet.payload);
    const rewrite = this.#rewrite;
    try {
      for (let token = this.#tokens.next(); token; token = this.#tokens.next()) {
        const output = this.#serverToken(token);
        if (output === false) return false;
        if (rewrite) rewrite.append(output ?? token.buf.subarray(token.start, token.end));
      }
    } catch (error) {
      if (error instanceof TokenError) {
        this.#malformed(error.message);
        return false;
      }
      throw error;
    }
    const ended = (packet.status & PacketStatus.EndOfMessage) !== 0;
    if (ended && this.#tokens.pending > 0) {
      this.#carry = [];
      this.#carryBytes = 0;
      this.#malformed('a response ended inside a token');
      return false;
    }
    if (!rewrite) this.#passThrough(packet, ended);
    if (ended) {
      rewrite?.end();
      this.#messageOpen = false;
      this.#rewrite = undefined;
      this.#responseEnded();
    }
    return true;
  }

  /** Forwards a packet untouched when it ends at a token boundary; else its whole tokens only (see #carry). */
  #passThrough(packet: Packet, ended: boolean): void {
    const pending = this.#tokens.pending;
    if (this.#carryBytes === 0 && pending === 0) {
      this.#write(packet.raw);
      this.#packetId = packet.raw[6]! + 1;
      return;
    }
    const parts = this.#carry.length > 0 ? [...this.#carry, packet.payload] : [packet.payload];
    const total = this.#carryBytes + packet.payload.length;
    let emit = total - pending;
    const out: Buffer[] = [];
    this.#carry = [];
    for (const part of parts) {
      if (emit >= part.length) {
        out.push(part);
        emit -= part.length;
      } else {
        if (emit > 0) out.push(part.subarray(0, emit));
        this.#carry.push(part.subarray(emit));
        emit = 0;
      }
    }
    this.#carryBytes = pending;
    const bytes = total - pending;
    if (bytes === 0 && !ended) return;
    const status = packet.status & ~PacketStatus.EndOfMessage;
    const room = this.#packetSize - 8;
    let remaining = bytes;
    // One buffer per packet: a copy of at most a packet, cheaper than a write per slice.
    let slice = 0;
    let offset = 0;
    do {
      const size = Math.min(room, remaining);
      remaining -= size;
      const last = remaining === 0;
      const outPacket = Buffer.allocUnsafe(size + 8);
      packetHeader(PacketType.TabularResult, status | (last && ended ? PacketStatus.EndOfMessage : 0), size + 8, this.#packetId++).copy(outPacket, 0);
      let at = 8;
      while (at < size + 8) {
        const part = out[slice]!;
        const take = Math.min(part.length - offset, size + 8 - at);
        part.copy(outPacket, at, offset, offset + take);
        at += take;
        offset += take;
        if (offset === part.length) {
          slice++;
          offset = 0;
        }
      }
      this.#write(outPacket);
    } while (remaining > 0);
  }

  #responseEnded(): void {
    const inFlight = this.#inFlight;
    if (!inFlight) return;
    inFlight.ended = true;
    if (inFlight.attention && !inFlight.attentionAcked) return; // the acknowledgement comes in a later message
    for (const tracked of inFlight.tracked) this.#report(tracked);
    this.#inFlight = undefined;
    const settled = this.#settled;
    this.#settled = undefined;
    settled?.();
    if (this.#queue.length === 0 && !this.#working) this.#host.idle();
  }

  /** Bookkeeping for one token; returns its replacement (undefined: unchanged), or false when the session failed. */
  #serverToken(token: StreamToken): Buffer | undefined | false {
    const inFlight = this.#inFlight;
    const tracked = inFlight?.tracked[inFlight.current];
    switch (token.kind) {
      case 'colmetadata':
        if (tracked) {
          tracked.segmentRows = true;
          if (token.columns) this.#startResultSet(tracked, token.columns);
        }
        return undefined;
      case 'row':
        if (!tracked) return undefined;
        tracked.rows++;
        if (tracked.rowFailure !== undefined) return EMPTY;
        return tracked.filter && this.#rewrite ? this.#filterRow(tracked, token) : undefined;
      case 'done':
        return this.#done(token, inFlight, tracked);
      case 'error':
      case 'info': {
        if (token.kind === 'error' && tracked && tracked.error === undefined) tracked.error = { code: String(token.number), message: token.message };
        if (!this.#rewrite || !this.#runtime.wantsMessages) return undefined;
        const text = this.#runtime.message({ kind: token.kind === 'error' ? 'error' : 'notice', ...(tracked ? { query: tracked.query } : {}), code: String(token.number), text: { message: token.message } });
        return text ? messageToken(token.kind, { ...token, message: text.message }) : undefined;
      }
      case 'envchange':
        return this.#envChange(token);
      case 'returnvalue':
        if (inFlight && isIntegerType(token.info)) {
          const sql = token.ordinal === 0 ? inFlight.prepares.shift() : undefined;
          if (sql !== undefined) {
            const data = readValue(new Cursor(token.buf, token.value.start, token.value.end), token.info);
            if (data) {
              const handle = Number(valueText(token.info, data));
              if (this.#prepared.size > 10_000) this.#prepared.delete(this.#prepared.keys().next().value!);
              this.#prepared.set(handle, sql);
            }
          }
        }
        return undefined;
      case 'loginack':
      case 'featureextack':
        this.#malformed('a login token after login');
        return false;
      default:
        return undefined;
    }
  }

  #done(token: Extract<StreamToken, { kind: 'done' }>, inFlight: InFlight | undefined, tracked: Tracked | undefined): Buffer | undefined {
    if (token.status & DoneStatus.Attention && inFlight) inFlight.attentionAcked = true;
    let output: Buffer | undefined;
    if (tracked) {
      if (token.status & DoneStatus.Count && !tracked.segmentRows) tracked.affected = (tracked.affected ?? 0) + Number(token.count);
      tracked.segmentRows = false;
      tracked.filter = undefined;
      if (tracked.rowFailure !== undefined) {
        tracked.error = { code: String(ErrorNumber.ProxyError), message: tracked.rowFailure };
        output = Buffer.concat([
          messageToken('error', { number: ErrorNumber.ProxyError, severity: 16, message: tracked.rowFailure }),
          doneToken(token.token as Token.Done, token.status | DoneStatus.Error, 0n, token.command),
        ]);
        tracked.rowFailure = undefined;
      }
    }
    if (token.token === Token.DoneProc && inFlight && inFlight.current < inFlight.tracked.length - 1) {
      inFlight.current = nextResultBearing(inFlight.tracked, inFlight.current);
    }
    return output;
  }

  #envChange(token: Extract<StreamToken, { kind: 'envchange' }>): Buffer | undefined | false {
    switch (token.type) {
      case EnvChangeType.BeginTransaction:
        this.#inTransaction = true;
        return undefined;
      case EnvChangeType.CommitTransaction:
      case EnvChangeType.RollbackTransaction:
      case EnvChangeType.DefectTransaction:
      case EnvChangeType.TransactionEnded:
        this.#inTransaction = false;
        return undefined;
      case EnvChangeType.PacketSize:
        return undefined;
      case EnvChangeType.Routing:
        // A client must never be sent past the proxy.
        this.#malformed('the database server sent a routing ENVCHANGE after login');
        return false;
      default:
        return undefined;
    }
  }

  #startResultSet(tracked: Tracked, columns: readonly Column[]): void {
    tracked.resultIndex++;
    tracked.filter = undefined;
    if (!this.#runtime.wantsRows) return;
    const info = { index: tracked.resultIndex, columns: columns.map((c) => ({ name: c.name, type: c.info.name, ...(c.table === undefined ? {} : { table: c.table }) })) };
    const filter = this.#runtime.resultSet(tracked.query, info);
    if (filter) tracked.filter = { apply: filter.apply, columns, wanted: filter.columns === 'all' ? 'all' : new Set(filter.columns) };
  }

  /** Decodes the values a plugin asked for, runs the row hooks, and re-encodes the row when they changed something. */
  #filterRow(tracked: Tracked, token: Extract<StreamToken, { kind: 'row' }>): Buffer | undefined {
    const filter = tracked.filter!;
    const { columns } = filter;
    const ranges = rowValueRanges(token.buf, token.start, token.end, columns, token.nbc);
    const values: (string | null | undefined)[] = new Array(columns.length);
    for (let i = 0; i < columns.length; i++) {
      if (filter.wanted !== 'all' && !filter.wanted.has(i)) continue;
      const range = ranges[i];
      if (range === null || range === undefined) {
        values[i] = null;
        continue;
      }
      const info = columns[i]!.info;
      const data = readValue(new Cursor(token.buf, range.start, range.end), info);
      values[i] = data === null ? null : valueText(info, data);
    }
    let patch;
    try {
      patch = filter.apply({ values });
    } catch (error) {
      this.#host.log.error({ error: (error as Error).message }, 'row hook failed: the rest of the result is withheld');
      tracked.rowFailure = `sluice: ${(error as Error).message}`;
      return EMPTY;
    }
    if (!patch) return undefined;
    return encodeRow(token.buf, ranges, columns, patch, this.#host.log);
  }

  #report(tracked: Tracked): void {
    if (tracked.finished) return;
    tracked.finished = true;
    this.#runtime.result(tracked.query, resultSummary(tracked, performance.now()));
  }

  #write(bytes: Buffer): void {
    writeWithBackpressure(this.#client, this.#upstream, bytes);
  }

  #malformed(error: string): void {
    // What was already sent ends at a token boundary; the fatal ERROR then ends the message.
    this.#rewrite?.flush();
    this.#rewrite = undefined;
    const detail = `malformed response from the database server: ${error}`;
    this.#host.fail({ number: ErrorNumber.ProtocolError, severity: 20, message: `sluice: ${detail}` }, 'error', detail);
  }

  #violation(message: string): false {
    this.#host.fail({ number: ErrorNumber.ProtocolError, severity: 20, message: `sluice: ${message}` }, 'error', `protocol violation: ${message}`);
    return false;
  }
}

/** A row with the patch applied; written as NBCROW when a value is NULL, so every type can hold it. */
export function encodeRow(
  buf: Buffer,
  ranges: readonly ({ start: number; end: number } | null)[],
  columns: readonly Column[],
  patch: readonly (string | null | undefined)[],
  log?: Pick<Logger, 'warn'>,
): Buffer {
  const values: (Buffer | null)[] = columns.map((column, i) => {
    const replacement = patch[i];
    if (replacement === undefined) {
      const range = ranges[i];
      return range ? buf.subarray(range.start, range.end) : null;
    }
    if (replacement === null) return null;
    try {
      return frameValue(column.info, valueBytes(column.info, replacement));
    } catch (error) {
      // A value the column's type cannot hold goes out as NULL rather than unmasked.
      log?.warn({ column: column.name, type: column.info.name, error: (error as Error).message }, 'replacement value does not fit its column: sent as NULL');
      return null;
    }
  });
  if (values.every((value) => value !== null)) return Buffer.concat([Buffer.from([Token.Row]), ...(values as Buffer[])]);
  const bitmap = Buffer.alloc((columns.length + 7) >> 3);
  values.forEach((value, i) => {
    if (value === null) bitmap[i >> 3]! |= 1 << (i & 7);
  });
  return Buffer.concat([Buffer.from([Token.NbcRow]), bitmap, ...values.filter((value): value is Buffer => value !== null)]);
}

function firstResultBearing(tracked: readonly Tracked[]): number {
  const index = tracked.findIndex((t) => t.query.via !== 'prepare');
  return index === -1 ? 0 : index;
}

function nextResultBearing(tracked: readonly Tracked[], current: number): number {
  for (let i = current + 1; i < tracked.length; i++) if (tracked[i]!.query.via !== 'prepare') return i;
  return current;
}

function denial(verdict: Extract<Verdict, { action: 'deny' }>): ResultSummary['decision'] {
  return { action: 'deny', reason: verdict.reason, plugin: verdict.plugin, ...(verdict.rule === undefined ? {} : { rule: verdict.rule }) };
}

function deniedError(verdict: Extract<Verdict, { action: 'deny' }>): MessageFields {
  return { number: ErrorNumber.PermissionDenied, state: 1, severity: 14, message: `sluice: ${verdict.rule ?? verdict.plugin}: ${verdict.reason}` };
}
