// The hook contract: what a plugin author implements and what each hook receives.
//
//   onConnect ──▶ ( onQuery ──▶ [ onResultSet ──▶ onRow* ]* ──▶ onResult )* ──▶ onDisconnect
//
// Every hook is optional. Plugins run in config order.
import type { PluginMetrics } from './metrics/plugin-metrics.js';
import type { SqlAnalysis, SqlParser } from './sql-analysis.js';

/** How the person or service behind a connection proved who they are. */
export type AuthMethod = 'password' | 'oidc' | 'trust';

export interface Identity {
  /** Stable subject: the static user's name, or the token's `sub`. */
  readonly subject: string;
  readonly name: string;
  readonly email?: string;
  readonly groups: readonly string[];
  readonly auth: AuthMethod;
}

/** What a plugin can see about the connection a hook runs for. */
export interface Session {
  /** Unique for the process lifetime, e.g. `s-1a2b3c`. */
  readonly id: string;
  readonly identity: Identity;
  readonly client: { readonly address: string; readonly port: number; readonly application?: string };
  readonly listener: string;
  readonly dialect: string;
  readonly environment?: string;
  /** Database the client asked for. */
  readonly database?: string;
  /** Role the session uses on the server. */
  readonly upstreamUser?: string;
  readonly startedAt: Date;
  /**
   * Per-plugin scratch space: each plugin gets its own object, created empty at connect.
   * Store whatever the plugin needs between hooks of the same session.
   */
  readonly state: Record<string, unknown>;
}

/** One statement the client wants to run, in the form the server would receive it. */
export interface QueryEvent {
  readonly sql: string;
  /** Bound parameters, when the protocol sends them separately (text form, or raw bytes for binary). */
  readonly params?: readonly (string | Uint8Array | null)[];
  readonly dialect: string;
  /** Which protocol path carried the statement. */
  readonly via: 'simple' | 'prepare' | 'execute';
  /**
   * The parse of `sql`, computed on first call and cached by SQL text; undefined when no plugin
   * registered a parser for the dialect. Unparseable SQL gives an analysis with `error` set.
   */
  analysis(): SqlAnalysis | undefined;
  /** Findings plugins attach to this statement for the plugins after them (the audit plugin reads them). */
  readonly annotations: QueryAnnotations;
}

/** Per-statement findings shared between plugins. Plugins may add their own keys. */
export interface QueryAnnotations {
  /** Masked values by `table.column` (or column name when the table is unknown). */
  masked?: Record<string, { type: string; count: number }>;
  /** The approval that let a held statement run. */
  approval?: { id: string; approver: string; rule?: string };
  /** Rules in dry-run (`log`) mode that would have denied the statement. */
  wouldDeny?: { rule: string; reason: string }[];
  [key: string]: unknown;
}

export type Decision =
  | { readonly action: 'allow' }
  | { readonly action: 'deny'; readonly reason: string; readonly rule?: string }
  | { readonly action: 'hold'; readonly approval: ApprovalRequest };

/** A statement held until someone decides; `wait` resolves with the final allow or deny. */
export interface ApprovalRequest {
  readonly id: string;
  readonly rule?: string;
  readonly reason: string;
  wait(): Promise<Exclude<Decision, { action: 'hold' }>>;
}

export const allow = (): Decision => ({ action: 'allow' });
export const deny = (reason: string, rule?: string): Decision =>
  rule === undefined ? { action: 'deny', reason } : { action: 'deny', reason, rule };

export interface ColumnInfo {
  readonly name: string;
  /** Table the column comes from, when the server says so (`schema.table` or an id as text). */
  readonly table?: string;
  /** The server's type name or id, as text. */
  readonly type: string;
}

export interface ResultSetInfo {
  /** 0 for the first result set of a statement, 1 for the second… */
  readonly index: number;
  readonly columns: readonly ColumnInfo[];
}

/** What a plugin wants from a result set's rows. */
export interface RowInterest {
  /** Column positions whose values the plugin reads or replaces; 'all' for every column. */
  readonly columns: readonly number[] | 'all';
}

/**
 * A row as plugins see it: values decoded as text only for the columns some plugin asked for;
 * other positions are `undefined` and travel as the original bytes.
 */
export interface Row {
  readonly values: readonly (string | null | undefined)[];
}

