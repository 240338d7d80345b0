// One client connection: PRELOGIN and encryption, LOGIN7 and authentication, the upstream login, then the statement relay.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { closeSocket, disconnectReasonOf, socketClosed, type ConnectionContext, type DriverConnection, type SessionRuntime, type TerminationReason } from '@sluice/core';
import { authenticateLogin } from './client-auth.js';
import { DoneStatus, Encryption, ErrorNumber, MAX_LOGIN_MESSAGE, MAX_PACKET_SIZE, MAX_REQUEST, PacketType, TDS_7_4, Token } from './codes.js';
import { decodeLogin7, FeatureId, type Feature, type Login7 } from './login7.js';
import { isFramingError, packetize, type Message } from './packet.js';
import { decodePrelogin, encodePrelogin, PreloginOption, versionOption } from './prelogin.js';
import { doneToken, featureExtAckToken, messageToken, type MessageFields } from './server-tokens.js';
import { SocketClosedError, SocketReader } from './socket-reader.js';
import { StatementRelay } from './statement-relay.js';
import { PreloginTlsBridge } from './tls-bridge.js';
import { loginUpstream, UpstreamError, type UpstreamLogin } from './upstream.js';
import type { StreamToken } from './token-stream.js';

/** First byte of a TLS handshake record: a TDS 8.0 (strict encryption) client. */
const TLS_HANDSHAKE = 0x16;
/** TDS 7.2: the oldest version whose token stream Sluice reads (8-byte row counts, ALL_HEADERS). */
const OLDEST_TDS = 0x72090002;
/** Features a client may ask the server for through Sluice; the others change the token stream or the login. */
const RELAYED_FEATURES = new Set<number>([FeatureId.Utf8Support]);
/** Sluice's PRELOGIN VERSION. */
const SLUICE_VERSION = versionOption(16, 0, 1000);

const enum State {
  Prelogin, // PRELOGIN, encryption
  Authenticating, // LOGIN7, client authentication, upstream login
  Ready, // relaying requests
  Closing, // one side is gone or termination was asked
}

type EncryptionMode = 'none' | 'login' | 'full' | 'strict';

export class MssqlConnection implements DriverConnection {
  readonly closed: Promise<void>;
  readonly #context: ConnectionContext;
  readonly #raw: Socket;
  #client: Socket | TLSSocket;
  #reader: SocketReader;
  #upstream: Socket | TLSSocket | undefined;
  #relay: StatementRelay | undefined;
  #runtime: SessionRuntime | undefined;
  #state = State.Prelogin;
  #packetSize = 4096;
  #drainMessage: string | undefined;
  #endReason: 'client' | 'server' | 'shutdown' | 'idle' | 'error' | 'terminated' = 'client';
  #endError: string | undefined;
  #claimed: { user?: string; database?: string; application?: string } = {};

  constructor(socket: Socket, context: ConnectionContext) {
    this.#context = context;
    this.#raw = socket;
    this.#client = socket;
    socket.setNoDelay(true);
    this.#reader = new SocketReader(socket, MAX_PACKET_SIZE, MAX_LOGIN_MESSAGE);
    this.closed = this.#run();
  }

