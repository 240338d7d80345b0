// The command phase of an authenticated session: client commands through the pipeline to the server, responses back through the row hooks.
//
// Every command sent upstream is matched with the response it will produce (an Expectation), in
// order, so a client that pipelines (prepare then execute) stays in step. A statement a plugin
// denies never reaches the server: Sluice answers it with ERR 1142 itself, in its place in the
// queue. Sequence ids of the packets the client gets are always the ones it expects, so Sluice can
// drop, add or rewrite packets (EOF translation, masked rows) without the client noticing.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { resultSummary, writeWithBackpressure, writesFlushed, type Logger, type QueryEvent, type ResultSummary, type RowFilter, type SessionRuntime, type Verdict } from '@sluice/core';
import { decodeColumnDefinition, type ColumnDefinition } from './columns.js';
import { Capability, Command, ErrorCode, Header, MAX_LOGICAL_PACKET, Status } from './constants.js';
import { framePacket, isFramingError, PacketFramer, renumber, type Packet } from './framing.js';
import { decodeEof, decodeErr, decodeOk, eofPayload, errPayload, okPayload, type ErrPacket } from './packets.js';
import { decodeOrUndefined, PayloadReader } from './payload.js';
import { binaryRowRanges, binaryValueText, encodeBinaryRow, encodeTextRow, stringEncoding, textRowRanges, type ValueRange } from './rows.js';
import type { SocketReader } from './socket-reader.js';
import { parseKill } from './connection-ids.js';
import { decodeBulkFirstRow, decodeExecuteHeader, decodeExecuteParams, recordLongData, type PreparedStatement } from './statements.js';

/** MariaDB: COM_STMT_EXECUTE of "the statement prepared last" (pipelined prepare + execute). */
const LAST_PREPARED = 0xffffffff;

/** One statement as the pipeline saw it, with what its result has shown so far. */
interface Tracked {
  readonly query: QueryEvent;
  readonly startedAt: number;
  readonly decision: ResultSummary['decision'];
  /** When the command was written upstream, and when its first response packet came back. */
  sentAt?: number;
  firstByteAt?: number;
  rows: number;
  bytes: number;
  affected?: number;
  error?: { code?: string; message: string };
  resultIndex: number;
  finished?: boolean;
}

const enum Phase {
  First, // OK, ERR, LOCAL INFILE request or a column count
  Columns, // column definitions
  ColumnsEof, // the EOF after them (server without CLIENT_DEPRECATE_EOF)
  Rows, // rows up to EOF / OK / ERR
  Params, // a prepare's parameter definitions
  ParamsEof,
}

interface ResultExpectation {
  readonly kind: 'result';
  readonly tracked: Tracked;
  readonly binary: boolean;
  phase: Phase;
  columnsLeft: number;
  columnCount: number;
  columns: ColumnDefinition[];
  filter?: { apply: RowFilter['apply']; wanted: ReadonlySet<number> | 'all' } | undefined;
  /** A row hook failed: rows are withheld and the response ends with this error. */
  rowFailure?: string;
  /** Drop what is left of the server's response (after Sluice ended it for the client). */
  swallow?: boolean;
  /** The statement an execute or fetch belongs to: it keeps the columns for later fetches. */
  readonly statement?: PreparedStatement | undefined;
  nextOut: number;
  complete?: boolean;
}

interface PrepareExpectation {
  readonly kind: 'prepare';
  readonly tracked: Tracked;
  readonly sql: string;
  phase: Phase;
  paramsLeft: number;
  columnsLeft: number;
  statementId?: number;
  /** Tells an execute pipelined behind this prepare which statement it runs. */
  readonly settle: (id: number | null) => void;
  nextOut: number;
  complete?: boolean;
}

/** A response of one packet (OK, ERR, EOF, or COM_STATISTICS's text). */
interface SingleExpectation {
  readonly kind: 'single';
  readonly tracked?: Tracked | undefined;
  readonly onOk?: (() => void) | undefined;
  /** Sluice's own command: the answer is not the client's (an error still is). */
  readonly hidden?: boolean;
  nextOut: number;
  complete?: boolean;
}

/** COM_FIELD_LIST: column definitions up to an EOF. */
interface FieldListExpectation {
  readonly kind: 'fieldList';
  readonly tracked: Tracked;
  nextOut: number;
  complete?: boolean;
}

/** Sluice's own answer, sent when the responses before it are done. */
interface AnswerExpectation {
  readonly kind: 'answer';
  readonly tracked?: Tracked | undefined;
  readonly payload: Buffer;
  nextOut: number;
  complete?: boolean;
}

type Expectation = ResultExpectation | PrepareExpectation | SingleExpectation | FieldListExpectation | AnswerExpectation;

export interface RelayHost {
  readonly log: Logger;
  /** Ends the session with an ERR to the client; `reason` is for onDisconnect. */
  fail(error: ErrPacket, reason: 'error' | 'server', detail: string, sequence?: number): void;
  /** Called whenever the session has no command in flight. */
  idle(): void;
  isOpen(): boolean;
  /**
   * For `KILL <id>` with one of Sluice's connection ids: the server thread it stands for, or the
   * error to answer; undefined when the id is not Sluice's (then it goes to the server as it is).
   */
  killTarget?(id: number): { upstreamId: number } | { error: ErrPacket } | undefined;
  /**
   * Signs the client in again for COM_CHANGE_USER, reading its answers from the session's reader,
   * the first packet Sluice sends having sequence id `sequence`. `ok` means the same identity; the
   * sequence returned is the one for the final answer.
   */
  changeUser?(request: ChangeUserRequest, sequence: number): Promise<{ ok: true; sequence: number } | { ok: false; error: ErrPacket; sequence: number }>;
}

