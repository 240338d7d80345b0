// The hook pipeline: runs the plugins' hooks in config order, one runner per kind of hook.
import { describe, ErrorCodes, pluginHookError, SluiceError } from './errors.js';
import { SqlParsers } from './sql-analysis.js';
import type {
  ApprovalEvent,
  ApprovalRequest,
  Decision,
  DisconnectInfo,
  MessageText,
  QueryEvent,
  RefusedConnection,
  ResultSetInfo,
  ResultSummary,
  Row,
  RowInterest,
  RowPatch,
  ServerMessage,
  Session,
  SluicePlugin,
} from './plugin.js';

const HOOKS = new Set(['name', 'onConnect', 'onQuery', 'onResultSet', 'onRow', 'onMessage', 'onResult', 'onDisconnect', 'onRefused', 'onApproval', 'close']);

/** Final answer for a statement or a connection, with the plugin that gave it. */
export type Verdict =
  | { readonly action: 'allow' }
  | { readonly action: 'deny'; readonly reason: string; readonly rule?: string; readonly plugin: string };

const ALLOWED: Verdict = Object.freeze({ action: 'allow' });

type Awaitable<T> = T | PromiseLike<T>;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

export interface QueryOptions {
  /** Called when a plugin holds the statement, before waiting for the decision (drivers tell the client). */
  onHold?(approval: ApprovalRequest, plugin: string): void;
}

/** The rows a result set needs decoded and the function that runs onRow over them. */
export interface RowFilter {
  /** Sorted column positions to decode, or 'all'. */
  readonly columns: readonly number[] | 'all';
  /** Returns the patch to apply, or undefined when no plugin changed anything. Throws a SluiceError if a plugin fails. */
  apply(row: Row): RowPatch | undefined;
}

export interface PipelineLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Refuses a plugin that could not be run correctly, at registration rather than at the first statement. */
export function assertValidPlugin(plugin: unknown, source: string): asserts plugin is SluicePlugin {
  const fail = (why: string): never => {
    throw new SluiceError(ErrorCodes.PLUGIN_INVALID, `plugin from ${source} ${why}`);
  };
  if (plugin === null || typeof plugin !== 'object') fail('is not an object');
  const candidate = plugin as Record<string, unknown>;
  if (typeof candidate.name !== 'string' || candidate.name.length === 0) fail('has no name');
  for (const key of Object.keys(candidate)) {
    if (!HOOKS.has(key)) fail(`(${String(candidate.name)}) has an unknown hook "${key}"`);
    // An absent hook may be spelled `onRow: undefined` (a conditional hook).
    if (key !== 'name' && candidate[key] !== undefined && typeof candidate[key] !== 'function') {
      fail(`(${String(candidate.name)}) ${key} is not a function`);
    }
  }
  // onRow and onMessage are on the hot path: an async one would leak unmasked values while its promise is pending.
  // onResultSet answers before the first row: a promise is no answer.
  for (const hook of ['onResultSet', 'onRow', 'onMessage'] as const) {
    const fn = candidate[hook];
    if (typeof fn === 'function' && fn.constructor.name === 'AsyncFunction') fail(`(${String(candidate.name)}) ${hook} must be synchronous`);
  }
}

export class Pipeline {
  readonly plugins: readonly SluicePlugin[];
  /** The SQL parsers the plugins registered, behind every QueryEvent's analysis(). */
  readonly parsers: SqlParsers;
  readonly #log: PipelineLogger;
  readonly #wantsRows: boolean;
  readonly #messagePlugins: readonly SluicePlugin[];
  readonly #queryPlugins: readonly SluicePlugin[];

  constructor(plugins: readonly SluicePlugin[], log: PipelineLogger, parsers = new SqlParsers()) {
    const names = new Set<string>();
    for (const plugin of plugins) {
      assertValidPlugin(plugin, 'config');
      if (names.has(plugin.name)) {
        throw new SluiceError(ErrorCodes.PLUGIN_INVALID, `two plugins are named ${plugin.name}`);
      }
      names.add(plugin.name);
    }
    this.plugins = plugins;
    this.parsers = parsers;
    this.#log = log;
    this.#wantsRows = plugins.some((p) => p.onResultSet !== undefined);
    this.#messagePlugins = plugins.filter((p) => p.onMessage !== undefined);
    this.#queryPlugins = plugins.filter((p) => p.onQuery !== undefined);
  }

  /** True when some plugin may ask for rows; drivers skip result-set bookkeeping otherwise. */
  get wantsRows(): boolean {
    return this.#wantsRows;
  }

  /** onConnect: sequential; the first deny refuses the connection. A throwing plugin denies. */
  async connect(views: SessionViews): Promise<Verdict> {
    for (const plugin of this.plugins) {
      if (!plugin.onConnect) continue;
      let decision: Decision | undefined | void;
      try {
        decision = await plugin.onConnect(views.for(plugin));
      } catch (error) {
        return this.#failed(plugin, 'onConnect', error);
      }
      if (decision?.action === 'deny') return denied(decision, plugin);
      if (decision?.action === 'hold') {
        return { action: 'deny', reason: 'connections cannot be held for approval', plugin: plugin.name };
      }
    }
    return { action: 'allow' };
  }

