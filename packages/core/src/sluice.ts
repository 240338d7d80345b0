// The running proxy: listeners, drivers, the plugin pipeline and identity, with reload and shutdown.
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { AdminServer } from './admin/admin-server.js';
import { healthRoutes, sessionRoutes, type AdminTarget, type LiveSessionView } from './admin/core-routes.js';
import type { ListenerConfig, LoadedConfig, TlsFiles } from './config/index.js';
import { describe, ErrorCodes, SluiceError } from './errors.js';
import type { ConnectionContext, Driver, ListenerInfo, TerminationReason, UpstreamMapping } from './driver.js';
import { atTime } from './identity/expiry-timer.js';
import { OidcVerifier } from './identity/oidc-verifier.js';
import { StaticUserStore } from './identity/static-users.js';
import { tokenLoginFor } from './identity/token-login.js';
import { upstreamLoginFor } from './identity/upstream-mapping.js';
import { newId } from './ids.js';
import { Listener } from './lifecycle/listener.js';
import { SessionRuntime, type PipelineRef, type SessionObserver } from './lifecycle/session-runtime.js';
import type { Logger } from './logger.js';
import { refusalClass } from './metrics/refusal-class.js';
import { SluiceMetrics } from './metrics/sluice-metrics.js';
import { Pipeline } from './pipeline.js';
import type { AdminRoute, Identity, ReadinessCheck, Session } from './plugin.js';
import { loadPlugins } from './plugins/load.js';
import { pinnedRoleGuard } from './identity/pinned-role.js';
import { loadDriver } from './plugins/load-driver.js';

export interface SluiceOptions {
  readonly log: Logger;
  /** Reads the config again, for the admin API's reload; without it the API cannot reload. */
  readonly loadConfig?: () => Promise<LoadedConfig>;
  /** Drivers by dialect, instead of loading `@sluice/driver-<dialect>` (tests, embedding). */
  readonly drivers?: Readonly<Record<string, Driver>>;
}

/** Everything a reload replaces at once; sessions read it per call, so none is dropped. */
interface Generation {
  readonly loaded: LoadedConfig;
  readonly pipeline: Pipeline;
  readonly adminRoutes: readonly AdminRoute[];
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly users: StaticUserStore;
  /** Checks OIDC tokens when the config has identity.oidc. */
  readonly oidc: OidcVerifier | undefined;
  readonly listeners: ReadonlyMap<string, { readonly config: ListenerConfig; readonly info: ListenerInfo }>;
}

export interface LiveSession {
  readonly session: Session;
  readonly runtime: SessionRuntime;
  terminate(message: string): void;
}

export class Sluice implements PipelineRef {
  readonly log: Logger;
  readonly #listeners: Listener[] = [];
  #admin: AdminServer | undefined;
  #loadConfig: (() => Promise<LoadedConfig>) | undefined;
  readonly #sessions = new Map<string, LiveSession>();
  #generation: Generation;
  #stopping = false;
  readonly #metrics: SluiceMetrics;
  readonly #observer: SessionObserver;