  terminate(reason: TerminationReason, message: string): void {
    if (this.#state === State.Closing) return;
    this.#endReason = disconnectReasonOf(reason);
    this.#fatal({ number: 596, severity: 21, message: `sluice: terminating connection: ${message}` });
  }

  drain(message: string): void {
    this.#drainMessage = message;
    if (this.#state !== State.Ready) this.terminate('shutdown', message);
    else this.#closeIfDrained();
  }

  async #run(): Promise<void> {
    try {
      const encryption = await this.#prelogin();
      if (encryption) {
        const login = await this.#readLogin(encryption);
        if (login) await this.#login(login.login, login.encrypted);
      }
      if (this.#state === State.Ready) await this.#relay!.run();
    } catch (error) {
      if (!(error instanceof SocketClosedError)) {
        this.#endReason = 'error';
        this.#endError = error instanceof Error ? error.message : String(error);
        this.#context.log.error({ error: this.#endError }, 'session failed');
        this.#fatal({ number: ErrorNumber.ProtocolError, severity: 20, message: 'sluice: internal error, see the proxy log' });
      }
    } finally {
      await this.#close();
    }
  }

  /** PRELOGIN: answers the client's options and settles encryption; undefined when the session ended. */
  async #prelogin(): Promise<{ mode: EncryptionMode; clientWanted: boolean } | undefined> {
    let strict = false;
    if ((await this.#reader.peekByte()) === TLS_HANDSHAKE) {
      const secureContext = this.#context.listener.tls;
      if (!secureContext) {
        this.#context.log.info('TDS 8.0 strict encryption attempt on a listener without tls: closing');
        this.#context.refused({ reason: 'TDS 8.0 strict encryption on a listener without tls' });
        this.#state = State.Closing;
        return undefined;
      }
      const leftover = this.#reader.detach();
      this.#raw.pause();
      this.#raw.unshift(leftover);
      const tls = new TLSSocket(this.#raw, { isServer: true, secureContext, ALPNProtocols: ['tds/8.0'] });
      await handshake(tls);
      this.#client = tls;
      this.#reader = new SocketReader(tls, MAX_PACKET_SIZE, MAX_LOGIN_MESSAGE);
      strict = true;
    }
    const message = await this.#reader.message();
    if (isFramingError(message)) return this.#protocolViolation(message.error);
    if (message.type !== PacketType.PreLogin) return this.#protocolViolation(`expected PRELOGIN, got packet type ${message.type}`);
    const prelogin = decodePrelogin(message.payload);
    if (!prelogin) return this.#protocolViolation('malformed PRELOGIN');
    const asked = prelogin.encryption ?? Encryption.Off;
    const clientWanted = asked === Encryption.On || asked === Encryption.Required;
    let mode: EncryptionMode;
    let answer: Encryption;
    if (strict) {
      mode = 'strict';
      answer = clientWanted ? Encryption.On : Encryption.NotSupported;
    } else if (!this.#context.listener.tls) {
      mode = 'none';
      answer = Encryption.NotSupported;
    } else if (asked === Encryption.NotSupported) {
      mode = 'none';
      answer = Encryption.NotSupported;
    } else {
      mode = clientWanted ? 'full' : 'login';
      answer = clientWanted ? Encryption.On : Encryption.Off;
    }
    const options: [number, Buffer][] = [
      [PreloginOption.Version, SLUICE_VERSION],
      [PreloginOption.Encryption, Buffer.from([answer])],
      [PreloginOption.InstOpt, Buffer.from([0])],
      [PreloginOption.ThreadId, Buffer.alloc(0)],
      // MARS is always off: one request at a time per connection.
      [PreloginOption.Mars, Buffer.from([0])],
    ];
    if (prelogin.fedAuthRequired !== undefined) options.push([PreloginOption.FedAuthRequired, Buffer.from([1])]);
    this.#client.write(packetize(PacketType.TabularResult, encodePrelogin(options), 4096));
    return { mode, clientWanted };
  }

  /** Reads LOGIN7, with the TLS handshake first when encryption was agreed. */
  async #readLogin(encryption: { mode: EncryptionMode; clientWanted: boolean }): Promise<{ login: Login7; encrypted: boolean } | undefined> {
    let { mode } = encryption;
    let tls: TLSSocket | undefined;
    let bridge: PreloginTlsBridge | undefined;
    if (mode === 'full' || mode === 'login') {
      const next = await this.#reader.packet();
      if (isFramingError(next)) return this.#protocolViolation(next.error);
      if (next.type === PacketType.PreLogin) {
        // The TLS handshake, carried in PRELOGIN packets. Give the first packet back to the bridge.
        const rest = this.#reader.detach();
        bridge = new PreloginTlsBridge(this.#raw, Buffer.concat([next.raw, rest]));
        const secureContext = this.#context.listener.tls!;
        capAtTls12(secureContext);
        tls = new TLSSocket(bridge as unknown as Socket, { isServer: true, secureContext });
        await handshake(tls);
        bridge.handshakeDone();
        this.#client = tls;
        this.#reader = new SocketReader(tls, MAX_PACKET_SIZE, MAX_LOGIN_MESSAGE);
      } else if (mode === 'full') {
        return this.#protocolViolation('encryption was agreed, but the client sent no TLS handshake');
      } else {
        // Encryption "off": some clients (tedious) send LOGIN7 in plaintext rather than through TLS.
        this.#reader.assembler.add(next);
        mode = 'none';
        if (next.type === PacketType.Login7 && next.status & 1) {
          return this.#decodeLogin({ type: next.type, status: next.status, packets: [next.raw], payload: next.payload }, false, encryption.clientWanted);
        }
      }
    }
    const message = await this.#reader.message();
    if (isFramingError(message)) return this.#protocolViolation(message.error);
    const encrypted = mode !== 'none';
    if (mode === 'login' && bridge && tls) {
      // Only the login was to be encrypted: both sides continue in plaintext.
      const rest = bridge.bypass();
      this.#reader.detach();
      tls.destroy();
      this.#client = this.#raw;
      this.#reader = new SocketReader(this.#raw, MAX_PACKET_SIZE, MAX_LOGIN_MESSAGE, rest);
    }
    return this.#decodeLogin(message, encrypted, encryption.clientWanted);
  }

  #decodeLogin(message: Message, encrypted: boolean, clientWanted: boolean): { login: Login7; encrypted: boolean } | undefined {
    if (message.type !== PacketType.Login7) return this.#protocolViolation(`expected LOGIN7, got packet type ${message.type}`);
    const login = decodeLogin7(message.payload);
    if (!login) return this.#protocolViolation('malformed LOGIN7');
    this.#claimed = {
      ...(login.userName ? { user: login.userName } : {}),
      ...(login.database ? { database: login.database } : {}),
      ...(login.appName ? { application: login.appName } : {}),
    };
    if (clientWanted && !encrypted) {
      const reason = 'the client asked for encryption but this listener has no tls configured';
      this.#context.refused({ ...this.#claimed, reason });
      this.#loginFailed(reason, `sluice: ${reason}`);
      return undefined;
    }
    return { login, encrypted };
  }

  async #login(login: Login7, encrypted: boolean): Promise<void> {
    this.#state = State.Authenticating;
    if (login.tdsVersion < OLDEST_TDS && login.tdsVersion !== 0) {
      const reason = `TDS version 0x${login.tdsVersion.toString(16)} is not supported: use TDS 7.2 or later (7.4 preferred)`;
      this.#context.refused({ ...this.#claimed, reason });
      return this.#loginFailed(reason, `sluice: ${reason}`);
    }
    if (login.changePassword) {
      const reason = 'changing the password at login is not supported through the proxy';
      this.#context.refused({ ...this.#claimed, reason });
      return this.#loginFailed(reason, `sluice: ${reason}`);
    }
    const auth = await authenticateLogin(login, { users: this.#context.users, ...(this.#context.oidc ? { oidc: this.#context.oidc } : {}) }, encrypted);
    if (!auth.ok) {
      this.#context.log.info({ user: login.userName, reason: auth.reason }, 'client authentication failed');
      this.#context.refused({ ...this.#claimed, reason: auth.reason });
      return this.#loginFailed(auth.reason, auth.message);
    }
    const database = login.database || undefined;
    const mapping = this.#context.upstreamFor(auth.identity, database);
    if (!mapping.ok) {
      this.#context.log.info({ user: login.userName, identity: auth.identity.name, reason: mapping.reason }, 'identity maps to no upstream login');
      this.#context.refused({ ...this.#claimed, reason: mapping.reason });
      return this.#loginFailed(mapping.reason, `sluice: ${mapping.reason}`);
    }
    const target = mapping.target;
    const begun = await this.#context.begin({
      identity: auth.identity,
      ...(database === undefined ? {} : { database }),
      ...(login.appName ? { application: login.appName } : {}),
      ...(target.user === undefined ? {} : { upstreamUser: target.user }),
    });
    if (!begun.ok) {
      const { verdict } = begun;
      const reason = verdict.action === 'deny' ? `${verdict.rule ?? verdict.plugin}: ${verdict.reason}` : 'denied';
      return this.#loginFailed(reason, `sluice: ${reason}`, false);
    }
    this.#runtime = begun.session;

    let upstream: UpstreamLogin;
    try {
      upstream = await loginUpstream(target, {
        tdsVersion: login.tdsVersion || TDS_7_4,
        packetSize: login.packetSize,
        clientProgVer: login.clientProgVer,
        clientPid: login.clientPid,
        optionFlags1: login.optionFlags1,
        optionFlags2: login.optionFlags2,
        typeFlags: login.typeFlags,
        optionFlags3: login.optionFlags3,
        clientTimeZone: login.clientTimeZone,
        clientLcid: login.clientLcid,
        hostName: login.hostName,
        userName: target.user ?? '',
        password: target.password ?? '',
        appName: login.appName,
        serverName: target.host,
        clientInterfaceName: login.clientInterfaceName,
        language: login.language,
        database: target.database ?? login.database,
        clientId: login.clientId,
        features: login.features.filter((feature) => RELAYED_FEATURES.has(feature.id)),
      });
    } catch (error) {
      const failure = error instanceof UpstreamError ? error : new UpstreamError(String(error));
      this.#runtime.upstreamConnectFailed();
      this.#endReason = 'error';
      this.#endError = failure.message;
      this.#context.log.warn({ upstream: `${target.host}:${target.port}`, error: failure.message }, 'upstream login failed');
      const server = failure.serverError;
      return this.#loginFailed(failure.message, server ? server.message : `sluice: ${failure.message}`, false, server?.number);
    }
    if ((this.#state as State) === State.Closing) {
      upstream.socket.destroy();
      return;
    }

    this.#packetSize = upstream.packetSize;
    this.#client.write(packetize(PacketType.TabularResult, loginResponse(upstream.tokens, login.features, auth.fedAuth), this.#packetSize));
    this.#reader.framer.setMaxPacket(MAX_PACKET_SIZE);
    this.#reader.assembler.setMaxMessage(MAX_REQUEST);
    this.#upstream = upstream.socket;
    this.#relay = new StatementRelay(
      this.#client,
      upstream.socket,
      this.#reader,
      this.#runtime,
      {
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
      },
      upstream.packetSize,
    );
    this.#upstream.on('error', () => undefined);
    this.#upstream.on('close', () => this.#upstreamClosed());
    this.#client.once('close', () => this.#clientGone());
    this.#state = State.Ready;
    this.#upstream.resume();
    this.#relay.fromServer(upstream.leftover);
  }

