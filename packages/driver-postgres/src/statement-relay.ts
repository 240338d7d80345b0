// The statement path of an authenticated session: client messages through the pipeline to the server, server messages back through the row hooks.
//
// Every message sent upstream is matched with the responses it will produce (an Expectation), in
// order. A statement a plugin denies is never sent: in its place Sluice sends a message that fails
// harmlessly, so the server aborts the batch or transaction exactly as it would for a real error,
// and its error message is swapped for Sluice's. Clients and server stay in step that way.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { resultSummary, writeWithBackpressure, writesFlushed, type Logger, type QueryEvent, type QueryOptions, type ResultSummary, type SessionRuntime, type Verdict } from '@sluice/core';
import { binaryAsText, decodeBinaryText, encodeBinaryText } from './binary-text.js';
import { decodeBind, decodeExecute, decodeParse, decodeQuery, decodeTarget, type BindMessage } from './client-messages.js';
import { ClientCode, ServerCode, SqlState } from './codes.js';
import { isFramingError, MessageFramer, type Frame } from './framing.js';
import type { Catalog } from './table-names.js';
import { CopyOutFilter, copyOutColumns } from './copy-out.js';
import { parseCopyOut, type CopyOut } from './copy-statement.js';
import { affectedRows, dataRowRanges, decodeErrorFields, decodeRowDescription, encodeDataRow, type ColumnDescription } from './results.js';
import { decodeFunctionCall, functionCallSql } from './function-call.js';
import { decodeFields, encodeFields, messageFor } from './message-fields.js';
import { errorResponse, noticeResponse, type ErrorFields } from './server-messages.js';
import type { SocketReader } from './socket-reader.js';
import { MessageWriter } from './writer.js';
import { MAX_MESSAGE } from './codes.js';

const TRANSACTION_IDLE = 0x49; // I
/** Bytes of client messages gathered before they are written even though more are ready (a fast COPY). */
const OUTBOX_LIMIT = 256 * 1024;

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
  /** Columns of the result being relayed, when a plugin asked for rows of it. */
  filter?: { apply: NonNullable<ReturnType<SessionRuntime['resultSet']>>['apply']; columns: readonly ColumnDescription[]; wanted: ReadonlySet<number> | 'all' };
  /** The COPY … TO STDOUT being relayed, when a plugin asked for its rows. */
  copy?: CopyOutFilter;
  /** Columns of the COPY … TO STDOUT about to start, described on the side connection (an Error when they could not be). */
  copyColumns?: readonly ColumnDescription[] | null | Error;
  /** A row hook failed: the remaining rows are withheld and the command ends with this error. */
  rowFailure?: string;
  finished?: boolean;
  /** performance.now() when the statement was written upstream, and when its first response message came. */
  sentAt?: number;
  firstByteAt?: number;
  /** performance.now() when its last response message came (or it was given up). */
  endedAt?: number;
}

interface PreparedStatement {
  readonly sql: string;
  /** Result columns once the server described them (null: the statement returns no rows). */
  description?: readonly ColumnDescription[] | null;
  /** The client asked the server to describe it: its description is on the way. */
  describing?: boolean;
}

interface Portal {
  readonly statement: PreparedStatement | undefined;
  readonly bind: BindMessage;
  description?: readonly ColumnDescription[] | null;
  describing?: boolean;
}

/** The responses one message sent upstream will produce. */
type Expectation =
  | { readonly kind: 'query'; readonly tracked: Tracked; readonly answer?: ErrorFields }
  | { readonly kind: 'parse'; readonly tracked: Tracked; readonly name: string; readonly previous: PreparedStatement | undefined }
  | { readonly kind: 'bind'; readonly name: string; readonly previous: Portal | undefined }
  | { readonly kind: 'describe'; readonly target: PreparedStatement | Portal | undefined; readonly hidden: boolean }
  | { readonly kind: 'execute'; readonly tracked: Tracked; readonly portal: Portal | undefined }
  | { readonly kind: 'close'; readonly type: 'S' | 'P'; readonly name: string; readonly previous: PreparedStatement | Portal | undefined }
  | { readonly kind: 'denied'; readonly tracked: Tracked; readonly answer: ErrorFields; readonly mode: 'simple' | 'extended' }
  | { readonly kind: 'sync' };

export interface RelayHost {
  readonly log: Logger;
  /** Ends the session with a FATAL error; `reason` is for onDisconnect. */
  fail(error: ErrorFields, reason: 'error' | 'server', detail: string): void;
  /** Called whenever the session has no statement in flight. */
  idle(): void;
  isOpen(): boolean;
  /** Where the names of result columns' tables are looked up; OIDs are shown without it. */
  readonly tableNames?: Catalog;
}

