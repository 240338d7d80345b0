// One client connection: greeting and TLS, client authentication, the upstream login, then the command relay.
import type { KeyObject } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { closeSocket, disconnectReasonOf, type ConnectionContext, type DriverConnection, type SessionRuntime, type TerminationReason } from '@sluice/core';
import { authenticateClient, CACHING_SHA2, type AuthChannel } from './client-auth.js';
import { CommandRelay } from './command-relay.js';
import type { ConnectionIds } from './connection-ids.js';
import { Capability, ErrorCode, MariadbCapability, MAX_LOGICAL_PACKET, MAX_LOGIN_PACKET, Status, SUPPORTED_CAPABILITIES, SUPPORTED_MARIADB_CAPABILITIES } from './constants.js';
import { framePacket, isFramingError } from './framing.js';
import { newScramble, type ServerTraitsCache } from './greeting.js';
import { decodeHandshakeResponse, encodeGreeting, isSslRequest, type HandshakeResponse } from './handshake.js';
import { errPayload, okPayload, type ErrPacket } from './packets.js';
import { SocketClosedError, SocketReader } from './socket-reader.js';
import { loginUpstream, UpstreamError } from './upstream.js';

/** Session states, in order. */
const enum State {
  Handshake, // greeting, TLS, handshake response
  Authenticating, // client login and upstream login
  Ready, // relaying commands
  Closing, // one side is gone or termination was asked
}

/** What every session of a driver shares. */
export interface DriverShared {
  readonly traits: ServerTraitsCache;
  readonly connectionIds: ConnectionIds;
  rsaKey(): Promise<{ privateKey: KeyObject; publicKeyPem: string }>;
}

export class MySqlConnection implements DriverConnection {
  readonly closed: Promise<void>;
  readonly #context: ConnectionContext;
  readonly #shared: DriverShared;
  #client: Socket | TLSSocket;
  #reader: SocketReader;
  #upstream: Socket | TLSSocket | undefined;
  #relay: CommandRelay | undefined;
  #runtime: SessionRuntime | undefined;
  #state = State.Handshake;
  /** The sequence id of the next packet Sluice sends during login. */
  #sequence = 0;
  #drainMessage: string | undefined;
  /** The connection id this client was given (its server thread is another). */
  readonly #connectionId: number;
  #releaseConnectionId: (() => void) | undefined;
  #scramble: Buffer = Buffer.alloc(20);
  /** Capabilities (and MariaDB extended capabilities) the greeting offered. */
  #offered = 0;
  #offeredMariadb = 0;
  #endReason: 'client' | 'server' | 'shutdown' | 'idle' | 'error' | 'terminated' = 'client';
  #endError: string | undefined;
  #claimed: { user?: string; database?: string; application?: string } = {};

  constructor(socket: Socket, context: ConnectionContext, shared: DriverShared) {
    this.#context = context;
    this.#shared = shared;
    this.#client = socket;
    this.#reader = new SocketReader(socket, MAX_LOGIN_PACKET);
    this.#connectionId = shared.connectionIds.next();
    this.closed = this.#run();
  }

