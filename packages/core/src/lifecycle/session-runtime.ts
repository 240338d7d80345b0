// Core's side of one authenticated session: the pipeline calls a driver makes, and the idle timer.
import type { Logger } from '../logger.js';
import type { DisconnectInfo, MessageText, QueryEvent, ResultSetInfo, ResultSummary, ServerMessage, Session } from '../plugin.js';
import { SessionViews, type Pipeline, type QueryOptions, type RowFilter, type Verdict } from '../pipeline.js';
import type { SqlAnalysis } from '../sql-analysis.js';

/** What a session reports for metrics; core's SluiceMetrics behind it. */
export interface SessionObserver {
  began(session: Session): void;
  ended(session: Session): void;
  /** `analysis`: the statement's parse if a plugin asked for it, else undefined (metrics never parse). */
  statement(session: Session, query: QueryEvent, analysis: SqlAnalysis | undefined, summary: ResultSummary): void;
  upstreamConnectFailed(session: Session): void;
  /** A plugin held a statement for approval. */
  held(session: Session): void;
}

/** A query's parse if something already computed it; never parses. */
const parsed = new WeakMap<QueryEvent, () => SqlAnalysis | undefined>();

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
  readonly #observer: SessionObserver | undefined;
  #began = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #statements = 0;
  #current: string | undefined;
  #ended = false;
  #lastOptions: QueryOptions | undefined;
  #lastObserved: QueryOptions | undefined;
  #resolveEnded!: () => void;
  /** Settles once onDisconnect has run. */
  readonly ended = new Promise<void>((resolve) => {
    this.#resolveEnded = resolve;
  });

  constructor(session: Session, pipeline: PipelineRef, log: Logger, idle: { ms: number; onIdle: () => void }, observer?: SessionObserver) {
    this.session = session;
    this.log = log;
    this.#views = new SessionViews(session);
    this.#pipeline = pipeline;
    this.#idleMs = idle.ms;
    this.#onIdle = idle.onIdle;
    this.#observer = observer;
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
    const query: QueryEvent = {
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
    parsed.set(query, () => analysis ?? undefined);
    return query;
  }

  /** onConnect for this session; an allowed session counts as begun. */
  async connect(): Promise<Verdict> {
    const verdict = await this.#pipeline.current.connect(this.#views);
    if (verdict.action === 'allow' && !this.#ended) {
      this.#began = true;
      this.#observer?.began(this.session);
    }
    return verdict;
  }

  /**
   * Drivers call this when the upstream login of this session failed (unreachable, TLS, refused
   * by the server), before ending the session: it counts `sluice_upstream_connect_errors_total`.
   */
  upstreamConnectFailed(): void {
    this.#observer?.upstreamConnectFailed(this.session);
  }

  async query(query: QueryEvent, options?: QueryOptions): Promise<Verdict> {
    return this.judge(query, options);
  }

  /**
   * query() without a promise when no plugin needs one: the Verdict itself when every onQuery hook
   * answered synchronously, else a Promise of it. Drivers on a hot path await only a Promise.
   */
  judge(query: QueryEvent, options?: QueryOptions): Verdict | Promise<Verdict> {
    this.busy();
    this.#statements++;
    this.#current = query.sql;
    return this.#pipeline.current.judge(this.#views, query, this.#observed(options));
  }

  /** The options with the observer told about holds; the driver's usual one object is wrapped once. */
  #observed(options: QueryOptions | undefined): QueryOptions | undefined {
    const observer = this.#observer;
    if (!observer) return options;
    if (options !== undefined && options === this.#lastOptions) return this.#lastObserved;
    const observed: QueryOptions = {
      ...options,
      onHold: (approval, plugin) => {
        observer.held(this.session);
        options?.onHold?.(approval, plugin);
      },
    };
    this.#lastOptions = options;
    this.#lastObserved = observed;
    return observed;
  }

  resultSet(query: QueryEvent, info: ResultSetInfo): RowFilter | undefined {
    return this.#pipeline.current.resultSet(this.#views, query, info);
  }

  result(query: QueryEvent, summary: ResultSummary): void {
    this.#current = undefined;
    this.#pipeline.current.result(this.#views, query, summary);
    // After the plugins, so masking's counts are in query.annotations.
    this.#observer?.statement(this.session, query, parsed.get(query)?.(), summary);
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
    if (this.#began) this.#observer?.ended(this.session);
    const durationMs = Date.now() - this.session.startedAt.getTime();
    try {
      await this.#pipeline.current.disconnect(this.#views, { ...info, durationMs, statements: this.#statements });
    } finally {
      this.#resolveEnded();
    }
  }
}