/**
 * Replacement values for a row: same positions as `Row.values`; an `undefined` entry keeps
 * the current value. Returning `undefined` from onRow leaves the whole row unchanged.
 */
export type RowPatch = readonly (string | null | undefined)[];

/** An error or notice from the server on its way to the client: text a plugin may rewrite (mask). */
export interface ServerMessage {
  readonly kind: 'error' | 'notice';
  /** The statement it belongs to, if any (a notice may arrive between statements). */
  readonly query?: QueryEvent;
  /** SQLSTATE or the dialect's error number, as text; never rewritten. */
  readonly code?: string;
  readonly text: MessageText;
}

/** The human-readable parts of a server message. Absent parts were not sent. */
export interface MessageText {
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  /** PostgreSQL's context (`W`): where in a function the message arose. */
  readonly context?: string;
}

export interface ResultSummary {
  readonly rows: number;
  readonly affected?: number;
  /** Bytes of result data sent to the client for the statement. */
  readonly bytes: number;
  readonly durationMs: number;
  /**
   * Time the statement spent at the server, as the driver measured it, in milliseconds from the
   * moment it was written upstream to the first and to the last response byte. Absent when the
   * statement never went upstream (denied) or the driver does not measure it.
   */
  readonly upstream?: { readonly firstByteMs?: number; readonly lastByteMs: number };
  /** The server's or Sluice's error, if the statement failed. */
  readonly error?: { readonly code?: string; readonly message: string };
  /** The decision the pipeline took for the statement, and who took it. */
  readonly decision: {
    readonly action: 'allow' | 'deny';
    readonly rule?: string;
    readonly reason?: string;
    readonly plugin?: string;
  };
}

/**
 * A connection that never became a session: bad credentials, a malformed startup, an identity that
 * maps to no upstream login. (A login that onConnect denies did become a session: it ends in
 * onDisconnect with reason `denied`.)
 */
export interface RefusedConnection {
  readonly listener: string;
  readonly dialect: string;
  readonly environment?: string;
  readonly client: { readonly address: string; readonly port: number; readonly application?: string };
  /** The user name the client claimed, if it got that far. */
  readonly user?: string;
  readonly database?: string;
  readonly reason: string;
  readonly at: Date;
}

/** A hold on a statement, as every plugin observes it: when it is requested, and when it is decided. */
export interface ApprovalEvent {
  readonly id: string;
  readonly stage: 'requested' | 'decided';
  /** The plugin that held the statement. */
  readonly plugin: string;
  readonly rule?: string;
  /** requested: why the statement is held; decided: the reason of a deny. */
  readonly reason: string;
  /** decided: whether the statement goes on. */
  readonly action?: 'allow' | 'deny';
}

export interface DisconnectInfo {
  readonly reason: 'client' | 'server' | 'shutdown' | 'idle' | 'error' | 'terminated' | 'denied';
  readonly error?: string;
  readonly durationMs: number;
  readonly statements: number;
}

type Awaitable<T> = T | Promise<T>;

/**
 * A Sluice plugin. `name` is required; every hook is optional.
 *
 * | hook         | kind                         | returns                                               |
 * |--------------|------------------------------|-------------------------------------------------------|
 * | onConnect    | async, sequential, stop on deny | `undefined`/allow: go on; deny: refuse the connection |
 * | onQuery      | async, sequential, stop on deny/hold | `undefined`/allow: go on; deny or hold decides |
 * | onResultSet  | sync, every plugin           | `undefined`: no rows needed; `RowInterest`: decode those columns |
 * | onRow        | sync, sequential, chained    | `undefined`: unchanged; `RowPatch`: replaces values |
 * | onMessage    | sync, sequential, chained    | `undefined`: unchanged; `Partial<MessageText>`: replaces those parts |
 * | onResult     | sync or async, observe only  | ignored                                              |
 * | onDisconnect | sync or async, observe only  | ignored                                              |
 * | onRefused    | sync or async, observe only  | ignored (a connection that never became a session)   |
 * | onApproval   | sync or async, observe only  | ignored (a statement held, then decided)              |
 *
 * onRow is on the hot path and must be synchronous: registering an async onRow is an error.
 * A hook that throws denies the statement (or connection); it never takes the process down.
 */