  /**
   * onQuery: sequential; a deny stops the chain. A hold waits for its approval: approved, the
   * remaining plugins still run; refused, the statement is denied.
   */
  async query(views: SessionViews, query: QueryEvent, options: QueryOptions = {}): Promise<Verdict> {
    return this.judge(views, query, options);
  }

  /**
   * query() without a promise when none is needed: the Verdict itself while every onQuery hook
   * answers synchronously (the usual case), a Promise from the first hook that returns one, or
   * holds, onwards. Same order, same outcomes.
   */
  judge(views: SessionViews, query: QueryEvent, options: QueryOptions = {}): Verdict | Promise<Verdict> {
    const plugins = this.#queryPlugins;
    for (let index = 0; index < plugins.length; index++) {
      const plugin = plugins[index]!;
      let decision: Awaitable<Decision | undefined | void>;
      try {
        decision = plugin.onQuery!(views.for(plugin), query);
      } catch (error) {
        return this.#failed(plugin, 'onQuery', error);
      }
      if (isThenable(decision) || decision?.action === 'hold') return this.#judgeFrom(index, decision, views, query, options);
      if (decision?.action === 'deny') return denied(decision, plugin);
    }
    return ALLOWED;
  }

  /** The rest of judge() once plugin `index` answered with a promise or a hold. */
  async #judgeFrom(index: number, pending: Awaitable<Decision | undefined | void>, views: SessionViews, query: QueryEvent, options: QueryOptions): Promise<Verdict> {
    const plugins = this.#queryPlugins;
    for (let at = index; at < plugins.length; at++) {
      const plugin = plugins[at]!;
      let decision: Decision | undefined | void;
      try {
        decision = await (at === index ? pending : plugin.onQuery!(views.for(plugin), query));
        if (decision?.action === 'hold') decision = await this.#hold(views, query, decision.approval, plugin, options);
      } catch (error) {
        return this.#failed(plugin, 'onQuery', error);
      }
      if (decision?.action === 'deny') return denied(decision, plugin);
    }
    return ALLOWED;
  }

  /** Waits for a held statement's approval; every plugin observes the request and the decision. */
  async #hold(views: SessionViews, query: QueryEvent, approval: ApprovalRequest, holder: SluicePlugin, options: QueryOptions): Promise<Decision> {
    const base = { id: approval.id, plugin: holder.name, ...(approval.rule === undefined ? {} : { rule: approval.rule }) };
    options.onHold?.(approval, holder.name);
    this.#approvalEvent(views, query, { ...base, stage: 'requested', reason: approval.reason });
    const decision = await approval.wait();
    const reason = decision.action === 'deny' ? decision.reason : approval.reason;
    this.#approvalEvent(views, query, { ...base, stage: 'decided', reason, action: decision.action });
    return decision;
  }

  #approvalEvent(views: SessionViews, query: QueryEvent, event: ApprovalEvent): void {
    for (const plugin of this.plugins) {
      if (plugin.onApproval) void this.#observe(plugin, 'onApproval', () => plugin.onApproval!(views.for(plugin), query, event));
    }
  }

  /** onResultSet: asks every plugin whether it wants this result's rows; undefined when none does. */
  resultSet(views: SessionViews, query: QueryEvent, info: ResultSetInfo): RowFilter | undefined {
    if (!this.#wantsRows) return undefined;
    const interested: SluicePlugin[] = [];
    let all = false;
    const columns = new Set<number>();
    for (const plugin of this.plugins) {
      if (!plugin.onResultSet) continue;
      let interest;
      try {
        interest = plugin.onResultSet(views.for(plugin), query, info);
        if (interest) assertRowInterest(interest);
      } catch (error) {
        // Fail closed: a plugin that cannot say which values it must see (a masking plugin, say) gets none through.
        const wrapped = pluginHookError(plugin.name, 'onResultSet', error);
        this.#log.error({ plugin: plugin.name, hook: 'onResultSet', error: describe(error) }, wrapped.message);
        return { columns: [], apply: () => { throw wrapped; } };
      }
      if (!interest) continue;
      if (plugin.onRow) interested.push(plugin);
      if (interest.columns === 'all') all = true;
      else for (const column of interest.columns) columns.add(column);
    }
    if (interested.length === 0) return undefined;
    return {
      columns: all ? 'all' : [...columns].sort((a, b) => a - b),
      apply: (row) => applyRowHooks(interested, views, row, info),
    };
  }

  /** True when some plugin rewrites server messages; drivers decode errors and notices only then. */
  get wantsMessages(): boolean {
    return this.#messagePlugins.length > 0;
  }

  /**
   * onMessage: sync, chained; returns the rewritten text, or undefined when nothing changed. A
   * plugin that throws gets the message withheld (a generic text instead): it may have held data.
   */
  message(views: SessionViews, message: ServerMessage): MessageText | undefined {
    let text = message.text;
    let changed = false;
    for (const plugin of this.#messagePlugins) {
      let patch: Partial<MessageText> | undefined | void;
      try {
        patch = plugin.onMessage!(views.for(plugin), { ...message, text });
      } catch (error) {
        const wrapped = pluginHookError(plugin.name, 'onMessage', error);
        this.#log.error({ plugin: plugin.name, hook: 'onMessage', error: describe(error) }, wrapped.message);
        return { message: `sluice: the server's ${message.kind} was withheld because plugin ${plugin.name} failed` };
      }
      if (!patch) continue;
      text = { ...text, ...patch };
      changed = true;
    }
    return changed ? text : undefined;
  }

  /** onResult: observe only; errors are logged and never reach the client. */
  result(views: SessionViews, query: QueryEvent, summary: ResultSummary): void {
    for (const plugin of this.plugins) {
      if (plugin.onResult) this.#observe(plugin, 'onResult', () => plugin.onResult!(views.for(plugin), query, summary));
    }
  }

  /** onDisconnect: observe only; resolves when every plugin has seen it. */
  async disconnect(views: SessionViews, info: DisconnectInfo): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const plugin of this.plugins) {
      if (plugin.onDisconnect) {
        pending.push(this.#observe(plugin, 'onDisconnect', () => plugin.onDisconnect!(views.for(plugin), info)));
      }
    }
    await Promise.all(pending);
  }

  /** onRefused: observe only. */
  async refused(refused: RefusedConnection): Promise<void> {
    await Promise.all(
      this.plugins.filter((plugin) => plugin.onRefused).map((plugin) => this.#observe(plugin, 'onRefused', () => plugin.onRefused!(refused))),
    );
  }

  async close(): Promise<void> {
    for (const plugin of this.plugins) {
      if (plugin.close) await this.#observe(plugin, 'close', () => plugin.close!());
    }
  }

  #failed(plugin: SluicePlugin, hook: string, error: unknown): Verdict {
    const wrapped = pluginHookError(plugin.name, hook, error);
    this.#log.error({ err: wrapped, plugin: plugin.name, hook }, wrapped.message);
    return { action: 'deny', reason: `plugin ${plugin.name} failed`, plugin: plugin.name };
  }

  async #observe(plugin: SluicePlugin, hook: string, run: () => unknown): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.#log.warn({ plugin: plugin.name, hook, error: describe(error) }, `plugin ${plugin.name} failed in ${hook}`);
    }
  }
}

