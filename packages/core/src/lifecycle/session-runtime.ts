// Core's side of one authenticated session: the pipeline calls a driver makes, and the idle timer.
import type { Logger } from '../logger.js';
import type { DisconnectInfo, MessageText, QueryEvent, ResultSetInfo, ResultSummary, ServerMessage, Session } from '../plugin.js';
import { SessionViews, type Pipeline, type QueryOptions, type RowFilter, type Verdict } from '../pipeline.js';

/** Lets a reload swap the plugin set under running sessions: each call takes the current one. */
export interface PipelineRef {
  readonly current: Pipeline;
}

export class SessionRuntime {
  readonly session: Session;
  readonly log: Logger;
  readonly #views: SessionViews;
  readonly #pipeline: PipelineRef;
  readonly #idleMs: number;
  readonly #onIdle: () => void;
  #idleTimer: NodeJS.Timeout | undefined;
  #statements = 0;
  #current: string | undefined;
  #ended = false;
  #resolveEnded!: () => void;
  /** Settles once onDisconnect has run. */
  readonly ended = new Promise<void>((resolve) => {
    this.#resolveEnded = resolve;
  });

  constructor(session: Session, pipeline: PipelineRef, log: Logger, idle: { ms: number; onIdle: () => void }) {
    this.session = session;
    this.log = log;
    this.#views = new SessionViews(session);
    this.#pipeline = pipeline;
    this.#idleMs = idle.ms;
    this.#onIdle = idle.onIdle;
    this.idle();
  }

  get statements(): number {
    return this.#statements;
  }

  /** SQL of the statement in progress, if any. */
  get currentStatement(): string | undefined {
    return this.#current;
  }

  get wantsRows(): boolean {
    return this.#pipeline.current.wantsRows;
  }

  get wantsMessages(): boolean {
    return this.#pipeline.current.wantsMessages;
  }

  /** The message text after every onMessage hook; undefined when unchanged. */
  message(message: ServerMessage): MessageText | undefined {
    return this.#pipeline.current.message(this.#views, message);
  }

  /** A statement as plugins see it, with its lazily computed, cached parse. */
  newQuery(sql: string, via: QueryEvent['via'], params?: QueryEvent['params']): QueryEvent {
    const parsers = this.#pipeline.current.parsers;
    const dialect = this.session.dialect;
    let analysis: ReturnType<QueryEvent['analysis']> | null = null;
    return {
      sql,
      dialect,
      via,
      ...(params === undefined ? {} : { params }),
      annotations: {},
      analysis() {
        if (analysis === null) analysis = parsers.analyze(dialect, sql);
        return analysis;
      },
    };
  }

  /** onConnect for this session. */
  async connect(): Promise<Verdict> {
    return this.#pipeline.current.connect(this.#views);
  }

  async query(query: QueryEvent, options?: QueryOptions): Promise<Verdict> {
    this.busy();
    this.#statements++;
    this.#current = query.sql;
    return this.#pipeline.current.query(this.#views, query, options);
  }

  resultSet(query: QueryEvent, info: ResultSetInfo): RowFilter | undefined {
    return this.#pipeline.current.resultSet(this.#views, query, info);
  }

  result(query: QueryEvent, summary: ResultSummary): void {
    this.#current = undefined;
    this.#pipeline.current.result(this.#views, query, summary);
  }

  /** The session is waiting on the client: the idle timeout runs. */
  idle(): void {
    if (this.#idleMs <= 0 || this.#ended) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(this.#onIdle, this.#idleMs);
    this.#idleTimer.unref();
  }

  /** A statement is running: no idle timeout. */
  busy(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Runs onDisconnect once; later calls do nothing. */
  async end(info: Omit<DisconnectInfo, 'durationMs' | 'statements'>): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.busy();
    const durationMs = Date.now() - this.session.startedAt.getTime();
    try {
      await this.#pipeline.current.disconnect(this.#views, { ...info, durationMs, statements: this.#statements });
    } finally {
      this.#resolveEnded();
    }
  }
}
