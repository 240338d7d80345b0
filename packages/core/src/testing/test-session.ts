// A synthetic client session: onConnect, statements through the real pipeline, messages, onDisconnect.
import type { SessionRuntime } from '../lifecycle/session-runtime.js';
import type { Verdict } from '../pipeline.js';
import type { DisconnectInfo, MessageText, QueryEvent, Session } from '../plugin.js';
import type { ClientError, DialectProfile } from './dialects.js';
import type { ResultSetInput, ResultSetOutcome } from './result-sets.js';
import { deliverMessage, TestStatement, type HeldStatement, type ServerMessageInput, type StatementEnd } from './test-statement.js';

export interface QueryInput {
  /** Bound parameters, as the extended protocol or a prepared statement sends them. */
  readonly params?: QueryEvent['params'];
  /** Which protocol path carries the statement; default `simple`. */
  readonly via?: QueryEvent['via'];
}

/** What `run()` did: the statement, each result set's outcome, and the summary onResult saw. */
export interface RunOutcome {
  readonly statement: TestStatement;
  readonly results: readonly ResultSetOutcome[];
  /** The rows the client receives from the first result set (empty when denied or without one). */
  readonly rows: (string | null)[][];
  readonly error?: ClientError;
  readonly summary: NonNullable<TestStatement['summary']>;
}

export class TestSession {
  /** The session as core holds it (each plugin sees a copy with its own `state`). */
  readonly session: Session;
  /** onConnect's verdict: a denied session never ran a statement, and its onDisconnect already ran. */
  readonly verdict: Verdict;
  /** What the client receives when onConnect denied the login. */
  readonly error?: ClientError;
  readonly #runtime: SessionRuntime;
  readonly #profile: DialectProfile;
  readonly #holds: HeldStatement[] = [];
  readonly #holdWaiters: ((held: HeldStatement) => void)[] = [];
  readonly #onClosed: () => void;
  #last: TestStatement | undefined;
  #closed = false;

  constructor(runtime: SessionRuntime, profile: DialectProfile, verdict: Verdict, onClosed: () => void) {
    this.#runtime = runtime;
    this.#profile = profile;
    this.session = runtime.session;
    this.verdict = verdict;
    this.#onClosed = onClosed;
    if (verdict.action === 'deny') {
      this.error = profile.deniedConnection(verdict);
      this.#closed = true;
    }
  }

  get connected(): boolean {
    return this.verdict.action === 'allow';
  }

  /** Statements onQuery has seen in this session (each part of a split multi-statement string counts). */
  get statements(): number {
    return this.#runtime.statements;
  }

  /** The latest statement, if any. */
  get last(): TestStatement | undefined {
    return this.#last;
  }

  /**
   * The client sends a statement: onQuery runs in every plugin (a hold waits for its approval). The
   * previous statement completes first, as the server finishes one before the next begins.
   */
  async query(sql: string, input: QueryInput = {}): Promise<TestStatement> {
    this.#assertOpen();
    this.#completeLast();
    const via = input.via ?? 'simple';
    const whole = this.#runtime.newQuery(sql, via, input.params);
    const parts = via === 'simple' && this.#profile.splitsSimpleQueries ? split(whole, (part) => this.#runtime.newQuery(part, via)) : [whole];
    let held: HeldStatement | undefined;
    const onHold = (approval: HeldStatement['approval'], plugin: string, query: QueryEvent) => {
      held = { id: approval.id, reason: approval.reason, ...(approval.rule === undefined ? {} : { rule: approval.rule }), plugin, approval, sql: query.sql };
      this.#held(held);
    };
    for (const part of parts) {
      const verdict = await this.#runtime.query(part, { onHold: (approval, plugin) => onHold(approval, plugin, part) });
      if (verdict.action === 'deny') {
        const statement = new TestStatement({
          runtime: this.#runtime,
          profile: this.#profile,
          sql,
          query: part,
          parts,
          reported: part,
          decided: { ...verdict, error: this.#profile.deniedStatement(verdict) },
          ...(held ? { held } : {}),
        });
        statement.reportSiblings();
        statement.complete();
        this.#last = statement;
        return statement;
      }
    }
    // An allowed multi-statement string is reported once, as the whole string (not judged itself: no annotations).
    const reported = parts.length === 1 ? parts[0]! : whole;
    this.#last = new TestStatement({
      runtime: this.#runtime,
      profile: this.#profile,
      sql,
      query: reported,
      parts,
      reported,
      decided: { action: 'allow' },
      ...(held ? { held } : {}),
    });
    return this.#last;
  }

  /** A result set for the latest statement (see `TestStatement.result`). */
  result(input: ResultSetInput): ResultSetOutcome {
    if (!this.#last) throw new Error('no statement has been sent in this session');
    return this.#last.result(input);
  }

  /**
   * One statement from start to end: onQuery, then each result set (onResultSet, onRow), then onResult.
   * Denied statements skip the results.
   */
  async run(sql: string, results: ResultSetInput | readonly ResultSetInput[] = [], end: StatementEnd & QueryInput = {}): Promise<RunOutcome> {
    const statement = await this.query(sql, end);
    const outcomes: ResultSetOutcome[] = [];
    if (statement.action === 'allow') {
      for (const input of Array.isArray(results) ? (results as readonly ResultSetInput[]) : [results as ResultSetInput]) outcomes.push(statement.result(input));
    }
    const summary = statement.summary ?? statement.complete(end);
    const error = statement.error ?? outcomes.find((outcome) => outcome.error)?.error;
    return { statement, results: outcomes, rows: outcomes[0]?.rows ?? [], ...(error ? { error } : {}), summary };
  }

  /**
   * A server error or notice: onMessage runs; returns the text the client receives. It belongs to the
   * latest statement while that one is still open, otherwise to none (a notice between statements).
   */
  message(input: ServerMessageInput): MessageText {
    this.#assertOpen();
    if (this.#last && !this.#last.completed) return this.#last.message(input);
    return deliverMessage(this.#runtime, input);
  }

  /** Resolves with the next statement a plugin holds for approval (or one already held and not yet taken). */
  held(): Promise<HeldStatement> {
    const pending = this.#holds.shift();
    if (pending) return Promise.resolve(pending);
    return new Promise((resolve) => this.#holdWaiters.push(resolve));
  }

  /** The session ends: the open statement completes, then onDisconnect runs in every plugin. */
  async close(reason: DisconnectInfo['reason'] = 'client', error?: string): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#completeLast();
    await this.#runtime.end(error === undefined ? { reason } : { reason, error });
    this.#onClosed();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #completeLast(): void {
    if (this.#last && !this.#last.completed) this.#last.complete();
  }

  #held(held: HeldStatement): void {
    const waiter = this.#holdWaiters.shift();
    if (waiter) waiter(held);
    else this.#holds.push(held);
  }

  #assertOpen(): void {
    if (this.verdict.action === 'deny') throw new Error(`the session was refused at connect (${this.verdict.reason}): it cannot send anything`);
    if (this.#closed) throw new Error('the session is closed');
  }
}

/** One event per statement when the parser knows where each starts and ends, as @sluice/driver-postgres and @sluice/driver-mysql judge them. */
function split(whole: QueryEvent, make: (sql: string) => QueryEvent): QueryEvent[] {
  const statements = whole.analysis()?.statements ?? [];
  if (statements.length <= 1 || statements.some((statement) => statement.location === undefined)) return [whole];
  return statements.map((statement) => make(whole.sql.slice(statement.location!.start, statement.location!.end).trim()));
}