/** A malformed answer (a promise from a transpiled async hook, columns that are not positions) fails like a throw. */
function assertRowInterest(interest: RowInterest): void {
  const { columns } = interest as { columns?: unknown };
  if (typeof (interest as unknown as PromiseLike<unknown>).then === 'function') throw new Error('onResultSet returned a Promise; it must be synchronous');
  if (columns !== 'all' && !(Array.isArray(columns) && columns.every((column) => Number.isInteger(column) && column >= 0))) {
    throw new Error('onResultSet must return undefined or { columns: number[] | "all" }');
  }
}

function denied(decision: { reason: string; rule?: string }, plugin: SluicePlugin): Verdict {
  return decision.rule === undefined
    ? { action: 'deny', reason: decision.reason, plugin: plugin.name }
    : { action: 'deny', reason: decision.reason, rule: decision.rule, plugin: plugin.name };
}

function applyRowHooks(plugins: readonly SluicePlugin[], views: SessionViews, row: Row, info: ResultSetInfo) {
  let current = row;
  let changed: (string | null | undefined)[] | undefined;
  for (const plugin of plugins) {
    let patch: RowPatch | undefined | void;
    try {
      patch = plugin.onRow!(views.for(plugin), current, info);
    } catch (error) {
      throw pluginHookError(plugin.name, 'onRow', error);
    }
    if (!patch) continue;
    if (typeof (patch as unknown as PromiseLike<unknown>).then === 'function') {
      // An async onRow that slipped past registration (transpiled): its rows cannot wait for it.
      throw pluginHookError(plugin.name, 'onRow', new Error('onRow returned a Promise; it must be synchronous'));
    }
    let values: (string | null | undefined)[] | undefined;
    for (let i = 0; i < patch.length; i++) {
      const value = patch[i];
      if (value === undefined) continue;
      values ??= [...current.values];
      values[i] = value;
      changed ??= new Array<string | null | undefined>(row.values.length).fill(undefined);
      changed[i] = value;
    }
    if (values) current = { values };
  }
  return changed;
}

/** The per-plugin views of one session: same fields, each plugin its own `state`. */
export class SessionViews {
  readonly #base: Session;
  readonly #views = new Map<string, Session>();

  constructor(base: Session) {
    this.#base = base;
  }

  get session(): Session {
    return this.#base;
  }

  for(plugin: SluicePlugin): Session {
    let view = this.#views.get(plugin.name);
    if (!view) {
      view = { ...this.#base, state: {} };
      this.#views.set(plugin.name, view);
    }
    return view;
  }
}