/** A COM_CHANGE_USER packet. */
export interface ChangeUserRequest {
  readonly user: string;
  readonly authResponse: Buffer;
  readonly database?: string;
  readonly charset?: number;
  readonly authPlugin?: string;
}

export function decodeChangeUser(payload: Buffer, capabilities: number): ChangeUserRequest | undefined {
  return decodeOrUndefined(() => {
    const reader = new PayloadReader(payload, 1);
    const user = reader.nulString();
    const authResponse = Buffer.from(capabilities & Capability.SECURE_CONNECTION ? reader.bytes(reader.int1()) : reader.nulBytes());
    const database = reader.remaining > 0 ? reader.nulString() : '';
    const charset = reader.remaining >= 2 ? reader.int2() : undefined;
    let authPlugin: string | undefined;
    if (capabilities & Capability.PLUGIN_AUTH && reader.remaining > 0) {
      const end = reader.buffer.indexOf(0, reader.offset);
      authPlugin = (end === -1 ? reader.rest() : reader.nulBytes()).toString('utf8');
    }
    return {
      user,
      authResponse,
      ...(database === '' ? {} : { database }),
      ...(charset === undefined ? {} : { charset }),
      ...(authPlugin === undefined ? {} : { authPlugin }),
    };
  });
}

export interface RelayOptions {
  /** The client uses CLIENT_DEPRECATE_EOF. */
  readonly clientDeprecateEof: boolean;
  /** The upstream connection uses CLIENT_DEPRECATE_EOF. */
  readonly serverDeprecateEof: boolean;
  /** Capabilities agreed with the client (for OK packets Sluice writes). */
  readonly clientCapabilities: number;
  readonly status: number;
  /** MariaDB's EXTENDED_METADATA is in force: column definitions carry one more field. */
  readonly extendedMetadata?: boolean;
}

export class CommandRelay {
  readonly #client: Socket | TLSSocket;
  readonly #upstream: Socket | TLSSocket;
  readonly #reader: SocketReader;
  readonly #runtime: SessionRuntime;
  readonly #host: RelayHost;
  readonly #options: RelayOptions;
  readonly #framer = new PacketFramer(MAX_LOGICAL_PACKET);
  readonly #expected: Expectation[] = [];
  readonly #statements = new Map<number, PreparedStatement>();
  /** The last execute of each statement: COM_STMT_FETCH rows belong to it. */
  readonly #executions = new WeakMap<PreparedStatement, Tracked>();
  /** The statement the last COM_STMT_PREPARE created, or null when that prepare was denied or failed. */
  #lastPrepared: number | null = null;
  /** The last COM_STMT_PREPARE sent; `settled` gives its statement id (null: failed) once the server answered. */
  #latestPrepare: { readonly settled: Promise<number | null>; done: boolean } | undefined;
  /** Settles when the server connection closes, so nothing waits on a response forever. */
  readonly #upstreamClosed: Promise<null>;
  /** A LOCAL INFILE transfer in progress: client packets are file data, renumbered for the server. */
  #infile: { expectation: ResultExpectation; upstreamNext: number } | undefined;
  #status: number;

