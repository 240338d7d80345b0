// createPluginHarness: a plugin's hooks driven through the real Pipeline with synthetic sessions, statements and results.
import { Registry } from 'prom-client';
import { SessionRuntime } from '../lifecycle/session-runtime.js';
import { PluginMetricRegistry } from '../metrics/plugin-metrics.js';
import { Pipeline } from '../pipeline.js';
import type { AdminResponse, AdminRoute, PluginContext, ReadinessCheck, RefusedConnection, SluicePlugin } from '../plugin.js';
import { SqlParsers, type SqlAnalysis } from '../sql-analysis.js';
import { callAdminRoute, type AdminCall } from './admin-calls.js';
import { dialectProfile, type DialectProfile, type HarnessDialect } from './dialects.js';
import { identityOf, type IdentityInput } from './identities.js';
import { entriesOf, loadEntry, type PluginEntry, type PluginSource } from './plugin-specs.js';
import { recordingLogger, type RecordedLog } from './recorded-log.js';
import { parsersFor, type SqlParserSetting } from './sql-parsers.js';
import { TestSession } from './test-session.js';

export interface HarnessOptions {
  /** The dialect of the listener the sessions come through; default `postgres`. */
  readonly dialect?: HarnessDialect;
  /** `with:` options of a single plugin (validated by its optionsSchema). For a list, give `{ use, with }` entries. */
  readonly options?: unknown;
  /** Listener name sessions report; default `<dialect>-test`. */
  readonly listener?: string;
  /** Environment tag of the listener; default none. A session can override it at connect. */
  readonly environment?: string;
  /** Where relative paths in options resolve from (`context.configDir`) and named plugins load from; default the working directory. */
  readonly configDir?: string;
  /** Which SQL parsers back `query.analysis()`; default `auto` (@sluice/sql's when installed). */
  readonly sqlParsers?: SqlParserSetting;
  /** `admin.groups`: who may call routes with `access: 'admin'`; default `['sluice-admins']`. */
  readonly adminGroups?: readonly string[];
}

export interface ConnectInput extends IdentityInput {
  readonly database?: string;
  readonly application?: string;
  /** Client address; default 127.0.0.1. */
  readonly address?: string;
  readonly upstreamUser?: string;
  /** Overrides the harness's listener and environment for this session. */
  readonly listener?: string;
  readonly environment?: string;
}

export interface RefusedInput {
  readonly user?: string;
  readonly database?: string;
  readonly application?: string;
  readonly address?: string;
  readonly reason: string;
}

export interface PluginHarness {
  readonly dialect: HarnessDialect;
  /** The loaded plugins, in order. */
  readonly plugins: readonly SluicePlugin[];
  /** The real pipeline they run in. */
  readonly pipeline: Pipeline;
  /** What the pipeline and the plugins logged (`context.log`), redacted as in production. */
  readonly log: RecordedLog;
  /** Routes the plugins registered with `context.registerAdminRoute`. */
  readonly adminRoutes: readonly AdminRoute[];
  /** A client logs in: onConnect runs. A denied session comes back with `connected: false` and the client's error. */
  connect(who?: ConnectInput): Promise<TestSession>;
  /** A connection that never became a session: onRefused runs. */
  refused(input: RefusedInput): Promise<RefusedConnection>;
  /** Calls an admin route as the admin HTTP API would after authentication (404, 405, 403 included). */
  admin(method: AdminRoute['method'], path: string, call?: AdminCall): Promise<AdminResponse>;
  /** Runs the checks plugins registered with `context.registerReadinessCheck`, as `GET /readyz` does (a throw fails the check). */
  readiness(): Promise<{ name: string; ok: boolean; detail?: string }[]>;
  /** What `GET /metrics` would serve of the plugins' `context.metrics` (Prometheus text format). */
  metrics(): Promise<string>;
  /** The analysis `query.analysis()` gives for this SQL in the harness's dialect (undefined without a parser). */
  analyze(sql: string, dialect?: HarnessDialect): SqlAnalysis | undefined;
  /** Ends open sessions (`shutdown`), then calls every plugin's close(). */
  close(): Promise<void>;
}

/**
 * Loads plugins as `sluice start` does (options validated, factory run with a context, shape checked)
 * and drives them through the real Pipeline. Throws PluginOptionsError for options the schema refuses.
 *
 *   const h = await createPluginHarness(myPlugin, { dialect: 'postgres', options: { limit: 10 } });
 *   const s = await h.connect({ user: 'alice', groups: ['dba'] });
 *   expect((await s.query('DELETE FROM t')).action).toBe('deny');
 */