  private constructor(generation: Generation, log: Logger, metrics: SluiceMetrics) {
    this.#generation = generation;
    this.log = log;
    this.#metrics = metrics;
    this.#observer = {
      began: (session) => metrics.sessionBegan(session.listener, session.identity.auth),
      ended: (session) => metrics.sessionEnded(session.listener),
      statement: (session, query, analysis, summary) => metrics.statement(session.listener, query, analysis, summary),
      upstreamConnectFailed: (session) => metrics.upstreamConnectFailed(session.listener),
      held: (session) => metrics.held(session.listener),
    };
  }

  static async create(loaded: LoadedConfig, options: SluiceOptions): Promise<Sluice> {
    const metrics = new SluiceMetrics();
    const generation = await buildGeneration(loaded, options.log, metrics);
    const sluice = new Sluice(generation, options.log, metrics);
    sluice.#loadConfig = options.loadConfig;
    try {
      for (const listener of loaded.config.listeners) {
        const driver = options.drivers?.[listener.dialect] ?? (await loadDriver(listener.dialect, loaded.dir));
        sluice.#listeners.push(sluice.#createListener(listener, driver));
      }
    } catch (error) {
      await generation.pipeline.close();
      throw error;
    }
    return sluice;
  }

  get current(): Pipeline {
    return this.#generation.pipeline;
  }

  get sessions(): ReadonlyMap<string, LiveSession> {
    return this.#sessions;
  }

  /** Address of the admin API, once started, when the config has `admin:`. */
  adminAddress(): AddressInfo | undefined {
    return this.#adminAddress;
  }

  #adminAddress: AddressInfo | undefined;

  /** Bound addresses of the listeners, once started. */
  addresses(): { name: string; host: string; port: number }[] {
    return this.#listeners.map((listener) => {
      const address = listener.address();
      return { name: listener.name, host: address.address, port: address.port };
    });
  }

  async start(): Promise<{ name: string; address: AddressInfo }[]> {
    const bound: { name: string; address: AddressInfo }[] = [];
    try {
      for (const listener of this.#listeners) {
        const address = await listener.listen();
        bound.push({ name: listener.name, address });
        this.log.info({ listener: listener.name, address: `${address.address}:${address.port}` }, 'listening');
      }
      await this.#startAdmin();
    } catch (error) {
      for (const listener of this.#listeners) listener.stopAccepting();
      throw error;
    }
    return bound;
  }

  async #startAdmin(): Promise<void> {
    const config = this.#generation.loaded.config.admin;
    if (!config) return;
    const target: AdminTarget = {
      sessions: () => [...this.#sessions.values()].map(sessionView),
      terminate: (id) => {
        const live = this.#sessions.get(id);
        live?.terminate('terminated by an administrator');
        return live !== undefined;
      },
      reload: async () => {
        if (!this.#loadConfig) throw new Error('this proxy was not started from a config file');
        await this.reload(await this.#loadConfig());
      },
      upstreams: () => this.#generation.loaded.config.listeners.map((l) => ({ listener: l.name, host: l.upstream.host, port: l.upstream.port })),
      readinessChecks: () => this.#generation.readinessChecks,
      metrics: () => this.#metrics.text(),
    };
    const tls = config.tls ? secureContextFrom(config.tls, 'admin') : undefined;
    const coreRoutes = sessionRoutes(target);
    this.#admin = new AdminServer({
      host: config.listen.host,
      port: config.listen.port,
      ...(tls === undefined ? {} : { tls }),
      log: this.log.child({ component: 'admin' }),
      health: healthRoutes(target),
      current: () => ({
        users: this.#generation.users,
        ...(this.#generation.oidc ? { verifyBearer: (token: string) => this.#generation.oidc!.verify(token) } : {}),
        adminGroups: this.#generation.loaded.config.admin?.groups ?? config.groups,
        routes: [...coreRoutes, ...this.#generation.adminRoutes],
      }),
    });
    this.#adminAddress = await this.#admin.listen();
    this.log.info({ address: `${this.#adminAddress.address}:${this.#adminAddress.port}` }, 'admin API listening');
  }

  /**
   * Swaps in a new config's plugins, identities and listener settings without dropping sessions.
   * A config that fails to load leaves the running one untouched. Listener addresses and dialects
   * only change with a restart.
   */
  async reload(loaded: LoadedConfig): Promise<void> {
    const old = this.#generation;
    const fixed = (l: ListenerConfig) => `${l.dialect} ${l.listen.host}:${l.listen.port}`;
    const before = new Map(old.loaded.config.listeners.map((l) => [l.name, fixed(l)]));
    const after = new Map(loaded.config.listeners.map((l) => [l.name, fixed(l)]));
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((name) => before.get(name) !== after.get(name));
    if (changed.length > 0) {
      throw new SluiceError(ErrorCodes.CONFIG_INVALID, `listeners ${changed.join(', ')} changed address or dialect; that needs a restart`);
    }
    this.#generation = await buildGeneration(loaded, this.log, this.#metrics);
    this.#metrics.plugins.retireOldGauges();
    this.log.info({ plugins: this.#generation.pipeline.plugins.map((p) => p.name) }, 'config reloaded');
    await old.pipeline.close();
  }

  /**
   * Stops accepting, lets sessions finish their current statement and transaction up to the
   * grace period, then terminates the rest.
   */
  async shutdown(graceMs: number): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const listener of this.#listeners) listener.stopAccepting();
    const open = () => this.#listeners.flatMap((listener) => [...listener.connections.values()]);
    for (const tracked of open()) tracked.connection.drain('the proxy is shutting down');
    await settleWithin(open().map((tracked) => tracked.connection.closed), graceMs);
    const left = open();
    if (left.length > 0) {
      this.log.warn({ sessions: left.length }, 'grace period over: terminating the remaining sessions');
      for (const tracked of left) tracked.connection.terminate('shutdown', 'the proxy is shutting down');
      await settleWithin(left.map((tracked) => tracked.connection.closed), 5_000);
    }
    await this.#admin?.close();
    await this.#generation.pipeline.close();
  }

  #createListener(config: ListenerConfig, driver: Driver): Listener {
    return new Listener({
      name: config.name,
      host: config.listen.host,
      port: config.listen.port,
      driver,
      newConnectionId: () => newId('s'),
      connectTimeoutMs: () => this.#timeouts(config.name).connect,
      contextFor: (socket, id, terminate) => this.#contextFor(config.name, socket, id, terminate),
      onError: (error, socket) => {
        this.log.error({ listener: config.name, client: socket.remoteAddress, error: describe(error) }, 'connection failed');
      },
    });
  }

  #contextFor(listenerName: string, socket: Socket, id: string, terminate: (reason: TerminationReason, message: string) => void): ConnectionContext {
    const generation = this.#generation;
    const listener = generation.listeners.get(listenerName)!;
    const client = { address: socket.remoteAddress ?? 'unknown', port: socket.remotePort ?? 0 };
    const log = this.log.child({ session: id, listener: listenerName, client: `${client.address}:${client.port}` });
    // Set when a token login succeeds: the moment that token stops being honoured.
    let tokenExpiresAt: Date | undefined;
    const oidc = generation.oidc
      ? tokenLoginFor(generation.oidc, client.address, (expiresAt) => {
          tokenExpiresAt = expiresAt;
        })
      : undefined;
    return {
      id,
      listener: listener.info,
      client,
      log,
      users: generation.users,
      ...(oidc === undefined ? {} : { oidc }),
      upstreamFor: (identity, database) => this.#upstreamFor(listenerName, identity, database),
      refused: (details) => {
        this.#metrics.refused(listenerName, refusalClass(details.reason));
        void this.#generation.pipeline.refused({
          listener: listenerName,
          dialect: listener.info.dialect,
          ...(listener.info.environment === undefined ? {} : { environment: listener.info.environment }),
          client: details.application === undefined ? { ...client } : { ...client, application: details.application },
          ...(details.user === undefined ? {} : { user: details.user }),
          ...(details.database === undefined ? {} : { database: details.database }),
          reason: details.reason,
          at: new Date(),
        });
      },
      begin: async (details) => {
        const session: Session = {
          id,
          identity: details.identity,
          client: details.application === undefined ? { ...client } : { ...client, application: details.application },
          listener: listenerName,
          dialect: listener.info.dialect,
          ...(listener.info.environment === undefined ? {} : { environment: listener.info.environment }),
          ...(details.database === undefined ? {} : { database: details.database }),
          ...(details.upstreamUser === undefined ? {} : { upstreamUser: details.upstreamUser }),
          startedAt: new Date(),
          state: {},
        };
        const idleMs = this.#timeouts(listenerName).idle;
        const runtime = new SessionRuntime(session, this, log, {
          ms: idleMs,
          onIdle: () => terminate('idle', `idle for more than ${Math.round(idleMs / 1000)}s`),
        }, this.#observer);
        const verdict = await runtime.connect();
        if (verdict.action === 'deny') {
          log.info({ user: details.identity.name, plugin: verdict.plugin, reason: verdict.reason }, 'connection denied');
          this.#metrics.refused(listenerName, 'denied');
          await runtime.end({ reason: 'denied', error: verdict.reason });
          return { ok: false, verdict };
        }
        this.#sessions.set(id, { session, runtime, terminate: (message) => terminate('terminated', message) });
        log.info({ user: details.identity.name, auth: details.identity.auth, database: details.database }, 'session started');
        void runtime.ended.then(() => this.#sessions.delete(id));
        if (details.identity.auth === 'oidc' && tokenExpiresAt && generation.oidc?.config.on_expiry === 'end_session') {
          const cancel = atTime(tokenExpiresAt, () => {
            log.info({ user: details.identity.name }, 'access token expired: ending the session');
            terminate('terminated', 'the access token expired');
          });
          void runtime.ended.then(cancel);
        }
        return { ok: true, session: runtime };
      },
    };
  }

  #upstreamFor(listenerName: string, identity: Identity, database: string | undefined): UpstreamMapping {
    const { upstream } = this.#generation.listeners.get(listenerName)!.config;
    const mapped = upstreamLoginFor(upstream, identity);
    if (!mapped.ok) return mapped;
    const { login } = mapped;
    const db = upstream.database ?? database;
    return {
      ok: true,
      target: {
        host: upstream.host,
        port: upstream.port,
        ...(login.user === undefined ? {} : { user: login.user }),
        ...(login.password === undefined ? {} : { password: login.password }),
        ...(login.role === undefined ? {} : { role: login.role }),
        ...(db === undefined ? {} : { database: db }),
        tls: upstream.tls,
        ...(upstream.ca === undefined ? {} : { ca: readFileSync(upstream.ca) }),
        connectTimeoutMs: this.#timeouts(listenerName).connect,
      },
    };
  }

  #timeouts(listenerName: string): { connect: number; idle: number } {
    const { config } = this.#generation.loaded;
    const own = this.#generation.listeners.get(listenerName)?.config.timeouts;
    return { connect: own?.connect ?? config.timeouts.connect, idle: own?.idle ?? config.timeouts.idle };
  }
}