export class StatementRelay {
  readonly #client: Socket | TLSSocket;
  readonly #upstream: Socket | TLSSocket;
  readonly #reader: SocketReader;
  readonly #runtime: SessionRuntime;
  readonly #host: RelayHost;
  readonly #framer = new MessageFramer(MAX_MESSAGE);
  readonly #expected: Expectation[] = [];
  readonly #statements = new Map<string, PreparedStatement>();
  readonly #portals = new Map<string, Portal>();
  /** Messages for the server, written together when the client has nothing more ready (see #flush). */
  readonly #outbox: Buffer[] = [];
  #outboxBytes = 0;
  /** Statements in the outbox, stamped with the time the outbox is written (for the upstream-time metric). */
  readonly #unsent: Tracked[] = [];
  /** After a denied extended-protocol message, client messages are dropped until Sync, as the server does after an error. */
  #skipUntilSync = false;
  #transactionStatus: number;
  /** A RowDescription waiting for its tables' names; server messages are read again once they are known. */
  #heldForNames: Frame | undefined;
  #lookingUpNames = false;
  /** Set while server messages are relayed: statements that end meanwhile wait in #finished for the client's write. */
  #deferReports = false;
  #finished: Tracked[] = [];

  constructor(client: Socket | TLSSocket, upstream: Socket | TLSSocket, reader: SocketReader, runtime: SessionRuntime, host: RelayHost, transactionStatus: number) {
    this.#client = client;
    this.#upstream = upstream;
    this.#reader = reader;
    this.#runtime = runtime;
    this.#host = host;
    this.#transactionStatus = transactionStatus;
    upstream.on('data', (chunk: Buffer) => this.#fromServer(chunk));
  }

  /** Nothing in flight and outside a transaction: the session can be closed without losing work. */
  get quiescent(): boolean {
    return this.#expected.length === 0 && this.#transactionStatus === TRANSACTION_IDLE;
  }

  /** Feeds bytes the server sent before the relay took over. */
  fromServer(chunk: Buffer): void {
    this.#fromServer(chunk);
  }

  /** Client to server, until the client terminates or the session closes. */
  async run(): Promise<void> {
    const upstream = this.#upstream;
    for (;;) {
      // Messages already buffered are handled without a promise in between; a pipelined batch
      // (Bind, Execute, Sync…) leaves in one write, once the client has nothing more ready.
      let frame = this.#reader.tryMessage();
      if (frame === undefined) {
        this.#flush();
        frame = await this.#reader.message();
      }
      if (!this.#host.isOpen()) return;
      if (isFramingError(frame)) {
        this.#violation(frame.error);
        return;
      }
      if (frame.code === ClientCode.Terminate) {
        this.#flush();
        upstream.end(frame.raw);
        return;
      }
      if (this.#skipUntilSync && frame.code !== ClientCode.Sync) continue;
      const handled = this.#fromClient(frame);
      if (!(typeof handled === 'boolean' ? handled : await handled)) return;
      if (this.#outboxBytes > OUTBOX_LIMIT) this.#flush();
      if (upstream.writableLength > 1 << 20) await this.#drained();
    }
  }

  /** Handles one client message; false ends the session. A Promise only while a verdict is pending. */
  #fromClient(frame: Frame): boolean | Promise<boolean> {
    switch (frame.code) {
      case ClientCode.Query:
        return this.#simpleQuery(frame);
      case ClientCode.Parse:
        return this.#parse(frame);
      case ClientCode.Bind:
        return this.#bind(frame);
      case ClientCode.Describe:
        return this.#describe(frame);
      case ClientCode.Execute:
        return this.#execute(frame);
      case ClientCode.Close:
        return this.#close(frame);
      case ClientCode.Sync:
        this.#skipUntilSync = false;
        this.#send(frame.raw, { kind: 'sync' });
        return true;
      case ClientCode.Flush:
        this.#queue(frame.raw);
        this.#flush();
        return true;
      case ClientCode.CopyData:
      case ClientCode.CopyDone:
      case ClientCode.CopyFail:
        // Only meaningful after a COPY FROM STDIN the pipeline allowed; the server ignores them otherwise.
        this.#queue(frame.raw);
        return true;
      case ClientCode.FunctionCall:
        return this.#functionCall(frame);
      default:
        this.#violation(`invalid frontend message type ${frame.code}`);
        return false;
    }
  }

  #simpleQuery(frame: Frame): boolean | Promise<boolean> {
    const sql = decodeQuery(frame.body);
    if (sql === undefined) return this.#violation('invalid Query message');
    // A simple query replaces the unnamed statement and portal.
    this.#statements.delete('');
    this.#portals.delete('');
    const statements = splitStatements(this.#runtime.newQuery(sql, 'simple'), (part) => this.#runtime.newQuery(part, 'simple'));
    return this.#judgeStatements(frame, sql, statements, performance.now(), 0);
  }

  /** Judges the statements of a simple query from `from` on; every one is judged before any is sent, and one denial rejects the whole string. */
  #judgeStatements(frame: Frame, sql: string, statements: readonly QueryEvent[], startedAt: number, from: number): boolean | Promise<boolean> {
    for (let index = from; index < statements.length; index++) {
      const query = statements[index]!;
      const verdict = this.#judge(query);
      if (verdict instanceof Promise) {
        return verdict.then((settled) => {
          if (!this.#host.isOpen()) return false;
          if (settled.action === 'deny') return this.#denyStatements(statements, query, settled, startedAt);
          return this.#judgeStatements(frame, sql, statements, startedAt, index + 1);
        });
      }
      if (verdict.action === 'deny') return this.#denyStatements(statements, query, verdict, startedAt);
    }
    const tracked = this.#track(statements.length === 1 ? statements[0]! : this.#runtime.newQuery(sql, 'simple'), { action: 'allow' }, startedAt);
    this.#send(frame.raw, { kind: 'query', tracked });
    return true;
  }

  #denyStatements(statements: readonly QueryEvent[], query: QueryEvent, verdict: Extract<Verdict, { action: 'deny' }>, startedAt: number): true {
    for (const other of statements) {
      if (other !== query) this.#report(this.#track(other, { action: 'deny', reason: 'another statement in the same query string was denied' }, startedAt));
    }
    this.#deny(this.#track(query, denial(verdict), startedAt), 'simple', deniedError(verdict));
    return true;
  }

  /** Calls `then` with the statement's verdict: at once when it is ready, once it settles (if the session is still open) otherwise. */
  #withVerdict(query: QueryEvent, then: (verdict: Verdict) => boolean): boolean | Promise<boolean> {
    const verdict = this.#judge(query);
    if (!(verdict instanceof Promise)) return then(verdict);
    return verdict.then((settled) => (this.#host.isOpen() ? then(settled) : false));
  }

  /**
   * The fast-path call runs a function by OID. The large-object functions clients call this way are
   * judged as the equivalent SQL (`select pg_catalog.lo_open($1, $2)`); any other function is refused.
   */
  #functionCall(frame: Frame): boolean | Promise<boolean> {
    const call = decodeFunctionCall(frame.body);
    if (!call) return this.#violation('invalid FunctionCall message');
    if (call.name === undefined) {
      const reason = `the function call protocol is allowed only for large-object functions (function ${call.functionOid})`;
      const tracked = this.#track(this.#runtime.newQuery(`<function call ${call.functionOid}>`, 'simple'), { action: 'deny', reason });
      this.#deny(tracked, 'simple', { severity: 'ERROR', code: SqlState.insufficientPrivilege, message: `sluice: ${reason}` });
      return true;
    }
    const query = this.#runtime.newQuery(functionCallSql({ ...call, name: call.name }), 'execute', call.args);
    return this.#withVerdict(query, (verdict) => {
      if (verdict.action === 'deny') {
        this.#deny(this.#track(query, denial(verdict)), 'simple', deniedError(verdict));
        return true;
      }
      // Answered by FunctionCallResponse and ReadyForQuery, like a simple query.
      this.#send(frame.raw, { kind: 'query', tracked: this.#track(query, { action: 'allow' }) });
      return true;
    });
  }

