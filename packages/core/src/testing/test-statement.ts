// One statement a test session sent: the pipeline's verdict, its result sets, its server messages, its summary.
import type { SessionRuntime } from '../lifecycle/session-runtime.js';
import type { ApprovalRequest, MessageText, QueryEvent, ResultSummary } from '../plugin.js';
import type { ClientError, DialectProfile } from './dialects.js';
import { runResultSet, type ResultSetInput, type ResultSetOutcome } from './result-sets.js';

/** A statement a plugin held for approval: the harness saw the hold before the decision came. */
export interface HeldStatement {
  readonly id: string;
  readonly reason: string;
  readonly rule?: string;
  /** The plugin that held it. */
  readonly plugin: string;
  readonly approval: ApprovalRequest;
  readonly sql: string;
}

/** An error or notice the server sends; `text` fields absent here were not sent. */
export interface ServerMessageInput {
  readonly kind?: 'error' | 'notice';
  readonly code?: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly context?: string;
}

/** How the server ended the statement. */
export interface StatementEnd {
  readonly affected?: number;
  /** The server's error for the statement (it is not passed through onMessage; use `message()` for that). */
  readonly error?: { readonly code?: string; readonly message: string };
  /** Result bytes sent to the client; by default the UTF-8 length of the values sent. */
  readonly bytes?: number;
}

export type Decided =
  | { readonly action: 'allow' }
  | { readonly action: 'deny'; readonly reason: string; readonly rule?: string; readonly plugin: string; readonly error: ClientError };

export class TestStatement {
  /** The SQL the client sent. */
  readonly sql: string;
  /** The event the plugins judged (for a denied multi-statement string, the part that was denied). */
  readonly query: QueryEvent;
  /** Every event the plugins judged: one per statement when the driver splits a multi-statement string. */
  readonly parts: readonly QueryEvent[];
  readonly action: 'allow' | 'deny';
  readonly reason?: string;
  readonly rule?: string;
  /** The plugin that denied it. */
  readonly plugin?: string;
  /** What the client receives in place of a denied statement. */
  readonly error?: ClientError;
  /** Set when a plugin held the statement before it was decided. */
  readonly held?: HeldStatement;
  readonly #runtime: SessionRuntime;
  readonly #profile: DialectProfile;
  /** The event onResult receives: for an allowed multi-statement string, one for the whole string. */
  readonly #reported: QueryEvent;
  readonly #startedAt = performance.now();
  #results = 0;
  #rows = 0;
  #bytes = 0;
  #error: { code?: string; message: string } | undefined;
  #summary: ResultSummary | undefined;

  constructor(init: {
    runtime: SessionRuntime;
    profile: DialectProfile;
    sql: string;
    query: QueryEvent;
    parts: readonly QueryEvent[];
    reported: QueryEvent;
    decided: Decided;
    held?: HeldStatement;
  }) {
    this.#runtime = init.runtime;
    this.#profile = init.profile;
    this.sql = init.sql;
    this.query = init.query;
    this.parts = init.parts;
    this.#reported = init.reported;
    this.action = init.decided.action;
    if (init.held) this.held = init.held;
    if (init.decided.action === 'deny') {
      const { reason, rule, plugin, error } = init.decided;
      this.reason = reason;
      if (rule !== undefined) this.rule = rule;
      this.plugin = plugin;
      this.error = error;
      this.#error = { code: error.code, message: error.message };
    }
  }

  /** The summary onResult received; undefined until the statement completed. */
  get summary(): ResultSummary | undefined {
    return this.#summary;
  }

  get completed(): boolean {
    return this.#summary !== undefined;
  }

  /**
   * The server answers with a result set: onResultSet runs once, then onRow for every row (only when
   * some plugin asked for this result's rows). Returns the rows as the client receives them.
   */
  result(input: ResultSetInput): ResultSetOutcome {
    if (this.action === 'deny') throw new Error(`the statement was denied (${this.reason}): the server never saw it, so it has no result set`);
    this.#assertOpen('result');
    const outcome = runResultSet(this.#runtime, this.#reported, this.#results++, input, this.#profile);
    this.#rows += outcome.serverRows;
    for (const row of outcome.rows) for (const value of row) if (value !== null) this.#bytes += Buffer.byteLength(value);
    if (outcome.error) this.#error ??= { code: outcome.error.code, message: outcome.error.message };
    return outcome;
  }

  /** The server sends an error or notice for this statement: onMessage runs; returns the text the client receives. */
  message(input: ServerMessageInput): MessageText {
    this.#assertOpen('message');
    const kind = input.kind ?? 'error';
    if (kind === 'error') this.#error ??= input.code === undefined ? { message: input.message } : { code: input.code, message: input.message };
    return deliverMessage(this.#runtime, input, this.#reported);
  }

  /** The statement ends: onResult runs with its summary, which is returned. Runs once. */
  complete(end: StatementEnd = {}): ResultSummary {
    if (this.#summary) throw new Error('the statement has already completed');
    if (end.error && this.action === 'allow') this.#error ??= end.error;
    this.#summary = this.#report(this.#reported, this.#decision(), end);
    return this.#summary;
  }

  /** Reports the other parts of a multi-statement string that was denied, as the driver does. */
  reportSiblings(): void {
    for (const part of this.parts) {
      if (part === this.query) continue;
      this.#runtime.result(part, {
        rows: 0,
        bytes: 0,
        durationMs: performance.now() - this.#startedAt,
        decision: { action: 'deny', reason: 'another statement in the same query string was denied' },
      });
    }
  }

  #decision(): ResultSummary['decision'] {
    if (this.action === 'allow') return { action: 'allow' };
    return { action: 'deny', reason: this.reason!, plugin: this.plugin!, ...(this.rule === undefined ? {} : { rule: this.rule }) };
  }

  #report(query: QueryEvent, decision: ResultSummary['decision'], end: StatementEnd): ResultSummary {
    const affected = end.affected;
    const summary: ResultSummary = {
      rows: this.#rows,
      ...(affected === undefined ? {} : { affected }),
      bytes: end.bytes ?? this.#bytes,
      durationMs: performance.now() - this.#startedAt,
      ...(this.#error === undefined ? {} : { error: this.#error }),
      decision,
    };
    this.#runtime.result(query, summary);
    return summary;
  }

  #assertOpen(what: string): void {
    if (this.#summary) throw new Error(`the statement has completed: no ${what} can follow`);
  }
}

/** onMessage over one server message; returns the text the client receives. */
export function deliverMessage(runtime: SessionRuntime, input: ServerMessageInput, query?: QueryEvent): MessageText {
  const text: MessageText = {
    message: input.message,
    ...(input.detail === undefined ? {} : { detail: input.detail }),
    ...(input.hint === undefined ? {} : { hint: input.hint }),
    ...(input.context === undefined ? {} : { context: input.context }),
  };
  if (!runtime.wantsMessages) return text;
  const rewritten = runtime.message({
    kind: input.kind ?? 'error',
    ...(query === undefined ? {} : { query }),
    ...(input.code === undefined ? {} : { code: input.code }),
    text,
  });
  return rewritten ?? text;
}
