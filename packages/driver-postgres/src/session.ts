// One client connection: startup and TLS, authentication, the upstream login, then the statement relay.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { closeSocket, disconnectReasonOf, type ConnectionContext, type DriverConnection, type SessionRuntime, type TerminationReason } from '@sluice/core';
import type { CancelRegistry } from './cancel-registry.js';
import { channelBindingData } from './auth/channel-binding.js';
import { authenticateClient } from './client-auth.js';
import { decodeStartup, type StartupPacket } from './client-messages.js';
import { MAX_MESSAGE, MAX_STARTUP_MESSAGE, SqlState } from './codes.js';
import { isFramingError } from './framing.js';
import { authenticationOk, backendKeyData, errorResponse, negotiateProtocolVersion, readyForQuery, type ErrorFields } from './server-messages.js';
import { SocketClosedError, SocketReader } from './socket-reader.js';
import { StatementRelay } from './statement-relay.js';
import { cancelUpstream, loginUpstream, UpstreamError } from './upstream.js';
import type { TableNames } from './table-names.js';

/** First byte of a TLS handshake record: a direct TLS client. */
const TLS_HANDSHAKE = 0x16;

/** Session states, in order. */
const enum State {
  Startup, // reading the startup packet, TLS negotiation
  Authenticating, // client login and upstream login
  Ready, // relaying statements
  Closing, // one side is gone or termination was asked
}

/** Startup parameters the upstream would misread or that Sluice cannot relay. */
const REFUSED_PARAMETERS = new Set(['replication']);

export class PostgresConnection implements DriverConnection {
  readonly closed: Promise<void>;
  readonly #context: ConnectionContext;
  readonly #cancels: CancelRegistry;
  readonly #tableNames: TableNames | undefined;
  #client: Socket | TLSSocket;
  #reader: SocketReader;
  #upstream: Socket | TLSSocket | undefined;
  #relay: StatementRelay | undefined;
  #runtime: SessionRuntime | undefined;
  #state = State.Startup;
  #drainMessage: string | undefined;
  #releaseCancelKey: (() => void) | undefined;
  #endReason: 'client' | 'server' | 'shutdown' | 'idle' | 'error' | 'terminated' = 'client';
  #endError: string | undefined;
  /** What the client said about itself in its startup packet, for refusal reports. */
  #claimed: { user?: string; database?: string; application?: string } = {};

  constructor(socket: Socket, context: ConnectionContext, cancels: CancelRegistry, tableNames?: TableNames) {
    this.#context = context;
    this.#cancels = cancels;
    this.#tableNames = tableNames;
    this.#client = socket;
    this.#reader = new SocketReader(socket, MAX_STARTUP_MESSAGE);
    this.closed = this.#run();
  }