  #parse(frame: Frame): boolean | Promise<boolean> {
    const parse = decodeParse(frame.body);
    if (!parse) return this.#violation('invalid Parse message');
    const query = this.#runtime.newQuery(parse.sql, 'prepare');
    return this.#withVerdict(query, (verdict) => {
      if (verdict.action === 'deny') {
        this.#deny(this.#track(query, denial(verdict)), 'extended', deniedError(verdict));
        return true;
      }
      const previous = this.#statements.get(parse.statement);
      this.#statements.set(parse.statement, { sql: parse.sql });
      this.#send(frame.raw, { kind: 'parse', tracked: this.#track(query, { action: 'allow' }), name: parse.statement, previous });
      return true;
    });
  }

  #bind(frame: Frame): boolean {
    const bind = decodeBind(frame.body);
    if (!bind) return this.#violation('invalid Bind message');
    const previous = this.#portals.get(bind.portal);
    this.#portals.set(bind.portal, { statement: this.#statements.get(bind.statement), bind });
    this.#send(frame.raw, { kind: 'bind', name: bind.portal, previous });
    return true;
  }

  #describe(frame: Frame): boolean {
    const target = decodeTarget(frame.body);
    if (!target) return this.#violation('invalid Describe message');
    const described = target.type === 'S' ? this.#statements.get(target.name) : this.#portals.get(target.name);
    if (described) described.describing = true;
    this.#send(frame.raw, { kind: 'describe', target: described, hidden: false });
    return true;
  }

  #execute(frame: Frame): boolean | Promise<boolean> {
    const execute = decodeExecute(frame.body);
    if (!execute) return this.#violation('invalid Execute message');
    const portal = this.#portals.get(execute.portal);
    const sql = portal?.statement?.sql ?? '';
    const query = this.#runtime.newQuery(sql, 'execute', portal?.bind.parameters ?? []);
    return this.#withVerdict(query, (verdict) => {
      if (verdict.action === 'deny') {
        this.#deny(this.#track(query, denial(verdict)), 'extended', deniedError(verdict));
        return true;
      }
      if (portal && this.#runtime.wantsRows && !hasDescription(portal)) {
        // Plugins need the columns to choose which values to read: ask the server, keep the answer to ourselves.
        portal.describing = true;
        this.#send(describePortal(execute.portal), { kind: 'describe', target: portal, hidden: true });
      }
      this.#send(frame.raw, { kind: 'execute', tracked: this.#track(query, { action: 'allow' }), portal });
      return true;
    });
  }

  #close(frame: Frame): boolean {
    const target = decodeTarget(frame.body);
    if (!target) return this.#violation('invalid Close message');
    const map: Map<string, PreparedStatement | Portal> = target.type === 'S' ? this.#statements : this.#portals;
    const previous = map.get(target.name);
    map.delete(target.name);
    this.#send(frame.raw, { kind: 'close', ...target, previous });
    return true;
  }

  /** The statement's verdict: the Verdict itself when every plugin answered at once, else a Promise of it. */
  #judge(query: QueryEvent): Verdict | Promise<Verdict> {
    const verdict = this.#runtime.judge(query, this.#holdOptions);
    if (!(verdict instanceof Promise)) return verdict;
    // Fast verdicts settle within microtasks and the batch keeps growing; a slow one (a held
    // statement, a plugin doing I/O) must not keep the messages before it from the server.
    let settled = false;
    const flushIfSlow = setImmediate(() => {
      if (!settled) this.#flush();
    });
    return verdict.finally(() => {
      settled = true;
      clearImmediate(flushIfSlow);
    });
  }

  /** Tells the client its statement is held, before the pipeline waits for the approval. */
  readonly #holdOptions: QueryOptions = {
    onHold: (approval) => {
      this.#client.write(
        noticeResponse({ severity: 'NOTICE', code: '00000', message: `sluice: statement held for approval ${approval.id}: ${approval.reason}` }),
      );
    },
  };

  /**
   * Sends, in place of a denied statement, a message the server refuses without side effects; its
   * error is replaced by `answer`. In the extended protocol the client's messages up to Sync are
   * then dropped, as the server drops them after an error.
   */
  #deny(tracked: Tracked, mode: 'simple' | 'extended', answer: ErrorFields): void {
    this.#host.log.info({ plugin: tracked.decision.plugin, rule: tracked.decision.rule }, 'statement denied');
    if (mode === 'simple') {
      this.#send(new MessageWriter(ClientCode.Query, 64).cstring(DENIED_PLACEHOLDER_SQL).finish(), { kind: 'denied', tracked, answer, mode });
    } else {
      this.#send(describeStatement(DENIED_PLACEHOLDER_STATEMENT), { kind: 'denied', tracked, answer, mode });
      this.#skipUntilSync = true;
    }
  }

  #send(message: Buffer, expectation: Expectation): void {
    this.#expected.push(expectation);
    if ('tracked' in expectation && expectation.kind !== 'denied') this.#unsent.push(expectation.tracked);
    this.#queue(message);
  }

  #queue(message: Buffer): void {
    this.#outbox.push(message);
    this.#outboxBytes += message.length;
  }

  /** Writes the outbox in one go; cork and uncork stay balanced in one tick, so nothing is stranded. */
  #flush(): void {
    const outbox = this.#outbox;
    if (outbox.length === 0) return;
    const upstream = this.#upstream;
    if (outbox.length === 1) {
      upstream.write(outbox[0]!);
    } else {
      upstream.cork();
      for (const message of outbox) upstream.write(message);
      upstream.uncork();
    }
    outbox.length = 0;
    this.#outboxBytes = 0;
    if (this.#unsent.length > 0) {
      const now = performance.now();
      for (const tracked of this.#unsent) tracked.sentAt ??= now;
      this.#unsent.length = 0;
    }
  }

  #track(query: QueryEvent, decision: ResultSummary['decision'], startedAt = performance.now()): Tracked {
    return { query, startedAt, decision, rows: 0, bytes: 0, resultIndex: -1 };
  }

  /**
   * Server to client: frames each chunk, forwards runs of untouched messages in one write, edits rows
   * only when a plugin asked. Statements that end here are reported (onResult: the audit record)
   * once the client has its bytes, so the response does not wait for them.
   */
  #fromServer(chunk?: Buffer): void {
    if (chunk) this.#framer.push(chunk);
    if (this.#lookingUpNames) return;
    const client = this.#client;
    client.cork();
    this.#deferReports = true;
    let drained = false;
    try {
      drained = this.#relayServerMessages();
    } finally {
      this.#deferReports = false;
      client.uncork();
      this.#reportFinished();
    }
    if (drained && this.#expected.length === 0) this.#host.idle();
  }

  /** The framing loop of #fromServer: true once it needs more bytes; false when it waits for table names or failed. */
  #relayServerMessages(): boolean {
    // A run of untouched messages that are contiguous in one chunk: written as one view of it.
    let runBuffer: ArrayBufferLike | undefined;
    let runStart = 0;
    let runEnd = 0;
    const flushRun = () => {
      if (runBuffer) this.#write(Buffer.from(runBuffer, runStart, runEnd - runStart));
      runBuffer = undefined;
    };
    for (;;) {
      const frame = this.#heldForNames ?? this.#framer.next();
      this.#heldForNames = undefined;
      if (frame === undefined) break;
      if (isFramingError(frame)) {
        flushRun();
        const detail = `malformed message from the database server: ${frame.error}`;
        this.#client.uncork();
        this.#host.fail({ severity: 'FATAL', code: SqlState.protocolViolation, message: `sluice: ${detail}` }, 'error', detail);
        return false;
      }
      if ((frame.code === ServerCode.RowDescription && this.#awaitTableNames(frame)) || (frame.code === ServerCode.CopyOutResponse && this.#awaitCopyColumns(frame))) {
        flushRun();
        return false;
      }
      const output = this.#serverMessage(frame);
      if (output === frame.raw) {
        const raw = frame.raw;
        if (runBuffer === raw.buffer && raw.byteOffset === runEnd) {
          runEnd += raw.length;
        } else {
          flushRun();
          runBuffer = raw.buffer;
          runStart = raw.byteOffset;
          runEnd = raw.byteOffset + raw.length;
        }
        continue;
      }
      flushRun();
      if (output) this.#write(output);
    }
    flushRun();
    return true;
  }

  #reportFinished(): void {
    const finished = this.#finished;
    if (finished.length === 0) return;
    // A report may end the session or start another pass (a plugin's hook): take the list first.
    this.#finished = [];
    for (const tracked of finished) this.#reportNow(tracked);
  }

  /**
   * Plugins that read rows see `schema.table`, not the table OIDs RowDescription carries. Names not
   * known yet are looked up first: reading from the server stops until they are (or the lookup failed).
   */
  #awaitTableNames(frame: Frame): boolean {
    const catalog = this.#host.tableNames;
    if (!catalog || !this.#runtime.wantsRows) return false;
    const missing = catalog.missing(decodeRowDescription(frame.body)?.map((column) => column.tableOid) ?? []);
    if (missing.length === 0) return false;
    this.#heldForNames = frame;
    this.#lookingUpNames = true;
    this.#upstream.pause();
    void catalog.lookup(missing).then((error) => {
      if (error) this.#host.log.warn({ error: error.message }, 'table names cannot be looked up: plugins see table OIDs for a while');
      this.#lookingUpNames = false;
      if (!this.#host.isOpen()) return;
      this.#upstream.resume();
      this.#fromServer();
    });
    return true;
  }

  /**
   * COPY … TO STDOUT names neither its columns nor their types: when plugins read rows, the COPY's
   * table and columns (or its query) are described on the side connection first, and their tables
   * named; reading from the server stops until then.
   */
  #awaitCopyColumns(frame: Frame): boolean {
    const head = this.#expected[0];
    const tracked = head && 'tracked' in head ? head.tracked : undefined;
    const catalog = this.#host.tableNames;
    if (!tracked || !catalog || !this.#runtime.wantsRows || tracked.copyColumns !== undefined) return false;
    const copy = parseCopyOut(tracked.query.sql);
    if (!copy) return false;
    this.#heldForNames = frame;
    this.#lookingUpNames = true;
    this.#upstream.pause();
    void (async () => {
      let columns = await catalog.describe(copy.describeSql);
      if (Array.isArray(columns)) {
        const missing = catalog.missing(columns.map((column) => column.tableOid));
        const error = missing.length > 0 ? await catalog.lookup(missing) : undefined;
        if (error) this.#host.log.warn({ error: error.message }, 'table names cannot be looked up: plugins see table OIDs for a while');
        columns = columns.map((column) => withTableName(column, catalog));
      } else if (columns instanceof Error) {
        this.#host.log.warn({ error: columns.message }, 'the columns of a COPY cannot be described: plugins see column1…n');
      }
      tracked.copyColumns = columns;
      this.#lookingUpNames = false;
      if (!this.#host.isOpen()) return;
      this.#upstream.resume();
      this.#fromServer();
    })();
    return true;
  }

  /** A COPY … TO STDOUT begins: its rows go through the row hooks when a plugin asks for them. */
  #startCopyOut(frame: Frame, tracked: Tracked | undefined): Buffer | null {
    const described = tracked?.copyColumns;
    if (tracked) tracked.copyColumns = undefined;
    if (!tracked || !this.#runtime.wantsRows) return frame.raw;
    tracked.resultIndex++;
    tracked.filter = undefined;
    tracked.copy = undefined;
    const statement: CopyOut | undefined = parseCopyOut(tracked.query.sql);
    const columns = copyOutColumns(frame.body, statement?.format, described instanceof Error ? undefined : described);
    if (!columns) {
      tracked.rowFailure = 'sluice: malformed CopyOutResponse from the database server';
      return null;
    }
    const filter = this.#runtime.resultSet(tracked.query, { index: tracked.resultIndex, columns });
    if (!filter) return frame.raw;
    if (!statement) {
      // Without the statement's options, text and CSV rows cannot be told apart: nothing leaves unread.
      tracked.rowFailure = 'sluice: plugins read the rows of this COPY, but Sluice cannot read its options: send COPY … TO STDOUT as a statement of its own';
      return frame.raw;
    }
    tracked.copy = new CopyOutFilter(statement.format, columns, filter.apply, filter.columns === 'all' ? 'all' : new Set(filter.columns));
    return frame.raw;
  }

  #copyData(frame: Frame, tracked: Tracked): Buffer | null {
    if (tracked.rowFailure !== undefined) return null;
    const copy = tracked.copy;
    if (!copy) return frame.raw;
    try {
      const data = copy.filter(frame.body);
      return data === frame.body ? frame.raw : new MessageWriter(ServerCode.CopyData, data.length + 5).bytes(data).finish();
    } catch (error) {
      this.#host.log.error({ error: (error as Error).message }, 'COPY data cannot go through the row hooks: the rest of it is withheld');
      tracked.rowFailure = `sluice: ${(error as Error).message}`;
      tracked.copy = undefined;
      return null;
    }
  }

  /** Bookkeeping for one server message; returns what to send the client in its place (null: nothing). */
  #serverMessage(frame: Frame): Buffer | null {
    const head = this.#expected[0];
    const tracked = head && 'tracked' in head ? head.tracked : undefined;
    if (tracked) {
      tracked.bytes += frame.raw.length;
      if (tracked.firstByteAt === undefined && tracked.sentAt !== undefined) tracked.firstByteAt = performance.now();
    }
    switch (frame.code) {
      case ServerCode.ParseComplete:
        if (head?.kind === 'parse') this.#complete(head);
        return frame.raw;
      case ServerCode.BindComplete:
      case ServerCode.CloseComplete:
        if (head?.kind === 'bind' || head?.kind === 'close') this.#expected.shift();
        return frame.raw;
      case ServerCode.ParameterDescription:
        return frame.raw;
      case ServerCode.RowDescription:
      case ServerCode.NoData:
        return this.#description(frame, head);
      case ServerCode.DataRow:
        if (!tracked) return frame.raw;
        if (head?.kind === 'execute' && tracked.resultIndex === -1) this.#startResultSet(tracked, portalColumns(head.portal));
        tracked.rows++;
        if (tracked.rowFailure !== undefined) return null;
        return tracked.filter ? this.#filterRow(tracked, frame) : frame.raw;
      case ServerCode.CopyOutResponse:
        return this.#startCopyOut(frame, tracked);
      case ServerCode.CopyData:
        return tracked ? this.#copyData(frame, tracked) : frame.raw;
      case ServerCode.CopyDone:
        if (tracked) tracked.copy = undefined;
        return frame.raw;
      case ServerCode.CommandComplete:
      case ServerCode.EmptyQueryResponse:
      case ServerCode.PortalSuspended:
        return this.#commandEnd(frame, head, tracked);
      case ServerCode.ErrorResponse:
        return this.#error(frame, head);
      case ServerCode.NoticeResponse:
        return this.#runtime.wantsMessages ? this.#rewriteMessage(frame, 'notice', tracked) : frame.raw;
      case ServerCode.ReadyForQuery:
        this.#transactionStatus = frame.body[0] ?? TRANSACTION_IDLE;
        while (this.#expected.length > 0) {
          const done = this.#expected.shift()!;
          if ('tracked' in done) this.#report(done.tracked);
          if (done.kind === 'sync' || done.kind === 'query' || (done.kind === 'denied' && done.mode === 'simple')) break;
        }
        return frame.raw;
      default:
        return frame.raw;
    }
  }

  #description(frame: Frame, head: Expectation | undefined): Buffer | null {
    // Columns matter only to plugins that read rows: without one, the message passes undecoded.
    if (!this.#runtime.wantsRows && !(head?.kind === 'describe' && head.hidden)) {
      if (head?.kind === 'describe') {
        this.#expected.shift();
        if (head.target) head.target.describing = false;
      } else if (head?.kind === 'query' && frame.code === ServerCode.RowDescription) {
        head.tracked.resultIndex++;
        head.tracked.filter = undefined;
      }
      return frame.raw;
    }
    const columns = frame.code === ServerCode.RowDescription ? decodeRowDescription(frame.body) : null;
    if (columns === undefined) {
      const detail = 'malformed RowDescription from the database server';
      this.#host.fail({ severity: 'FATAL', code: SqlState.protocolViolation, message: `sluice: ${detail}` }, 'error', detail);
      return null;
    }
    if (head?.kind === 'describe') {
      this.#expected.shift();
      if (head.target) {
        head.target.description = columns;
        head.target.describing = false;
      }
      return head.hidden ? null : frame.raw;
    }
    if (head?.kind === 'query' && frame.code === ServerCode.RowDescription) this.#startResultSet(head.tracked, columns ?? []);
    return frame.raw;
  }

  #commandEnd(frame: Frame, head: Expectation | undefined, tracked: Tracked | undefined): Buffer {
    let output = frame.raw;
    if (tracked) {
      if (frame.code === ServerCode.CommandComplete) {
        const affected = affectedRows(frame.body.toString('utf8', 0, Math.max(0, frame.body.length - 1)));
        if (affected !== undefined) tracked.affected = (tracked.affected ?? 0) + affected;
      }
      tracked.filter = undefined;
      tracked.copy = undefined;
      if (tracked.rowFailure !== undefined) {
        tracked.error = { code: SqlState.internalError, message: tracked.rowFailure };
        output = errorResponse({ severity: 'ERROR', code: SqlState.internalError, message: tracked.rowFailure });
        tracked.rowFailure = undefined;
      }
    }
    if (head?.kind === 'execute') this.#complete(head);
    return output;
  }

  #error(frame: Frame, head: Expectation | undefined): Buffer | null {
    if (!head) return frame.raw;
    let output: Buffer | null = frame.raw;
    if (head.kind === 'denied') {
      head.tracked.error = { code: head.answer.code, message: head.answer.message };
      output = errorResponse(head.answer);
    } else {
      const tracked = 'tracked' in head ? head.tracked : undefined;
      if (tracked) tracked.error = decodeErrorFields(frame.body);
      if (this.#runtime.wantsMessages) output = this.#rewriteMessage(frame, 'error', tracked);
    }
    // A simple query ends at ReadyForQuery; in the extended protocol the server skips everything
    // up to Sync after an error, and so do we.
    if (head.kind !== 'query' && !(head.kind === 'denied' && head.mode === 'simple')) this.#skipToSync(head);
    return output;
  }

  /**
   * Runs onMessage over an error or notice; a message that cannot be decoded is withheld rather than
   * sent unread. A statement's error in its summary becomes the text the client was shown.
   */
  #rewriteMessage(frame: Frame, kind: 'error' | 'notice', tracked: Tracked | undefined): Buffer | null {
    const fields = decodeFields(frame.body);
    if (!fields) {
      const message = `sluice: a malformed ${kind} from the database server was withheld`;
      if (kind === 'error' && tracked?.error) tracked.error = { code: SqlState.internalError, message };
      return kind === 'error' ? errorResponse({ severity: 'ERROR', code: SqlState.internalError, message }) : null;
    }
    const message = messageFor(kind, fields);
    const text = this.#runtime.message(tracked ? { ...message, query: tracked.query } : message);
    if (!text) return frame.raw;
    if (kind === 'error' && tracked?.error) tracked.error = { ...tracked.error, message: text.message };
    return encodeFields(frame.code, fields, text);
  }

  /** Drops the expectations the server will not answer after an extended-protocol error. */
  #skipToSync(failed: Expectation): void {
    while (this.#expected.length > 0 && this.#expected[0]!.kind !== 'sync') {
      const skipped = this.#expected.shift()!;
      this.#undo(skipped);
      if ('tracked' in skipped) {
        if (skipped !== failed) skipped.tracked.error ??= { message: 'not executed: an earlier message of the batch failed' };
        this.#report(skipped.tracked);
      }
    }
  }

  /** Restores the client view of statements and portals when the server refused the message that changed it. */
  #undo(expectation: Expectation): void {
    if (expectation.kind === 'parse') restore(this.#statements, expectation.name, expectation.previous);
    else if (expectation.kind === 'bind') restore(this.#portals, expectation.name, expectation.previous);
    else if (expectation.kind === 'close') {
      const map: Map<string, PreparedStatement | Portal> = expectation.type === 'S' ? this.#statements : this.#portals;
      restore(map, expectation.name, expectation.previous);
    }
  }

  /** Parse and Execute end: report the statement, and for Execute set up nothing more. */
  #complete(expectation: Extract<Expectation, { tracked: Tracked }>): void {
    this.#expected.shift();
    this.#report(expectation.tracked);
  }

  #startResultSet(tracked: Tracked, columns: readonly ColumnDescription[]): void {
    tracked.resultIndex++;
    tracked.filter = undefined;
    if (!this.#runtime.wantsRows) return;
    const catalog = this.#host.tableNames;
    const named = catalog ? columns.map((column) => withTableName(column, catalog)) : columns;
    const filter = this.#runtime.resultSet(tracked.query, { index: tracked.resultIndex, columns: named });
    if (filter) tracked.filter = { apply: filter.apply, columns: named, wanted: filter.columns === 'all' ? 'all' : new Set(filter.columns) };
  }

  #filterRow(tracked: Tracked, frame: Frame): Buffer | null {
    const filter = tracked.filter!;
    const ranges = dataRowRanges(frame.body);
    if (!ranges) {
      tracked.rowFailure = 'sluice: malformed row from the database server';
      return null;
    }
    const values: (string | null | undefined)[] = new Array(ranges.length);
    for (let i = 0; i < ranges.length; i++) {
      if (filter.wanted !== 'all' && !filter.wanted.has(i)) continue;
      const range = ranges[i]!;
      const column = filter.columns[i];
      if (range.start === -1) values[i] = null;
      else if (!column || column.format === 0) values[i] = frame.body.toString('utf8', range.start, range.start + range.length);
      else if (binaryAsText(column)) values[i] = decodeBinaryText(column, frame.body.subarray(range.start, range.start + range.length));
    }
    let patch;
    try {
      patch = filter.apply({ values });
    } catch (error) {
      this.#host.log.error({ error: (error as Error).message }, 'row hook failed: the rest of the result is withheld');
      tracked.rowFailure = `sluice: ${(error as Error).message}`;
      return null;
    }
    if (!patch) return frame.raw;
    try {
      const encoded = patch.map((value, i) => {
        const column = filter.columns[i];
        return typeof value === 'string' && column && column.format === 1 ? encodeBinaryText(column, value) : value;
      });
      return encodeDataRow(frame.body, ranges, encoded);
    } catch (error) {
      // A replacement that is no value of its column's type: the client must not get the original instead.
      this.#host.log.error({ error: (error as Error).message }, 'row replacement cannot be encoded: the rest of the result is withheld');
      tracked.rowFailure = `sluice: a plugin's replacement is not valid for its column: ${(error as Error).message}`;
      return null;
    }
  }

  #report(tracked: Tracked): void {
    if (tracked.finished) return;
    tracked.finished = true;
    tracked.endedAt = performance.now();
    if (this.#deferReports) this.#finished.push(tracked);
    else this.#reportNow(tracked);
  }

  #reportNow(tracked: Tracked): void {
    this.#runtime.result(tracked.query, resultSummary(tracked, tracked.endedAt!));
  }

  #write(bytes: Buffer): void {
    writeWithBackpressure(this.#client, this.#upstream, bytes);
  }

  async #drained(): Promise<void> {
    await writesFlushed(this.#upstream);
  }

  #violation(message: string): false {
    this.#host.fail({ severity: 'FATAL', code: SqlState.protocolViolation, message: `sluice: ${message}` }, 'error', `protocol violation: ${message}`);
    return false;
  }
}

