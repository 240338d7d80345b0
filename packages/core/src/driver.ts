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
  /**
   * A role to take right after login (upstream.set_role). PostgreSQL: sent as the `role` startup
   * parameter, so it is the session's default and RESET ROLE comes back to it.
   */
  readonly role?: string;
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

/** The upstream login an identity maps to, or why it maps to none (the driver then refuses the login). */
export type UpstreamMapping = { readonly ok: true; readonly target: UpstreamTarget } | { readonly ok: false; readonly reason: string };

/** A bearer token checked against identity.oidc; `reason` is for the log and never contains the token. */
export type TokenAuthentication =
  | { readonly ok: true; readonly identity: Identity; readonly expiresAt?: Date }
  | { readonly ok: false; readonly reason: string };

/**
 * Token (OIDC) login for one connection, dialect-neutral: the driver takes the token from its
 * protocol (a cleartext password, SASL OAUTHBEARER, a FEDAUTH token) and hands it here.
 */
export interface TokenLogin {
  readonly issuer: string;
  /** The issuer's OpenID discovery document URL (PostgreSQL's OAUTHBEARER error response names it). */
  readonly discoveryUrl: string;
  /** Space-separated scopes a client should ask the issuer for. */
  readonly scope: string;
  /** Offer SASL OAUTHBEARER to clients that are not static users, instead of asking for the token as a password. */
  readonly saslOAuthBearer: boolean;
  /**
   * Whether this connection may carry a token at all: always over TLS; in plaintext only from a
   * loopback address when identity.oidc.allow_plaintext_loopback says so. Ask before the client
   * sends the token, and refuse the login with the reason otherwise.
   */
  allowed(clientIsTls: boolean): { readonly ok: true } | { readonly ok: false; readonly reason: string };
  /** Verifies the token (signature, issuer, audience, expiry, not-before; or introspection). Never throws. */
  authenticate(token: string): Promise<TokenAuthentication>;
}

/** Core's side of one accepted connection, handed to the driver. */
export interface ConnectionContext {
  readonly id: string;
  readonly listener: ListenerInfo;
  readonly client: { readonly address: string; readonly port: number };
  readonly log: Logger;
  readonly users: StaticUserStore;
  /** Token login; absent when the config has no identity.oidc. */
  readonly oidc?: TokenLogin;
  /** The upstream login an identity maps to (upstream.user, upstream.by_group, upstream.set_role). */
  upstreamFor(identity: Identity, database?: string): UpstreamMapping;
  /** Runs onConnect and registers the session; a deny means the driver refuses the login. */
  begin(details: SessionDetails): Promise<BeginResult>;
  /** Reports a connection refused before it became a session (bad password, malformed startup). */
  refused(details: { user?: string; database?: string; application?: string; reason: string }): void;
}

export type TerminationReason = 'shutdown' | 'idle' | 'timeout' | 'terminated';

/** How a session that Sluice terminated ends in onDisconnect: a setup timeout is an error, the rest keep their name. */
export function disconnectReasonOf(reason: TerminationReason): 'error' | 'idle' | 'shutdown' | 'terminated' {
  return reason === 'timeout' ? 'error' : reason;
}

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