  terminate(reason: TerminationReason, message: string): void {
    if (this.#state === State.Closing) return;
    const code = reason === 'idle' ? ErrorCode.idle : reason === 'shutdown' ? ErrorCode.shutdown : ErrorCode.killed;
    this.#endReason = disconnectReasonOf(reason);
    this.#fatal({ ...code, message: `sluice: terminating connection: ${message}` }, this.#relay?.pendingSequence ?? (this.#state === State.Ready ? 0 : this.#sequence));
  }

  drain(message: string): void {
    this.#drainMessage = message;
    if (this.#state !== State.Ready) this.terminate('shutdown', message);
    else this.#closeIfDrained();
  }

  async #run(): Promise<void> {
    try {
      const response = await this.#handshake();
      if (response) await this.#login(response);
      if (this.#state === State.Ready) await this.#relay!.run();
    } catch (error) {
      if (!(error instanceof SocketClosedError)) {
        this.#endReason = 'error';
        this.#endError = error instanceof Error ? error.message : String(error);
        this.#context.log.error({ error: this.#endError }, 'session failed');
        this.#fatal({ ...ErrorCode.internal, message: 'sluice: internal error, see the proxy log' }, this.#relay?.pendingSequence ?? this.#sequence);
      }
    } finally {
      await this.#close();
    }
  }

  /** Greets the client, takes it to TLS if it asks, and reads its HandshakeResponse. */
  async #handshake(): Promise<HandshakeResponse | undefined> {
    const traits = await this.#shared.traits.get(this.#context);
    const secureContext = this.#context.listener.tls;
    const scramble = newScramble();
    this.#scramble = scramble;
    let capabilities = SUPPORTED_CAPABILITIES & (traits.capabilities | Capability.PLUGIN_AUTH | Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA | Capability.SECURE_CONNECTION | Capability.PROTOCOL_41 | Capability.DEPRECATE_EOF);
    if (secureContext) capabilities |= Capability.SSL;
    this.#offered = capabilities >>> 0;
    // A MariaDB server (CLIENT_MYSQL clear) offers extensions; Sluice passes on those it relays.
    this.#offeredMariadb = capabilities & Capability.LONG_PASSWORD ? 0 : traits.mariadbCapabilities & SUPPORTED_MARIADB_CAPABILITIES;
    this.#send(
      encodeGreeting({
        serverVersion: traits.serverVersion,
        connectionId: this.#connectionId,
        scramble,
        capabilities: this.#offered,
        charset: traits.charset,
        status: Status.AUTOCOMMIT,
        authPlugin: CACHING_SHA2,
        mariadbCapabilities: this.#offeredMariadb,
      }),
    );
    let packet = await this.#reader.packet();
    if (isFramingError(packet)) return this.#protocolViolation(packet.error);
    this.#sequence = (packet.sequence + packet.parts) & 0xff;
    if (isSslRequest(packet.payload)) {
      if (!secureContext) return this.#protocolViolation('TLS requested, but this listener has no tls');
      await this.#startTls(secureContext);
      packet = await this.#reader.packet();
      if (isFramingError(packet)) return this.#protocolViolation(packet.error);
      this.#sequence = (packet.sequence + packet.parts) & 0xff;
    }
    const response = decodeHandshakeResponse(packet.payload);
    if (!response) return this.#protocolViolation('malformed handshake response');
    return response;
  }

  async #startTls(secureContext: NonNullable<ConnectionContext['listener']['tls']>): Promise<void> {
    // Clients send their ClientHello right behind the SSLRequest: give it back to the socket for TLS.
    const leftover = this.#reader.detach();
    this.#client.on('error', () => undefined); // errors surface on the TLS socket
    this.#client.pause();
    if (leftover.length > 0) this.#client.unshift(leftover);
    const tlsSocket = new TLSSocket(this.#client, { isServer: true, secureContext });
    await new Promise<void>((resolve, reject) => {
      tlsSocket.once('secure', resolve);
      tlsSocket.once('error', reject);
      tlsSocket.once('close', () => reject(new Error('closed during the TLS handshake')));
    }).catch((error: Error) => {
      tlsSocket.destroy();
      throw new SocketClosedError(error);
    });
    tlsSocket.removeAllListeners('error');
    this.#client = tlsSocket;
    this.#reader = new SocketReader(tlsSocket, MAX_LOGIN_PACKET);
  }