/** A statement that fails with a syntax error and touches nothing: sent in place of a denied simple query. */
const DENIED_PLACEHOLDER_SQL = 'sluice denied this statement';
/** A prepared statement name no client can have created: describing it fails without side effects. */
const DENIED_PLACEHOLDER_STATEMENT = '\u0001sluice-denied';

function hasDescription(portal: Portal): boolean {
  return portal.description !== undefined || portal.describing === true || portal.statement?.description !== undefined || portal.statement?.describing === true;
}

/** The columns an Execute returns: the portal's own description, or its statement's with the Bind's result formats. */
function portalColumns(portal: Portal | undefined): readonly ColumnDescription[] {
  if (!portal) return [];
  if (portal.description !== undefined) return portal.description ?? [];
  return withFormats(portal.statement?.description ?? null, portal.bind.resultFormats) ?? [];
}

function describeStatement(name: string): Buffer {
  return new MessageWriter(ClientCode.Describe).byte(0x53).cstring(name).finish();
}

function describePortal(name: string): Buffer {
  return new MessageWriter(ClientCode.Describe).byte(0x50).cstring(name).finish();
}

function restore<T>(map: Map<string, T>, name: string, previous: T | undefined): void {
  if (previous === undefined) map.delete(name);
  else map.set(name, previous);
}

