// The driver contract: what core hands a dialect package for each accepted connection.
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Logger } from './logger.js';
import type { Identity } from './plugin.js';
import type { StaticUserStore } from './identity/static-users.js';
import type { SessionRuntime } from './lifecycle/session-runtime.js';
import type { Verdict } from './pipeline.js';

export type UpstreamTlsMode = 'disable' | 'prefer' | 'require' | 'verify-full';

/** Where and as whom a session logs in to the database server. */
export interface UpstreamTarget {
  readonly host: string;
  readonly port: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly tls: UpstreamTlsMode;
  /** CA bundle for verify-full; Node's bundled Mozilla roots when absent. */
  readonly ca?: Buffer;
  readonly connectTimeoutMs: number;
}

export interface ListenerInfo {
  readonly name: string;
  readonly dialect: string;
  readonly environment?: string;
  /** Present when the listener has `tls:`; the driver offers TLS to clients with it. */
  readonly tls?: SecureContext;
}

/** What the client told the driver about itself once it authenticated. */
export interface SessionDetails {
  readonly identity: Identity;
  readonly database?: string;
  readonly application?: string;
  readonly upstreamUser?: string;
}

export type BeginResult = { readonly ok: true; readonly session: SessionRuntime } | { readonly ok: false; readonly verdict: Verdict };

/** Core's side of one accepted connection, handed to the driver. */
export interface ConnectionContext {
  readonly id: string;
  readonly listener: ListenerInfo;
  readonly client: { readonly address: string; readonly port: number };
  readonly log: Logger;
  readonly users: StaticUserStore;
  /** The upstream login for an identity. */
  upstreamFor(identity: Identity, database?: string): UpstreamTarget;
  /** Runs onConnect and registers the session; a deny means the driver refuses the login. */
  begin(details: SessionDetails): Promise<BeginResult>;
  /** Reports a connection refused before it became a session (bad password, malformed startup). */
  refused(details: { user?: string; database?: string; application?: string; reason: string }): void;
}

export type TerminationReason = 'shutdown' | 'idle' | 'timeout' | 'terminated';

/** The driver's handle on a connection it took over. */
export interface DriverConnection {
  /** Settles once both sides are closed and onDisconnect has run. */
  readonly closed: Promise<void>;
  /** Ends the connection from Sluice's side, telling the client why in its own protocol. */
  terminate(reason: TerminationReason, message: string): void;
  /** Ends the connection the next time it is between statements and outside a transaction. */
  drain(message: string): void;
}

export interface Driver {
  readonly dialect: string;
  accept(socket: Socket, context: ConnectionContext): DriverConnection;
}

/** What a driver package exports. */
export interface DriverModule {
  createDriver(): Driver;
}