  async #login(response: HandshakeResponse): Promise<void> {
    this.#state = State.Authenticating;
    const attributes = new Map(response.attributes);
    const application = attributes.get('program_name') ?? attributes.get('_client_name');
    this.#claimed = {
      user: response.user,
      ...(response.database === undefined ? {} : { database: response.database }),
      ...(application === undefined ? {} : { application }),
    };
    if (!(response.capabilities & Capability.PROTOCOL_41)) {
      return this.#fatal({ ...ErrorCode.badHandshake, message: 'sluice: clients older than protocol 4.1 are not supported' }, this.#sequence);
    }
    const tls = this.#client instanceof TLSSocket;
    const channel: AuthChannel = {
      reader: this.#reader,
      read: async () => {
        const packet = await this.#reader.packet();
        if (isFramingError(packet)) return { error: packet.error };
        this.#sequence = (packet.sequence + packet.parts) & 0xff;
        return packet.payload;
      },
      send: (payload) => this.#send(payload),
    };
    const auth = await authenticateClient(
      { channel, tls, scramble: this.#scramble, clientAddress: this.#context.client.address, rsaKey: () => this.#shared.rsaKey() },
      { users: this.#context.users, ...(this.#context.oidc ? { oidc: this.#context.oidc } : {}) },
      response,
    );
    if (!auth.ok) {
      this.#context.log.info({ user: response.user, reason: auth.reason }, 'client authentication failed');
      this.#context.refused({ ...this.#claimed, reason: auth.reason });
      return this.#fatal(auth.error, this.#sequence);
    }
    this.#context.log.debug({ user: response.user, method: auth.method }, 'client authenticated');

    const mapping = this.#context.upstreamFor(auth.identity, response.database);
    if (!mapping.ok) {
      this.#context.log.info({ user: response.user, identity: auth.identity.name, reason: mapping.reason }, 'identity maps to no upstream login');
      this.#context.refused({ ...this.#claimed, reason: mapping.reason });
      return this.#fatal({ ...ErrorCode.accessDenied, message: `sluice: ${mapping.reason}` }, this.#sequence);
    }
    const target = mapping.target;
    const begun = await this.#context.begin({
      identity: auth.identity,
      ...(target.database === undefined ? {} : { database: target.database }),
      ...(application === undefined ? {} : { application }),
      ...(target.user === undefined ? {} : { upstreamUser: target.user }),
    });
    if (!begun.ok) {
      const { verdict } = begun;
      const reason = verdict.action === 'deny' ? `${verdict.rule ?? verdict.plugin}: ${verdict.reason}` : 'denied';
      return this.#fatal({ ...ErrorCode.accessDenied, message: `sluice: ${reason}` }, this.#sequence);
    }
    this.#runtime = begun.session;

    const clientCapabilities = (response.capabilities & this.#offered) >>> 0;
    const clientMariadb = clientCapabilities & Capability.LONG_PASSWORD ? 0 : (response.mariadbCapabilities ?? 0) & this.#offeredMariadb;
    let login;
    try {
      login = await loginUpstream(target, { capabilities: clientCapabilities, charset: response.charset, attributes: response.attributes, mariadbCapabilities: clientMariadb });
    } catch (error) {
      const upstream = error instanceof UpstreamError ? error : new UpstreamError(String(error));
      if (upstream.greeting) {
        const { serverVersion, charset, capabilities, mariadbCapabilities } = upstream.greeting;
        this.#shared.traits.remember(this.#context.listener.name, { serverVersion, charset, capabilities, mariadbCapabilities });
      }
      this.#endReason = 'error';
      this.#endError = upstream.message;
      this.#context.log.warn({ upstream: `${target.host}:${target.port}`, error: upstream.message }, 'upstream login failed');
      const server = upstream.serverError;
      return this.#fatal(
        server ? { code: server.code, state: server.state ?? 'HY000', message: `sluice: ${upstream.message}` } : { ...ErrorCode.upstream, message: `sluice: ${upstream.message}` },
        this.#sequence,
      );
    }
    if ((this.#state as State) === State.Closing) {
      login.socket.destroy();
      return;
    }
    this.#shared.traits.remember(this.#context.listener.name, {
      serverVersion: login.greeting.serverVersion,
      charset: login.greeting.charset,
      capabilities: login.greeting.capabilities,
      mariadbCapabilities: login.greeting.mariadbCapabilities,
    });

    this.#releaseConnectionId = this.#shared.connectionIds.register(this.#connectionId, {
      upstreamId: login.greeting.connectionId,
      subject: auth.identity.subject,
    });
    this.#send(okPayload({ status: login.status }, clientCapabilities));
    this.#reader.framer.setMaxPayload(MAX_LOGICAL_PACKET);
    this.#upstream = login.socket;
    this.#relay = new CommandRelay(
      this.#client,
      login.socket,
      this.#reader,
      this.#runtime,
      {
        log: this.#context.log,
        fail: (error, reason, detail, sequence) => {
          this.#endReason = reason;
          this.#endError = detail;
          this.#fatal(error, sequence ?? 0);
        },
        idle: () => {
          this.#runtime?.idle();
          this.#closeIfDrained();
        },
        isOpen: () => this.#state === State.Ready,
        changeUser: async (request, sequence) => {
          this.#sequence = sequence;
          const changed = await authenticateClient(
            { channel, tls, scramble: this.#scramble, clientAddress: this.#context.client.address, rsaKey: () => this.#shared.rsaKey() },
            { users: this.#context.users, ...(this.#context.oidc ? { oidc: this.#context.oidc } : {}) },
            {
              capabilities: clientCapabilities,
              maxPacket: 0,
              charset: request.charset ?? response.charset,
              user: request.user,
              authResponse: request.authResponse,
              ...(request.authPlugin === undefined ? {} : { authPlugin: request.authPlugin }),
              attributes: [],
            },
          );
          this.#reader.framer.setMaxPayload(MAX_LOGICAL_PACKET); // a token login lowered it
          if (!changed.ok) {
            this.#context.log.info({ user: request.user, reason: changed.reason }, 'COM_CHANGE_USER: authentication failed');
            return { ok: false, error: changed.error, sequence: this.#sequence };
          }
          this.#context.log.debug({ user: request.user, method: changed.method }, 'COM_CHANGE_USER: client authenticated');
          if (changed.identity.subject !== auth.identity.subject) {
            return {
              ok: false,
              error: { ...ErrorCode.notSupported, message: 'sluice: COM_CHANGE_USER to another identity needs a new connection' },
              sequence: this.#sequence,
            };
          }
          return { ok: true, sequence: this.#sequence };
        },
        killTarget: (id) => {
          const ids = this.#shared.connectionIds;
          if (!ids.isSluiceId(id)) return undefined;
          const target = ids.find(id);
          if (!target) return { error: { code: 1094, state: 'HY000', message: `Unknown thread id: ${id}` } };
          if (target.subject !== auth.identity.subject) return { error: { code: 1095, state: 'HY000', message: `You are not owner of thread ${id}` } };
          return { upstreamId: target.upstreamId };
        },
      },
      {
        clientDeprecateEof: (clientCapabilities & Capability.DEPRECATE_EOF) !== 0,
        serverDeprecateEof: (login.capabilities & Capability.DEPRECATE_EOF) !== 0,
        clientCapabilities,
        status: login.status,
        extendedMetadata: (clientMariadb & MariadbCapability.EXTENDED_METADATA) !== 0,
      },
    );
    this.#upstream.on('error', () => undefined);
    this.#upstream.on('close', () => this.#upstreamClosed());
    this.#client.once('close', () => this.#clientGone());
    this.#upstream.resume();
    this.#state = State.Ready;
    if (login.leftover.length > 0) this.#relay.fromServer(login.leftover);
  }

  /** Sends a login-phase packet with the next sequence id. */
  #send(payload: Buffer): void {
    const framed = framePacket(payload, this.#sequence);
    this.#sequence = (this.#sequence + Math.floor(payload.length / 0xffffff) + 1) & 0xff;
    this.#client.write(framed);
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
    this.#fatal({ ...ErrorCode.shutdown, message: 'sluice: the database server closed the connection unexpectedly' }, this.#relay?.pendingSequence ?? 0);
  }

  #protocolViolation(message: string): undefined {
    this.#endReason = 'error';
    this.#endError = `protocol violation: ${message}`;
    this.#context.log.warn({ error: message }, 'client protocol violation');
    if (!this.#runtime) this.#context.refused({ ...this.#claimed, reason: this.#endError });
    this.#fatal({ ...ErrorCode.malformed, message: `sluice: ${message}` }, this.#sequence);
    return undefined;
  }

  /** Sends an ERR to the client and closes both sides. */
  #fatal(error: ErrPacket, sequence: number): void {
    if (this.#state === State.Closing) return;
    this.#state = State.Closing;
    if (!this.#client.destroyed && this.#client.writable) this.#client.end(framePacket(errPayload(error), sequence));
    else this.#client.destroy();
    this.#upstream?.end();
  }

  async #close(): Promise<void> {
    this.#state = State.Closing;
    this.#releaseConnectionId?.();
    await Promise.all([closeSocket(this.#client), this.#upstream ? closeSocket(this.#upstream) : undefined]);
    await this.#runtime?.end({ reason: this.#endReason, ...(this.#endError === undefined ? {} : { error: this.#endError }) });
  }
}