  constructor(client: Socket | TLSSocket, upstream: Socket | TLSSocket, reader: SocketReader, runtime: SessionRuntime, host: RelayHost, options: RelayOptions) {
    this.#client = client;
    this.#upstream = upstream;
    this.#reader = reader;
    this.#runtime = runtime;
    this.#host = host;
    this.#options = options;
    this.#status = options.status;
    this.#upstreamClosed = new Promise((resolve) => upstream.once('close', () => resolve(null)));
    upstream.on('data', (chunk: Buffer) => this.#fromServer(chunk));
  }

  /** Nothing in flight and outside a transaction: the session can be closed without losing work. */
  get quiescent(): boolean {
    return this.#expected.length === 0 && (this.#status & Status.IN_TRANS) === 0;
  }

  /** The sequence id the client expects next, if a response is in flight. */
  get pendingSequence(): number | undefined {
    return this.#expected[0]?.nextOut;
  }

  fromServer(chunk: Buffer): void {
    this.#fromServer(chunk);
  }

  /** Client to server, until the client quits or the session closes. */
  async run(): Promise<void> {
    const upstream = this.#upstream;
    for (;;) {
      const packet = await this.#reader.packet();
      if (!this.#host.isOpen()) return;
      if (isFramingError(packet)) {
        this.#violation(packet.error);
        return;
      }
      if (this.#infile) {
        this.#infileData(packet);
        if (upstream.writableLength > 1 << 20) await this.#drained();
        continue;
      }
      if (packet.payload.length === 0) {
        this.#violation('empty command packet');
        return;
      }
      if (packet.payload[0] === Command.Quit) {
        upstream.end(packet.raw);
        return;
      }
      if (!(await this.#command(packet))) return;
      if (upstream.writableLength > 1 << 20) await this.#drained();
    }
  }

  /** Handles one client command; false ends the session. */
  async #command(packet: Packet): Promise<boolean> {
    const payload = packet.payload;
    const nextOut = (packet.sequence + packet.parts) & 0xff;
    switch (payload[0]) {
      case Command.Query:
        return this.#query(packet, nextOut);
      case Command.StmtPrepare:
        return this.#prepare(packet, nextOut);
      case Command.StmtExecute:
        return this.#execute(packet, nextOut);
      case Command.StmtFetch:
        return this.#fetch(packet, nextOut);
      case Command.StmtBulkExecute:
        return this.#bulkExecute(packet, nextOut);
      case Command.StmtSendLongData:
        recordLongData(payload, this.#statements);
        this.#upstream.write(packet.raw);
        return true;
      case Command.StmtClose:
        if (payload.length >= 5) this.#statements.delete(payload.readUInt32LE(1));
        this.#upstream.write(packet.raw);
        return true;
      case Command.StmtReset:
        if (payload.length >= 5) this.#statements.get(payload.readUInt32LE(1))?.longData.clear();
        return this.#forward(packet, { kind: 'single', nextOut });
      case Command.InitDb:
        return this.#judged(packet, nextOut, `USE ${quoteIdentifier(payload.toString('utf8', 1))}`, (tracked) => ({ kind: 'single', tracked, nextOut }));
      case Command.FieldList: {
        const end = payload.indexOf(0, 1);
        const table = payload.toString('utf8', 1, end === -1 ? payload.length : end);
        return this.#judged(packet, nextOut, `SHOW COLUMNS FROM ${quoteIdentifier(table)}`, (tracked) => ({ kind: 'fieldList', tracked, nextOut }));
      }
      case Command.ProcessKill: {
        if (payload.length < 5) return this.#violation('malformed COM_PROCESS_KILL');
        const id = payload.readUInt32LE(1);
        const target = this.#host.killTarget?.(id);
        if (target && 'error' in target) {
          this.#answer(nextOut, target.error);
          return true;
        }
        const forwarded = target ? { ...packet, raw: framePacket(Buffer.concat([Buffer.from([Command.ProcessKill]), u32(target.upstreamId)]), packet.sequence) } : packet;
        return this.#judged(forwarded, nextOut, `KILL ${id}`, (tracked) => ({ kind: 'single', tracked, nextOut }));
      }
      case Command.Ping:
      case Command.Statistics:
      case Command.SetOption:
        return this.#forward(packet, { kind: 'single', nextOut });
      case Command.ResetConnection:
        return this.#forward(packet, {
          kind: 'single',
          nextOut,
          onOk: () => {
            this.#statements.clear();
            this.#lastPrepared = null;
            this.#latestPrepare = undefined;
          },
        });
      case Command.ChangeUser:
        return this.#changeUser(packet, nextOut);
      default:
        this.#answer(nextOut, { ...ErrorCode.unknownCommand, message: `sluice: command 0x${payload[0]!.toString(16).padStart(2, '0')} is not supported through the proxy` });
        return true;
    }
  }

  async #query(packet: Packet, nextOut: number): Promise<boolean> {
    const sql = packet.payload.toString('utf8', 1);
    const whole = this.#runtime.newQuery(sql, 'simple');
    const statements = splitStatements(whole, (part) => this.#runtime.newQuery(part, 'simple'));
    const startedAt = performance.now();
    // Every statement is judged before any is sent: one denial rejects the whole string.
    for (const query of statements) {
      const verdict = await this.#judge(query);
      if (!this.#host.isOpen()) return false;
      if (verdict.action === 'deny') {
        for (const other of statements) {
          if (other !== query) this.#report(track(other, { action: 'deny', reason: 'another statement in the same query string was denied' }, startedAt));
        }
        this.#deny(track(query, denial(verdict), startedAt), verdict, nextOut);
        return true;
      }
    }
    const tracked = track(statements.length === 1 ? statements[0]! : whole, { action: 'allow' }, startedAt);
    const kill = this.#killRewrite(sql, nextOut, tracked);
    if (kill === null) return true;
    if (kill) {
      this.#expected.push(newResult(tracked, false, nextOut));
      tracked.sentAt = performance.now();
      this.#upstream.write(framePacket(Buffer.concat([Buffer.from([Command.Query]), Buffer.from(kill, 'utf8')]), packet.sequence));
      return true;
    }
    return this.#forward(packet, newResult(tracked, false, nextOut));
  }

  /**
   * `KILL [QUERY] <id>` where the id is one Sluice gave a client: the SQL naming the server's thread
   * instead; null when Sluice answered it itself (an unknown id, another identity's session).
   */
  #killRewrite(sql: string, nextOut: number, tracked: Tracked): string | undefined | null {
    const kill = parseKill(sql);
    if (!kill || !this.#host.killTarget) return undefined;
    const target = this.#host.killTarget(kill.id);
    if (!target) return undefined;
    if ('error' in target) {
      tracked.error = { code: String(target.error.code), message: target.error.message };
      this.#answer(nextOut, target.error, tracked);
      return null;
    }
    return `${kill.before}${target.upstreamId}${kill.after}`;
  }

  async #prepare(packet: Packet, nextOut: number): Promise<boolean> {
    const sql = packet.payload.toString('utf8', 1);
    const query = this.#runtime.newQuery(sql, 'prepare');
    const verdict = await this.#judge(query);
    if (!this.#host.isOpen()) return false;
    if (verdict.action === 'deny') {
      this.#lastPrepared = null;
      this.#latestPrepare = undefined;
      this.#deny(track(query, denial(verdict)), verdict, nextOut);
      return true;
    }
    const tracked = track(query, { action: 'allow' });
    let resolve!: (id: number | null) => void;
    const latest = { settled: new Promise<number | null>((done) => (resolve = done)), done: false };
    const settle = (id: number | null) => {
      latest.done = true;
      // Only the newest prepare decides what "the statement prepared last" is.
      if (this.#latestPrepare === latest) this.#lastPrepared = id;
      resolve(id);
    };
    this.#lastPrepared = null;
    this.#latestPrepare = latest;
    return this.#forward(packet, { kind: 'prepare', tracked, sql, phase: Phase.First, paramsLeft: 0, columnsLeft: 0, nextOut, settle });
  }

  async #execute(packet: Packet, nextOut: number): Promise<boolean> {
    const header = decodeExecuteHeader(packet.payload);
    if (!header) return this.#violation('malformed COM_STMT_EXECUTE');
    let id: number | null = header.statementId;
    if (id === LAST_PREPARED) {
      // Pipelined behind its prepare: judging needs that statement, so wait for the server's answer to it.
      const latest = this.#latestPrepare;
      id = latest && !latest.done ? await Promise.race([latest.settled, this.#upstreamClosed]) : this.#lastPrepared;
      if (!this.#host.isOpen()) return false;
      if (id === null) {
        this.#answer(nextOut, { code: 1243, state: 'HY000', message: 'Unknown prepared statement handler given to mysqld_stmt_execute' });
        return true;
      }
    }
    const statement = this.#statements.get(id);
    // Parameters that do not match the statement (too few, say) are the server's to refuse, as it would directly.
    const params = statement ? decodeExecuteParams(packet.payload, statement) : undefined;
    statement?.longData.clear();
    const query = this.#runtime.newQuery(statement?.sql ?? '', 'execute', params ?? []);
    const verdict = await this.#judge(query);
    if (!this.#host.isOpen()) return false;
    if (verdict.action === 'deny') {
      this.#deny(track(query, denial(verdict)), verdict, nextOut);
      return true;
    }
    return this.#forward(packet, newResult(track(query, { action: 'allow' }), true, nextOut, statement));
  }

  /**
   * MariaDB's COM_STMT_BULK_EXECUTE: one statement, many rows of parameters. Judged once, as an
   * execute with the first row's parameters.
   */
  async #bulkExecute(packet: Packet, nextOut: number): Promise<boolean> {
    if (packet.payload.length < 7) return this.#violation('malformed COM_STMT_BULK_EXECUTE');
    const statement = this.#statements.get(packet.payload.readUInt32LE(1));
    const params = statement ? decodeBulkFirstRow(packet.payload, statement) : undefined;
    const query = this.#runtime.newQuery(statement?.sql ?? '', 'execute', params ?? []);
    const verdict = await this.#judge(query);
    if (!this.#host.isOpen()) return false;
    if (verdict.action === 'deny') {
      this.#deny(track(query, denial(verdict)), verdict, nextOut);
      return true;
    }
    return this.#forward(packet, newResult(track(query, { action: 'allow' }), true, nextOut, statement));
  }

  #fetch(packet: Packet, nextOut: number): boolean {
    if (packet.payload.length < 9) return this.#violation('malformed COM_STMT_FETCH');
    const statement = this.#statements.get(packet.payload.readUInt32LE(1));
    const last = statement ? this.#executions.get(statement) : undefined;
    const tracked = last ?? track(this.#runtime.newQuery(statement?.sql ?? '', 'execute'), { action: 'allow' });
    tracked.finished = true; // reported with its execute
    const expectation = newResult(tracked, true, nextOut, statement);
    expectation.phase = Phase.Rows;
    expectation.columns = statement?.columns ?? [];
    expectation.columnCount = expectation.columns.length;
    this.#startResultSet(expectation, false);
    return this.#forward(packet, expectation);
  }

  /**
   * COM_CHANGE_USER: the client signs in again through Sluice. The same identity resets the server
   * session (COM_RESET_CONNECTION, then COM_INIT_DB for the schema it names), as pools do to clean a
   * connection; another identity needs a session of its own and is refused.
   */
  async #changeUser(packet: Packet, nextOut: number): Promise<boolean> {
    if (!this.#host.changeUser || this.#expected.length > 0) {
      this.#answer(nextOut, { ...ErrorCode.notSupported, message: 'sluice: COM_CHANGE_USER is not supported here; open a new connection as the other user' });
      return true;
    }
    const request = decodeChangeUser(packet.payload, this.#options.clientCapabilities);
    if (!request) return this.#violation('malformed COM_CHANGE_USER');
    const outcome = await this.#host.changeUser(request, nextOut);
    if (!this.#host.isOpen()) return false;
    if (!outcome.ok) {
      this.#answer(outcome.sequence, outcome.error);
      return true;
    }
    const reset = () => {
      this.#statements.clear();
      this.#lastPrepared = null;
      this.#latestPrepare = undefined;
    };
    const resetPacket = framePacket(Buffer.from([Command.ResetConnection]), 0);
    if (request.database === undefined) {
      this.#expected.push({ kind: 'single', nextOut: outcome.sequence, onOk: reset });
      this.#upstream.write(resetPacket);
      return true;
    }
    this.#expected.push({ kind: 'single', nextOut: outcome.sequence, onOk: reset, hidden: true });
    this.#expected.push({ kind: 'single', nextOut: outcome.sequence });
    this.#upstream.write(Buffer.concat([resetPacket, framePacket(Buffer.concat([Buffer.from([Command.InitDb]), Buffer.from(request.database, 'utf8')]), 0)]));
    return true;
  }

  /** A command that is a statement in disguise (COM_INIT_DB, COM_FIELD_LIST, COM_PROCESS_KILL): judged as its SQL. */
  async #judged(packet: Packet, nextOut: number, sql: string, expectation: (tracked: Tracked) => Expectation): Promise<boolean> {
    const query = this.#runtime.newQuery(sql, 'simple');
    const verdict = await this.#judge(query);
    if (!this.#host.isOpen()) return false;
    if (verdict.action === 'deny') {
      this.#deny(track(query, denial(verdict)), verdict, nextOut);
      return true;
    }
    return this.#forward(packet, expectation(track(query, { action: 'allow' })));
  }

  #forward(packet: Packet, expectation: Expectation): boolean {
    this.#expected.push(expectation);
    if ('tracked' in expectation && expectation.tracked) expectation.tracked.sentAt = performance.now();
    this.#upstream.write(packet.raw);
    return true;
  }

  #judge(query: QueryEvent): Promise<Verdict> {
    // A held statement simply waits: the MySQL protocol has no notice to tell the client why.
    return this.#runtime.query(query);
  }

  #deny(tracked: Tracked, verdict: Extract<Verdict, { action: 'deny' }>, nextOut: number): void {
    this.#host.log.info({ plugin: verdict.plugin, rule: verdict.rule }, 'statement denied');
    const error = { ...ErrorCode.denied, message: `sluice: ${verdict.rule ?? verdict.plugin}: ${verdict.reason}` };
    tracked.error = { code: String(error.code), message: error.message };
    this.#answer(nextOut, error, tracked);
  }

  /** Queues Sluice's own ERR for a command; it leaves as soon as every response before it has. */
  #answer(nextOut: number, error: ErrPacket, tracked?: Tracked): void {
    this.#expected.push({ kind: 'answer', tracked, payload: errPayload(error), nextOut });
    this.#pump();
  }

  /** Sends the answers at the head of the queue. */
  #pump(): void {
    let sent = false;
    while (this.#expected[0]?.kind === 'answer') {
      const answer = this.#expected.shift() as AnswerExpectation;
      this.#write(framePacket(answer.payload, answer.nextOut));
      if (answer.tracked) this.#report(answer.tracked);
      sent = true;
    }
    if (sent && this.#expected.length === 0) this.#host.idle();
  }

  /** A LOCAL INFILE data packet: to the server with the sequence id it expects; an empty one ends the file. */
  #infileData(packet: Packet): void {
    const infile = this.#infile!;
    renumber(packet.raw, infile.upstreamNext);
    infile.upstreamNext = (infile.upstreamNext + packet.parts) & 0xff;
    infile.expectation.nextOut = (packet.sequence + packet.parts) & 0xff;
    this.#upstream.write(packet.raw);
    if (packet.payload.length === 0) this.#infile = undefined;
  }

  /** Server to client: frames each chunk, forwards runs of untouched packets in one write. */
  #fromServer(chunk: Buffer): void {
    this.#framer.push(chunk);
    const client = this.#client;
    client.cork();
    let run: Buffer | undefined;
    let runEnd = 0;
    const flushRun = () => {
      if (run) this.#write(run.subarray(0, runEnd - run.byteOffset));
      run = undefined;
    };
    for (;;) {
      const packet = this.#framer.next();
      if (packet === undefined) break;
      if (isFramingError(packet)) {
        flushRun();
        client.uncork();
        this.#serverViolation(`malformed packet from the database server: ${packet.error}`);
        return;
      }
      const head = this.#expected[0];
      if (!head) {
        flushRun();
        this.#unsolicited(packet);
        continue;
      }
      if ('tracked' in head && head.tracked && head.tracked.firstByteAt === undefined) head.tracked.firstByteAt = performance.now();
      const output = head.kind === 'answer' ? this.#unsolicited(packet) : this.#serverPacket(head, packet);
      if (!this.#host.isOpen()) {
        client.uncork();
        return;
      }
      if (output === packet.raw) {
        const raw = packet.raw;
        if (run && raw.buffer === run.buffer && raw.byteOffset === runEnd) {
          runEnd += raw.length;
        } else {
          flushRun();
          run = Buffer.from(raw.buffer, raw.byteOffset, raw.buffer.byteLength - raw.byteOffset);
          runEnd = raw.byteOffset + raw.length;
        }
      } else {
        flushRun();
        if (output) this.#write(output);
      }
      if (head.complete) {
        this.#expected.shift();
        if ('tracked' in head && head.tracked) this.#report(head.tracked);
        flushRun();
        this.#pump();
        if (this.#expected.length === 0) this.#host.idle();
      }
    }
    flushRun();
    client.uncork();
  }

  /** A packet with no command in flight: the server's goodbye (an ERR before it closes), passed on; anything else is a violation. */
  #unsolicited(packet: Packet): null {
    if (packet.payload[0] === Header.Err) {
      this.#write(packet.raw);
      return null;
    }
    return this.#serverViolation('the database server sent a packet with no command in flight');
  }

  /** Handles one server packet for the response at the head of the queue; returns what the client gets (null: nothing). */
  #serverPacket(head: Exclude<Expectation, AnswerExpectation>, packet: Packet): Buffer | null {
    if ('tracked' in head && head.tracked) head.tracked.bytes += packet.raw.length;
    switch (head.kind) {
      case 'result':
        return this.#resultPacket(head, packet);
      case 'prepare':
        return this.#preparePacket(head, packet);
      case 'single': {
        const first = packet.payload[0];
        if (first === Header.Ok) {
          this.#noteStatus(decodeOk(packet.payload)?.status);
          head.onOk?.();
          if (head.hidden) {
            head.complete = true;
            return null;
          }
        } else if (first === Header.Err) {
          head.complete = true;
          return this.#error(head, packet);
        } else if (first === Header.Eof && packet.payload.length < 9) {
          // COM_SET_OPTION answers with an EOF: in the client's dialect.
          head.complete = true;
          this.#noteStatus(decodeEof(packet.payload).status);
          return this.#terminator(head, packet);
        }
        head.complete = true;
        return this.#pass(head, packet);
      }
      case 'fieldList': {
        const first = packet.payload[0];
        if (first === Header.Err) {
          head.complete = true;
          return this.#error(head, packet);
        }
        if (first === Header.Eof && packet.payload.length < 0xffffff && !isColumnDefinition(packet.payload)) {
          head.complete = true;
          return this.#terminator(head, packet);
        }
        return this.#pass(head, packet);
      }
    }
  }

  #resultPacket(head: ResultExpectation, packet: Packet): Buffer | null {
    const payload = packet.payload;
    const first = payload[0];
    if (head.swallow) {
      if (this.#endsResponse(head, packet)) head.complete = true;
      return null;
    }
    switch (head.phase) {
      case Phase.First: {
        if (first === Header.Ok) {
          const ok = decodeOk(payload);
          if (!ok) return this.#serverViolation('malformed OK packet from the database server');
          head.tracked.affected = (head.tracked.affected ?? 0) + ok.affectedRows;
          this.#noteStatus(ok.status);
          if (!(ok.status & Status.MORE_RESULTS_EXISTS)) head.complete = true;
          return this.#pass(head, packet);
        }
        if (first === Header.Err) {
          head.complete = true;
          return this.#error(head, packet);
        }
        if (first === Header.LocalInfile && !head.binary) {
          const out = this.#pass(head, packet);
          this.#infile = { expectation: head, upstreamNext: (packet.sequence + packet.parts) & 0xff };
          return out;
        }
        const count = decodeOrUndefined(() => new PayloadReader(payload).lenencNumber());
        if (count === undefined || count === 0) return this.#serverViolation('malformed column count from the database server');
        head.columnCount = count;
        head.columnsLeft = count;
        head.columns = [];
        head.filter = undefined;
        head.phase = Phase.Columns;
        return this.#pass(head, packet);
      }
      case Phase.Columns: {
        if (this.#runtime.wantsRows || head.statement) {
          const column = decodeColumnDefinition(payload, this.#options.extendedMetadata === true);
          if (!column) return this.#serverViolation('malformed column definition from the database server');
          head.columns.push(column);
        }
        const out = this.#pass(head, packet);
        if (--head.columnsLeft > 0) return out;
        if (head.statement) {
          head.statement.columns = head.columns;
          this.#executions.set(head.statement, head.tracked);
        }
        if (!this.#options.serverDeprecateEof) {
          head.phase = Phase.ColumnsEof;
          return out;
        }
        head.phase = Phase.Rows;
        this.#startResultSet(head, true);
        // A client without CLIENT_DEPRECATE_EOF expects an EOF after the columns: add it.
        if (!this.#options.clientDeprecateEof) return Buffer.concat([out, this.#packet(head, eofPayload({ warnings: 0, status: this.#status }))]);
        return out;
      }
      case Phase.ColumnsEof: {
        if (first !== Header.Eof) return this.#serverViolation('expected EOF after the column definitions');
        const eof = decodeEof(payload);
        head.phase = Phase.Rows;
        this.#startResultSet(head, true);
        const out = this.#options.clientDeprecateEof ? null : this.#pass(head, packet);
        if (eof.status & Status.CURSOR_EXISTS) {
          // A server-side cursor: rows come with COM_STMT_FETCH.
          this.#noteStatus(eof.status);
          head.complete = true;
        }
        return out;
      }
      case Phase.Rows: {
        if (first === Header.Err) {
          head.complete = true;
          return this.#error(head, packet);
        }
        if (first === Header.Eof && this.#isTerminator(payload)) {
          const status = this.#options.serverDeprecateEof ? (decodeOk(payload)?.status ?? 0) : decodeEof(payload).status;
          this.#noteStatus(status);
          if (head.rowFailure !== undefined) {
            const failure = head.rowFailure;
            head.rowFailure = undefined;
            head.tracked.error = { code: String(ErrorCode.internal.code), message: failure };
            if (status & Status.MORE_RESULTS_EXISTS) head.swallow = true;
            else head.complete = true;
            return this.#packet(head, errPayload({ ...ErrorCode.internal, message: failure }));
          }
          if (status & Status.MORE_RESULTS_EXISTS) head.phase = Phase.First;
          else head.complete = true;
          head.filter = undefined;
          return this.#terminator(head, packet);
        }
        head.tracked.rows++;
        if (head.rowFailure !== undefined) return null;
        if (!head.filter) return this.#pass(head, packet);
        return this.#filterRow(head, packet);
      }
      default:
        return this.#serverViolation('unexpected result state');
    }
  }

  #preparePacket(head: PrepareExpectation, packet: Packet): Buffer | null {
    const payload = packet.payload;
    switch (head.phase) {
      case Phase.First: {
        if (payload[0] === Header.Err) {
          head.settle(null);
          head.complete = true;
          return this.#error(head, packet);
        }
        if (payload[0] !== Header.Ok || payload.length < 12) return this.#serverViolation('malformed COM_STMT_PREPARE response from the database server');
        const id = payload.readUInt32LE(1);
        const columns = payload.readUInt16LE(5);
        const params = payload.readUInt16LE(7);
        this.#statements.set(id, { sql: head.sql, paramCount: params, columnCount: columns, longData: new Map() });
        head.statementId = id;
        head.settle(id);
        head.paramsLeft = params;
        head.columnsLeft = columns;
        const out = this.#pass(head, packet);
        this.#nextPreparePart(head);
        return out;
      }
      case Phase.Params:
      case Phase.Columns: {
        const out = this.#pass(head, packet);
        const left = head.phase === Phase.Params ? --head.paramsLeft : --head.columnsLeft;
        if (left > 0) return out;
        if (!this.#options.serverDeprecateEof) {
          head.phase = head.phase === Phase.Params ? Phase.ParamsEof : Phase.ColumnsEof;
          return out;
        }
        if (head.phase === Phase.Params) head.paramsLeft = -1;
        else head.columnsLeft = -1;
        const added = this.#options.clientDeprecateEof ? undefined : this.#packet(head, eofPayload({ warnings: 0, status: this.#status }));
        this.#nextPreparePart(head);
        return added ? Buffer.concat([out, added]) : out;
      }
      case Phase.ParamsEof:
      case Phase.ColumnsEof: {
        if (payload[0] !== Header.Eof) return this.#serverViolation('expected EOF in the COM_STMT_PREPARE response');
        if (head.phase === Phase.ParamsEof) head.paramsLeft = -1;
        else head.columnsLeft = -1;
        const out = this.#options.clientDeprecateEof ? null : this.#pass(head, packet);
        this.#nextPreparePart(head);
        return out;
      }
      default:
        return this.#serverViolation('unexpected prepare state');
    }
  }

  /** After the OK or a finished block of definitions: parameters, then columns, then done. */
  #nextPreparePart(head: PrepareExpectation): void {
    if (head.paramsLeft > 0) head.phase = Phase.Params;
    else if (head.columnsLeft > 0) head.phase = Phase.Columns;
    else head.complete = true;
  }

  /** Whether a 0xfe packet in the rows ends the result set (rather than being a row whose first value is huge). */
  #isTerminator(payload: Buffer): boolean {
    return this.#options.serverDeprecateEof ? payload.length < 0xffffff : payload.length < 9;
  }