  terminate(reason: TerminationReason, message: string): void {
    if (this.#state === State.Closing) return;
    const code = reason === 'idle' ? SqlState.idleSessionTimeout : reason === 'timeout' ? SqlState.connectionFailure : SqlState.adminShutdown;
    this.#endReason = disconnectReasonOf(reason);
    this.#fatal({ severity: 'FATAL', code, message: `sluice: terminating connection: ${message}` });
  }

  drain(message: string): void {
    this.#drainMessage = message;
    if (this.#state !== State.Ready) this.terminate('shutdown', message);
    else this.#closeIfDrained();
  }

  async #run(): Promise<void> {
    try {
      const startup = await this.#startup();
      if (startup) await this.#login(startup);
      if (this.#state === State.Ready) await this.#relay!.run();
    } catch (error) {
      if (!(error instanceof SocketClosedError)) {
        this.#endReason = 'error';
        this.#endError = error instanceof Error ? error.message : String(error);
        this.#context.log.error({ error: this.#endError }, 'session failed');
        this.#fatal({ severity: 'FATAL', code: SqlState.internalError, message: 'sluice: internal error, see the proxy log' });
      }
    } finally {
      await this.#close();
    }
  }

  /** Reads startup packets until a StartupMessage, answering SSL/GSSENC requests and cancels on the way. */
  async #startup(): Promise<Extract<StartupPacket, { kind: 'startup' }> | undefined> {
    let tlsDone = false;
    if ((await this.#reader.peekByte()) === TLS_HANDSHAKE) {
      // PostgreSQL 17 direct TLS: the client starts TLS at once, with ALPN "postgresql", and no SSLRequest.
      const secureContext = this.#context.listener.tls;
      if (!secureContext) {
        this.#context.log.info('direct TLS attempt on a listener without tls: closing');
        this.#context.refused({ reason: 'direct TLS on a listener without tls' });
        this.#state = State.Closing;
        return undefined;
      }
      await this.#startTls(secureContext, true);
      tlsDone = true;
    }
    for (;;) {
      const packet = await this.#reader.startupPacket(MAX_STARTUP_MESSAGE);
      if (isFramingError(packet)) return this.#protocolViolation(packet.error);
      const startup = decodeStartup(packet.body);
      if (!startup) return this.#protocolViolation('invalid startup packet layout');
      switch (startup.kind) {
        case 'ssl': {
          const secureContext = this.#context.listener.tls;
          if (tlsDone || !secureContext) {
            this.#client.write('N');
            continue;
          }
          this.#client.write('S');
          await this.#startTls(secureContext, false);
          tlsDone = true;
          continue;
        }
        case 'gssenc':
          this.#client.write('N');
          continue;
        case 'cancel':
          await this.#forwardCancel(startup.processId, startup.secretKey);
          return undefined;
        case 'startup':
          return startup;
      }
    }
  }

  async #startTls(secureContext: NonNullable<ConnectionContext['listener']['tls']>, direct: boolean): Promise<void> {
    const leftover = this.#reader.detach();
    if (!direct && leftover.length > 0) return this.#protocolViolation('received unencrypted data after SSL request');
    // The ClientHello of a direct TLS connection was already read: give it back; TLSSocket consumes buffered data first.
    this.#client.on('error', () => undefined); // errors surface on the TLS socket
    this.#client.pause();
    if (leftover.length > 0) this.#client.unshift(leftover);
    const tlsSocket = new TLSSocket(this.#client, { isServer: true, secureContext, ...(direct ? { ALPNProtocols: ['postgresql'] } : {}) });
    // A client may give up mid-handshake without an error: 'close' must end the wait too.
    await new Promise<void>((resolve, reject) => {
      tlsSocket.once('secure', resolve);
      tlsSocket.once('error', reject);
      tlsSocket.once('close', () => reject(new Error('closed during the TLS handshake')));
    }).catch((error: Error) => {
      tlsSocket.destroy();
      throw new SocketClosedError(error);
    });
    tlsSocket.removeAllListeners('error');
    if (direct && tlsSocket.alpnProtocol !== 'postgresql') {
      // As PostgreSQL does: without ALPN, a direct TLS client could be a confused HTTPS client.
      this.#client = tlsSocket;
      return this.#protocolViolation('direct TLS connection without ALPN protocol "postgresql"');
    }
    this.#client = tlsSocket;
    this.#reader = new SocketReader(tlsSocket, MAX_STARTUP_MESSAGE);
  }

  async #forwardCancel(processId: number, secretKey: Buffer): Promise<void> {
    const target = this.#cancels.find(processId, secretKey);
    this.#endReason = 'client';
    if (!target) {
      this.#context.log.info('cancel request with an unknown key ignored');
      return;
    }
    try {
      await cancelUpstream(target.upstream, target.processId, target.secretKey);
      this.#context.log.info('cancel request forwarded');
    } catch (error) {
      this.#context.log.warn({ error: (error as Error).message }, 'cancel request could not be forwarded');
    }
  }

  async #login(startup: Extract<StartupPacket, { kind: 'startup' }>): Promise<void> {
    this.#state = State.Authenticating;
    const parameters = startup.parameters;
    const user = parameters.get('user');
    this.#claimed = Object.fromEntries(
      (['user', 'database', 'application_name'] as const).flatMap((key) => {
        const value = parameters.get(key);
        return value === undefined ? [] : [[key === 'application_name' ? 'application' : key, value]];
      }),
    );
    if (startup.major !== 3) {
      return this.#fatal({ severity: 'FATAL', code: SqlState.featureNotSupported, message: `unsupported frontend protocol ${startup.major}.${startup.minor}: server supports 3.0` });
    }
    if (!user) {
      return this.#fatal({ severity: 'FATAL', code: SqlState.invalidAuthorization, message: 'no PostgreSQL user name specified in startup packet' });
    }
    const refused = [...parameters.keys()].find((name) => REFUSED_PARAMETERS.has(name));
    if (refused) {
      return this.#fatal({ severity: 'FATAL', code: SqlState.featureNotSupported, message: `sluice: the startup parameter "${refused}" is not supported through the proxy` });
    }
    const protocolOptions = [...parameters.keys()].filter((name) => name.startsWith('_pq_.'));
    const upstreamParameters = new Map([...parameters].filter(([name]) => !name.startsWith('_pq_.')));
    if (startup.minor > 0 || protocolOptions.length > 0) this.#client.write(negotiateProtocolVersion(0, protocolOptions));