export interface SluicePlugin {
  readonly name: string;
  onConnect?(session: Session): Awaitable<Decision | undefined | void>;
  onQuery?(session: Session, query: QueryEvent): Awaitable<Decision | undefined | void>;
  onResultSet?(session: Session, query: QueryEvent, resultSet: ResultSetInfo): RowInterest | undefined | void;
  onRow?(session: Session, row: Row, resultSet: ResultSetInfo): RowPatch | undefined | void;
  /** Errors and notices can echo data (`Key (email)=(…) already exists`): masked here like rows. */
  onMessage?(session: Session, message: ServerMessage): Partial<MessageText> | undefined | void;
  onResult?(session: Session, query: QueryEvent, summary: ResultSummary): Awaitable<void>;
  onDisconnect?(session: Session, info: DisconnectInfo): Awaitable<void>;
  onRefused?(refused: RefusedConnection): Awaitable<void>;
  /** A statement was held for approval (`requested`), and later how the hold ended (`decided`). */
  onApproval?(session: Session, query: QueryEvent, approval: ApprovalEvent): Awaitable<void>;
  /** Called once when the plugin is unloaded (reload or shutdown). */
  close?(): Awaitable<void>;
}

/** What a plugin module exports (as `default` or `createPlugin`): a factory for its options. */
export interface PluginFactory<Options = unknown> {
  (options: Options, context: PluginContext): Awaitable<SluicePlugin>;
  /**
   * Validates the `with:` block before the factory runs. Any Standard Schema validator works
   * (zod 4, valibot, arktype); issues are reported with the config file's line numbers.
   */
  optionsSchema?: StandardSchemaV1<unknown, Options>;
}

export interface PluginContext {
  /** Directory of the config file, for resolving relative paths in options. */
  readonly configDir: string;
  readonly log: PluginLogger;
  /** Offers a SQL parser for a dialect; every plugin's `query.analysis()` then uses it. */
  registerSqlParser(parser: SqlParser): void;
  /** Serves a route on the admin HTTP API (`admin.listen`); core authenticates the caller first. */
  registerAdminRoute(route: AdminRoute): void;
  /**
   * Adds a check to the admin API's `GET /readyz`: Sluice is ready only while every check passes.
   * `detail` is shown to anyone who can reach `/readyz`: no paths, addresses or secrets.
   */
  registerReadinessCheck?(check: ReadinessCheck): void;
  /**
   * Counters, gauges and histograms served at the admin API's `GET /metrics` (names start with
   * `sluice_`). Core always provides it and registerReadinessCheck; both are optional only so that
   * contexts built by hand in tests keep compiling.
   */
  readonly metrics?: PluginMetrics;
}

export interface ReadinessCheck {
  readonly name: string;
  check(): { readonly ok: boolean; readonly detail?: string } | Promise<{ readonly ok: boolean; readonly detail?: string }>;
}

/** A route a plugin adds to the admin HTTP API. */
export interface AdminRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path with `:name` parameters, e.g. `/api/approvals/:id/approve`. */
  readonly path: string;
  /**
   * Who may call it once authenticated: `admin` (an identity in `admin.groups`, the default) or
   * `authenticated` (any identity; the route decides, e.g. an approver's groups), or `public`
   * (no credentials asked: static pages only, never data).
   */
  readonly access?: 'admin' | 'authenticated' | 'public';
  handle(request: AdminRequest): AdminResponse | Promise<AdminResponse>;
}

export interface AdminRequest {
  /** The authenticated caller (an anonymous identity on a `public` route). */
  readonly identity: Identity;
  /** The caller is in `admin.groups` (core always sets it; absent counts as false). */
  readonly isAdmin?: boolean;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The JSON body, parsed; undefined when there is none. */
  readonly body: unknown;
}

export interface AdminResponse {
  readonly status: number;
  /** Sent as JSON; omitted for 204. With `contentType`, a string or bytes sent as they are. */
  readonly body?: unknown;
  /** e.g. `text/csv; charset=utf-8`: the body is then sent as is instead of as JSON. */
  readonly contentType?: string;
  /** Extra response headers, e.g. `content-disposition`. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface PluginLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The Standard Schema interface (https://standardschema.dev), inlined so core needs no dependency for it. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly StandardIssue[] };

export interface StandardIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}

/** Identity helper for plugin authors: gives a plugin object its type without a cast. */
export function definePlugin<Options>(factory: PluginFactory<Options>): PluginFactory<Options> {
  return factory;
}