  /** Whether a packet the swallowed rest of a response ends it (its last terminator or an ERR). */
  #endsResponse(head: ResultExpectation, packet: Packet): boolean {
    const payload = packet.payload;
    if (payload[0] === Header.Err) return true;
    if (payload[0] === Header.Ok && head.phase === Phase.First) return !((decodeOk(payload)?.status ?? 0) & Status.MORE_RESULTS_EXISTS);
    if (payload[0] === Header.Eof && this.#isTerminator(payload)) {
      const status = this.#options.serverDeprecateEof ? (decodeOk(payload)?.status ?? 0) : decodeEof(payload).status;
      head.phase = Phase.First;
      return !(status & Status.MORE_RESULTS_EXISTS);
    }
    return false;
  }

  /** The end of a result set in the client's dialect: EOF, or OK with the 0xfe header. */
  #terminator(head: Expectation, packet: Packet): Buffer {
    const { clientDeprecateEof, serverDeprecateEof } = this.#options;
    if (clientDeprecateEof === serverDeprecateEof) return this.#pass(head, packet);
    if (clientDeprecateEof) {
      const eof = decodeEof(packet.payload);
      return this.#packet(head, okPayload({ header: 0xfe, status: eof.status, warnings: eof.warnings }, this.#options.clientCapabilities));
    }
    const ok = decodeOk(packet.payload);
    return this.#packet(head, eofPayload({ warnings: ok?.warnings ?? 0, status: ok?.status ?? 0 }));
  }

  /** The packet as it is, with the sequence id the client expects. */
  #pass(head: Expectation, packet: Packet): Buffer {
    if (packet.sequence !== head.nextOut) renumber(packet.raw, head.nextOut);
    head.nextOut = (head.nextOut + packet.parts) & 0xff;
    return packet.raw;
  }

  /** A packet Sluice made, framed with the sequence id the client expects. */
  #packet(head: Expectation, payload: Buffer): Buffer {
    const framed = framePacket(payload, head.nextOut);
    head.nextOut = (head.nextOut + Math.floor(payload.length / 0xffffff) + 1) & 0xff;
    return framed;
  }

  #error(head: Expectation, packet: Packet): Buffer {
    const error = decodeErr(packet.payload);
    const tracked = 'tracked' in head ? head.tracked : undefined;
    if (tracked && error) tracked.error = { code: String(error.code), message: error.message };
    if (!error || !this.#runtime.wantsMessages) return this.#pass(head, packet);
    const text = this.#runtime.message({
      kind: 'error',
      code: String(error.code),
      text: { message: error.message },
      ...(tracked ? { query: tracked.query } : {}),
    });
    if (!text) return this.#pass(head, packet);
    // The summary (and so the audit trail) holds what the client was shown, not the clear value.
    if (tracked) tracked.error = { code: String(error.code), message: text.message };
    return this.#packet(head, errPayload({ ...error, message: text.message }));
  }

  #startResultSet(head: ResultExpectation, counted: boolean): void {
    if (counted) head.tracked.resultIndex++;
    head.filter = undefined;
    if (!this.#runtime.wantsRows) return;
    const filter = this.#runtime.resultSet(head.tracked.query, { index: Math.max(0, head.tracked.resultIndex), columns: head.columns });
    if (filter) head.filter = { apply: filter.apply, wanted: filter.columns === 'all' ? 'all' : new Set(filter.columns) };
  }

  #filterRow(head: ResultExpectation, packet: Packet): Buffer | null {
    const filter = head.filter!;
    const payload = packet.payload;
    const ranges = head.binary ? binaryRowRanges(payload, head.columns) : textRowRanges(payload, head.columnCount);
    if (!ranges) {
      head.rowFailure = 'sluice: malformed row from the database server';
      return null;
    }
    const values: (string | null | undefined)[] = new Array(ranges.length);
    for (let i = 0; i < ranges.length; i++) {
      if (filter.wanted !== 'all' && !filter.wanted.has(i)) continue;
      const range: ValueRange = ranges[i]!;
      if (range.start === -1) values[i] = null;
      else if (head.binary) values[i] = binaryValueText(payload, range, head.columns[i]!);
      else values[i] = payload.toString(stringEncoding(head.columns[i]), range.start, range.start + range.length);
    }
    let patch;
    try {
      patch = filter.apply({ values });
    } catch (error) {
      this.#host.log.error({ error: (error as Error).message }, 'row hook failed: the rest of the result is withheld');
      head.rowFailure = `sluice: ${(error as Error).message}`;
      return null;
    }
    // A value handed back as it was keeps its original bytes.
    const changes = patch?.map((value, i) => (value === values[i] ? undefined : value));
    if (!changes || changes.every((value) => value === undefined)) return this.#pass(head, packet);
    const encoded = head.binary ? encodeBinaryRow(payload, ranges, head.columns, changes) : encodeTextRow(payload, ranges, changes, head.columns);
    return this.#packet(head, encoded);
  }

  #noteStatus(status: number | undefined): void {
    if (status !== undefined) this.#status = status;
  }

  #report(tracked: Tracked): void {
    if (tracked.finished) return;
    tracked.finished = true;
    this.#runtime.result(tracked.query, resultSummary(tracked, performance.now()));
  }

  #write(bytes: Buffer): void {
    writeWithBackpressure(this.#client, this.#upstream, bytes);
  }

  async #drained(): Promise<void> {
    await writesFlushed(this.#upstream);
  }

  #violation(message: string): false {
    this.#host.fail({ ...ErrorCode.malformed, message: `sluice: ${message}` }, 'error', `protocol violation: ${message}`, this.pendingSequence ?? 0);
    return false;
  }

  #serverViolation(detail: string): null {
    this.#host.fail({ ...ErrorCode.malformed, message: `sluice: ${detail}` }, 'error', detail, this.pendingSequence);
    return null;
  }
}

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value >>> 0);
  return out;
}