    const tls = this.#client instanceof TLSSocket;
    const binding = this.#client instanceof TLSSocket ? channelBindingData(this.#client.getCertificate()) : undefined;
    const auth = await authenticateClient(
      { reader: this.#reader, write: (message) => this.#client.write(message), tls, ...(binding ? { channelBinding: binding } : {}) },
      { users: this.#context.users, ...(this.#context.oidc ? { oidc: this.#context.oidc } : {}) },
      user,
    );
    if (!auth.ok) {
      if (auth.report) {
        this.#context.log.info({ user, reason: auth.reason }, 'client authentication failed');
        this.#context.refused({ ...this.#claimed, reason: auth.reason });
      } else {
        this.#context.log.debug({ user, reason: auth.reason }, 'client authentication ended early');
      }
      return this.#fatal(auth.error);
    }

    const database = parameters.get('database') ?? user;
    const mapping = this.#context.upstreamFor(auth.identity, database);
    if (!mapping.ok) {
      this.#context.log.info({ user, identity: auth.identity.name, reason: mapping.reason }, 'identity maps to no upstream login');
      this.#context.refused({ ...this.#claimed, reason: mapping.reason });
      return this.#fatal({ severity: 'FATAL', code: SqlState.invalidAuthorization, message: `sluice: ${mapping.reason}` });
    }
    const target = mapping.target;
    if (target.role !== undefined) {
      // The mapped role is the session's default (RESET ROLE returns to it); the client may not pick another.
      const chosen = [...parameters].find(
        ([name, value]) => name === 'role' || name === 'session_authorization' || (name === 'options' && /\b(role|session_authorization)\b/i.test(value)),
      )?.[0];
      if (chosen !== undefined) {
        const reason = `the startup parameter "${chosen}" may not set the role on a listener with upstream.set_role`;
        this.#context.refused({ ...this.#claimed, reason });
        return this.#fatal({ severity: 'FATAL', code: SqlState.invalidAuthorization, message: `sluice: ${reason}` });
      }
      upstreamParameters.set('role', target.role);
    }
    const upstreamUser = target.role ?? target.user;
    const application = parameters.get('application_name');
    const begun = await this.#context.begin({
      identity: auth.identity,
      database,
      ...(application === undefined ? {} : { application }),
      ...(upstreamUser === undefined ? {} : { upstreamUser }),
    });
    if (!begun.ok) {
      const { verdict } = begun;
      const reason = verdict.action === 'deny' ? `${verdict.rule ?? verdict.plugin}: ${verdict.reason}` : 'denied';
      return this.#fatal({ severity: 'FATAL', code: SqlState.invalidAuthorization, message: `sluice: ${reason}` });
    }
    this.#runtime = begun.session;