async function buildGeneration(loaded: LoadedConfig, log: Logger, metrics: SluiceMetrics): Promise<Generation> {
  const listeners = new Map<string, { config: ListenerConfig; info: ListenerInfo }>();
  for (const config of loaded.config.listeners) {
    const tls = config.tls ? secureContext(config) : undefined;
    const info: ListenerInfo = {
      name: config.name,
      dialect: config.dialect,
      ...(config.environment === undefined ? {} : { environment: config.environment }),
      ...(tls === undefined ? {} : { tls }),
    };
    listeners.set(config.name, { config, info });
  }
  const { plugins, parsers, adminRoutes, readinessChecks } = await loadPlugins(loaded, log.child({ component: 'plugins' }), metrics.plugins.forGeneration());
  const roleGuard = await pinnedRoleGuard(loaded, parsers).catch(async (error: unknown) => {
    await Promise.all(plugins.map((plugin) => plugin.close?.()));
    throw error;
  });
  const pipeline = new Pipeline(roleGuard ? [roleGuard, ...plugins] : plugins, log, parsers);
  const users = new StaticUserStore(loaded.config.identity.users);
  const oidcConfig = loaded.config.identity.oidc;
  const oidc = oidcConfig ? new OidcVerifier(oidcConfig, log.child({ component: 'oidc' })) : undefined;
  void oidc?.warmUp();
  return { loaded, pipeline, adminRoutes, readinessChecks, users, oidc, listeners };
}

function secureContext(config: ListenerConfig): SecureContext {
  return secureContextFrom(config.tls!, `listener ${config.name}`);
}

function secureContextFrom(files: TlsFiles, owner: string): SecureContext {
  try {
    return createSecureContext({
      cert: readFileSync(files.cert),
      key: readFileSync(files.key),
      ...(files.ca === undefined ? {} : { ca: readFileSync(files.ca) }),
    });
  } catch (error) {
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, `${owner}: cannot load its TLS certificate or key: ${describe(error)}`);
  }
}

async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.allSettled(promises), deadline]);
  clearTimeout(timer);
}

function sessionView({ session, runtime }: LiveSession): LiveSessionView {
  const current = runtime.currentStatement;
  return {
    id: session.id,
    identity: { name: session.identity.name, groups: session.identity.groups, auth: session.identity.auth },
    client: session.client,
    listener: session.listener,
    ...(session.environment === undefined ? {} : { environment: session.environment }),
    ...(session.database === undefined ? {} : { database: session.database }),
    since: session.startedAt.toISOString(),
    statements: runtime.statements,
    ...(current === undefined ? {} : { current }),
  };
}