  /** Refuses the login: ERROR 18456 (or the given number) and DONE, then closes. */
  #loginFailed(reason: string, message: string, report = true, number: number = ErrorNumber.LoginFailed): void {
    if (report) this.#endError = reason;
    this.#fatal({ number, state: 1, severity: 14, message });
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
    this.#fatal({ number: ErrorNumber.ProtocolError, severity: 20, message: 'sluice: the database server closed the connection unexpectedly' });
  }

  #protocolViolation(message: string): undefined {
    this.#endReason = 'error';
    this.#endError = `protocol violation: ${message}`;
    this.#context.log.warn({ error: message }, 'client protocol violation');
    if (!this.#runtime) this.#context.refused({ ...this.#claimed, reason: this.#endError });
    this.#fatal({ number: ErrorNumber.ProtocolError, severity: 20, message: `sluice: ${message}` });
    return undefined;
  }

  /** Sends an ERROR token and a DONE with the error flag, then closes both sides. */
  #fatal(error: MessageFields): void {
    if (this.#state === State.Closing) return;
    this.#state = State.Closing;
    const payload = Buffer.concat([messageToken('error', error), doneToken(Token.Done, DoneStatus.Error)]);
    if (!this.#client.destroyed && this.#client.writable) this.#client.end(packetize(PacketType.TabularResult, payload, this.#packetSize));
    else this.#client.destroy();
    this.#upstream?.end();
  }

  async #close(): Promise<void> {
    this.#state = State.Closing;
    // The client may be TLS over #raw: its end goes through #raw, which is only stopped if it lingers.
    const raw = this.#raw;
    if (this.#client !== raw && !raw.destroyed) setTimeout(() => raw.destroy(), 1_000).unref();
    await Promise.all([closeSocket(this.#client), socketClosed(raw), this.#upstream ? closeSocket(this.#upstream) : undefined]);
    await this.#runtime?.end({ reason: this.#endReason, ...(this.#endError === undefined ? {} : { error: this.#endError }) });
  }
}

/**
 * The login response for the client: the server's tokens, with FEATUREEXTACK narrowed to what the
 * client asked for and the FEDAUTH acknowledgement added for a token login (Sluice did that part).
 */
export function loginResponse(tokens: readonly StreamToken[], requested: readonly Feature[], fedAuth: boolean): Buffer {
  const asked = new Set(requested.map((feature) => feature.id));
  const parts: Buffer[] = [];
  let acked = false;
  const ack = (features: readonly Feature[]) => {
    const kept = features.filter((feature) => asked.has(feature.id) && feature.id !== FeatureId.FedAuth);
    if (fedAuth) kept.push({ id: FeatureId.FedAuth, data: Buffer.alloc(0) });
    acked = true;
    return kept.length > 0 ? featureExtAckToken(kept) : Buffer.alloc(0);
  };
  for (const token of tokens) {
    if (token.kind === 'featureextack') {
      parts.push(ack(token.features));
      continue;
    }
    if (token.kind === 'done' && !acked && fedAuth) parts.push(ack([]));
    parts.push(token.buf.subarray(token.start, token.end));
  }
  return Buffer.concat(parts);
}

const capped = new WeakSet<SecureContext>();

/**
 * TLS inside PRELOGIN is TLS 1.2 at most, as SQL Server does it: clients end the handshake in ways
 * that only work with 1.2 (FreeTDS sends its TLS 1.3 Finished glued to LOGIN7, tedious offers 1.2
 * only). The listener's context is shared by its connections, so the cap is set once on it; TDS 8.0
 * strict connections then use TLS 1.2 too, which TDS 8.0 allows.
 */
function capAtTls12(secureContext: SecureContext): void {
  if (capped.has(secureContext)) return;
  capped.add(secureContext);
  const native = (secureContext as unknown as { context?: { setMaxProto?(version: number): void } }).context;
  native?.setMaxProto?.(TLS1_2_VERSION);
}

/** OpenSSL's TLS1_2_VERSION. */
const TLS1_2_VERSION = 0x0303;

async function handshake(tls: TLSSocket): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    tls.once('secure', resolve);
    tls.once('error', reject);
    tls.once('close', () => reject(new Error('closed during the TLS handshake')));
  }).catch((error: Error) => {
    tls.destroy();
    throw new SocketClosedError(error);
  });
  tls.removeAllListeners('error');
  tls.removeAllListeners('close');
  tls.on('error', () => undefined);
}