export async function createPluginHarness(
  plugins: PluginSource | PluginEntry | readonly (PluginSource | PluginEntry)[],
  options: HarnessOptions = {},
): Promise<PluginHarness> {
  const dialect = options.dialect ?? 'postgres';
  const profile = dialectProfile(dialect);
  const configDir = options.configDir ?? process.cwd();
  const { logger, log } = recordingLogger();
  const parsers = new SqlParsers();
  const adminRoutes: AdminRoute[] = [];
  const readinessChecks: ReadinessCheck[] = [];
  const registry = new Registry();
  const context: PluginContext = {
    configDir,
    log: logger.child({ component: 'plugins' }),
    registerSqlParser: (parser) => parsers.register(parser),
    registerAdminRoute: (route) => void adminRoutes.push(route),
    registerReadinessCheck: (check) => void readinessChecks.push(check),
    metrics: new PluginMetricRegistry(registry, () => false).forGeneration(),
  };
  const loaded: SluicePlugin[] = [];
  try {
    for (const entry of entriesOf(plugins, options.options)) loaded.push(await loadEntry(entry, context));
  } catch (error) {
    await Promise.all(loaded.map((plugin) => plugin.close?.()));
    throw error;
  }
  // After the plugins' own: the first registration for a dialect wins, as in config order.
  for (const parser of await parsersFor(options.sqlParsers ?? 'auto', configDir)) parsers.register(parser);
  const pipeline = new Pipeline(loaded, logger, parsers);
  return new Harness({ dialect, profile, pipeline, log, logger, adminRoutes, readinessChecks, registry, options });
}

let sessionCount = 0;
let clientPort = 50_000;

class Harness implements PluginHarness {
  readonly dialect: HarnessDialect;
  readonly pipeline: Pipeline;
  readonly log: RecordedLog;
  readonly adminRoutes: readonly AdminRoute[];
  readonly #profile: DialectProfile;
  readonly #logger: ReturnType<typeof recordingLogger>['logger'];
  readonly #options: HarnessOptions;
  readonly #readinessChecks: readonly ReadinessCheck[];
  readonly #registry: Registry;
  readonly #open = new Set<TestSession>();

  constructor(init: {
    dialect: HarnessDialect;
    profile: DialectProfile;
    pipeline: Pipeline;
    log: RecordedLog;
    logger: ReturnType<typeof recordingLogger>['logger'];
    adminRoutes: AdminRoute[];
    readinessChecks: ReadinessCheck[];
    registry: Registry;
    options: HarnessOptions;
  }) {
    this.#readinessChecks = init.readinessChecks;
    this.#registry = init.registry;
    this.dialect = init.dialect;
    this.#profile = init.profile;
    this.pipeline = init.pipeline;
    this.log = init.log;
    this.#logger = init.logger;
    this.adminRoutes = init.adminRoutes;
    this.#options = init.options;
  }

  get plugins(): readonly SluicePlugin[] {
    return this.pipeline.plugins;
  }

  async connect(who: ConnectInput = {}): Promise<TestSession> {
    const id = `s-test${(++sessionCount).toString(36)}`;
    const environment = who.environment ?? this.#options.environment;
    const application = who.application;
    const runtime = new SessionRuntime(
      {
        id,
        identity: identityOf(who),
        client: { address: who.address ?? '127.0.0.1', port: nextPort(), ...(application === undefined ? {} : { application }) },
        listener: who.listener ?? this.#listener(),
        dialect: this.dialect,
        ...(environment === undefined ? {} : { environment }),
        database: who.database ?? this.#profile.defaultDatabase,
        ...(who.upstreamUser === undefined ? {} : { upstreamUser: who.upstreamUser }),
        startedAt: new Date(),
        state: {},
      },
      { current: this.pipeline },
      this.#logger.child({ session: id }),
      { ms: 0, onIdle: () => undefined },
    );
    const verdict = await runtime.connect();
    if (verdict.action === 'deny') await runtime.end({ reason: 'denied', error: verdict.reason });
    const session = new TestSession(runtime, this.#profile, verdict, () => this.#open.delete(session));
    if (verdict.action === 'allow') this.#open.add(session);
    return session;
  }

  async refused(input: RefusedInput): Promise<RefusedConnection> {
    const environment = this.#options.environment;
    const refused: RefusedConnection = {
      listener: this.#listener(),
      dialect: this.dialect,
      ...(environment === undefined ? {} : { environment }),
      client: { address: input.address ?? '127.0.0.1', port: nextPort(), ...(input.application === undefined ? {} : { application: input.application }) },
      ...(input.user === undefined ? {} : { user: input.user }),
      ...(input.database === undefined ? {} : { database: input.database }),
      reason: input.reason,
      at: new Date(),
    };
    await this.pipeline.refused(refused);
    return refused;
  }

  admin(method: AdminRoute['method'], path: string, call: AdminCall = {}): Promise<AdminResponse> {
    return callAdminRoute(this.adminRoutes, this.#options.adminGroups ?? ['sluice-admins'], method, path, call);
  }

  readiness(): Promise<{ name: string; ok: boolean; detail?: string }[]> {
    return Promise.all(
      this.#readinessChecks.map(async (check) => {
        try {
          const result = await check.check();
          return { name: check.name, ok: result.ok, ...(result.detail === undefined ? {} : { detail: result.detail }) };
        } catch {
          return { name: check.name, ok: false, detail: 'the check failed' };
        }
      }),
    );
  }

  metrics(): Promise<string> {
    return this.#registry.metrics();
  }

  analyze(sql: string, dialect: HarnessDialect = this.dialect): SqlAnalysis | undefined {
    return this.pipeline.parsers.analyze(dialect, sql);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#open].map((session) => session.close('shutdown')));
    await this.pipeline.close();
  }

  #listener(): string {
    return this.#options.listener ?? `${this.dialect}-test`;
  }
}

function nextPort(): number {
  clientPort = clientPort >= 65_000 ? 50_000 : clientPort + 1;
  return clientPort;
}