function newResult(tracked: Tracked, binary: boolean, nextOut: number, statement?: PreparedStatement): ResultExpectation {
  return { kind: 'result', tracked, binary, phase: Phase.First, columnsLeft: 0, columnCount: 0, columns: [], statement, nextOut };
}

function track(query: QueryEvent, decision: ResultSummary['decision'], startedAt = performance.now()): Tracked {
  return { query, startedAt, decision, rows: 0, bytes: 0, resultIndex: -1 };
}

function denial(verdict: Extract<Verdict, { action: 'deny' }>): ResultSummary['decision'] {
  return { action: 'deny', reason: verdict.reason, plugin: verdict.plugin, ...(verdict.rule === undefined ? {} : { rule: verdict.rule }) };
}

function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** A column definition starts with the catalog "def" (lenenc 3): never 0xfe. */
function isColumnDefinition(payload: Buffer): boolean {
  return payload[0] === 0x03 && payload.toString('latin1', 1, 4) === 'def';
}

/**
 * One QueryEvent per statement of a multi-statement string, when a registered parser knows where
 * each statement starts and ends; the whole string as one event otherwise.
 */
function splitStatements(whole: QueryEvent, make: (sql: string) => QueryEvent): QueryEvent[] {
  const statements = whole.analysis()?.statements ?? [];
  if (statements.length <= 1 || statements.some((statement) => statement.location === undefined)) return [whole];
  return statements.map((statement) => make(whole.sql.slice(statement.location!.start, statement.location!.end).trim()));
}