    let login;
    try {
      login = await loginUpstream(target, upstreamParameters);
    } catch (error) {
      const upstream = error instanceof UpstreamError ? error : new UpstreamError(String(error));
      this.#endReason = 'error';
      this.#endError = upstream.message;
      this.#context.log.warn({ upstream: `${target.host}:${target.port}`, error: upstream.message }, 'upstream login failed');
      this.#runtime.upstreamConnectFailed();
      return this.#fatal({
        severity: 'FATAL',
        code: upstream.serverError?.code ?? SqlState.connectionFailure,
        message: `sluice: ${upstream.message}`,
      });
    }
    // terminate() may have run while the login was in flight.
    if ((this.#state as State) === State.Closing) {
      login.socket.destroy();
      return;
    }

    const key = this.#cancels.register({ upstream: target, processId: login.processId, secretKey: login.secretKey });
    this.#releaseCancelKey = key.release;
    this.#client.cork();
    this.#client.write(authenticationOk());
    for (const message of login.greeting) this.#client.write(message);
    this.#client.write(backendKeyData(key.processId, key.secretKey));
    this.#client.write(readyForQuery(login.transactionStatus));
    this.#client.uncork();

    // Past login the client may send messages up to PostgreSQL's own size limit.
    this.#reader.framer.setMaxMessage(MAX_MESSAGE);
    this.#upstream = login.socket;
    this.#relay = new StatementRelay(this.#client, login.socket, this.#reader, this.#runtime, {
      log: this.#context.log,
      fail: (error, reason, detail) => {
        this.#endReason = reason;
        this.#endError = detail;
        this.#fatal(error);
      },
      idle: () => {
        this.#runtime?.idle();
        this.#closeIfDrained();
      },
      isOpen: () => this.#state === State.Ready,
      ...(this.#tableNames ? { tableNames: this.#tableNames.for(target) } : {}),
    }, login.transactionStatus);
    this.#upstream.on('error', () => undefined);
    this.#upstream.on('close', () => this.#upstreamClosed());
    // A client that leaves while its statement waits (held for approval, a slow plugin) ends the
    // session at once: onDisconnect runs, pending approvals are cancelled, nothing is sent upstream.
    this.#client.once('close', () => this.#clientGone());
    this.#upstream.resume();
    this.#state = State.Ready;
    if (login.leftover.length > 0) this.#relay.fromServer(login.leftover);
  }

  #closeIfDrained(): void {
    if (this.#drainMessage !== undefined && this.#relay?.quiescent) this.terminate('shutdown', this.#drainMessage);
  }

  #clientGone(): void {
    if (this.#state !== State.Ready) return;
    this.#state = State.Closing;
    this.#endReason = 'client';
    this.#upstream?.end();
    void this.#runtime?.end({ reason: 'client' });
  }

  #upstreamClosed(): void {
    if (this.#state === State.Closing) return;
    this.#endReason = 'server';
    this.#fatal({ severity: 'FATAL', code: SqlState.connectionFailure, message: 'sluice: the database server closed the connection unexpectedly' });
  }

  #protocolViolation(message: string): undefined {
    this.#endReason = 'error';
    this.#endError = `protocol violation: ${message}`;
    this.#context.log.warn({ error: message }, 'client protocol violation');
    if (!this.#runtime) this.#context.refused({ ...this.#claimed, reason: this.#endError });
    this.#fatal({ severity: 'FATAL', code: SqlState.protocolViolation, message: `sluice: ${message}` });
    return undefined;
  }

  /** Sends a FATAL error to the client and closes both sides. */
  #fatal(error: ErrorFields): void {
    if (this.#state === State.Closing) return;
    this.#state = State.Closing;
    if (!this.#client.destroyed && this.#client.writable) this.#client.end(errorResponse(error));
    else this.#client.destroy();
    this.#upstream?.end();
  }

  async #close(): Promise<void> {
    this.#state = State.Closing;
    this.#releaseCancelKey?.();
    await Promise.all([closeSocket(this.#client), this.#upstream ? closeSocket(this.#upstream) : undefined]);
    await this.#runtime?.end({ reason: this.#endReason, ...(this.#endError === undefined ? {} : { error: this.#endError }) });
  }
}