function withFormats(columns: readonly ColumnDescription[] | null, formats: readonly number[]): readonly ColumnDescription[] | null {
  if (columns === null) return null;
  return columns.map((column, i) => ({ ...column, format: formats.length === 0 ? 0 : formats.length === 1 ? formats[0]! : (formats[i] ?? 0) }));
}

function denial(verdict: Extract<Verdict, { action: 'deny' }>): ResultSummary['decision'] {
  return { action: 'deny', reason: verdict.reason, plugin: verdict.plugin, ...(verdict.rule === undefined ? {} : { rule: verdict.rule }) };
}

function deniedError(verdict: Extract<Verdict, { action: 'deny' }>): ErrorFields {
  return { severity: 'ERROR', code: SqlState.insufficientPrivilege, message: `sluice: ${verdict.rule ?? verdict.plugin}: ${verdict.reason}` };
}

/**
 * One QueryEvent per statement of a simple query, when a registered parser knows where each
 * statement starts and ends; the whole string as one event otherwise.
 */
function splitStatements(whole: QueryEvent, make: (sql: string) => QueryEvent): QueryEvent[] {
  const statements = whole.analysis()?.statements ?? [];
  if (statements.length <= 1 || statements.some((statement) => statement.location === undefined)) return [whole];
  return statements.map((statement) => make(whole.sql.slice(statement.location!.start, statement.location!.end).trim()));
}

function withTableName(column: ColumnDescription, catalog: Catalog): ColumnDescription {
  const name = column.tableOid === 0 ? undefined : catalog.name(column.tableOid);
  return name === undefined ? column : { ...column, table: name };
}
