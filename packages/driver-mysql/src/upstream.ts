// The server-facing login: TCP, the server's greeting, TLS per mode, HandshakeResponse41 and every auth exchange Sluice speaks.
import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { dialUpstream, tlsEstablished, upstreamTlsOptions, type UpstreamTarget } from '@sluice/core';
import { cachingSha2Proof, ed25519PasswordSignature, nativePasswordProof, rsaEncryptPassword } from './auth/scramble.js';
import { Capability, FORMAT_CAPABILITIES, MAX_LOGIN_PACKET } from './constants.js';
import { framePacket, isFramingError } from './framing.js';
import { decodeAuthSwitch, decodeGreeting, encodeHandshakeResponse, encodeSslRequest, type Greeting } from './handshake.js';
import { decodeErr, decodeOk, type ErrPacket } from './packets.js';
import { SocketClosedError, SocketReader } from './socket-reader.js';

export interface UpstreamLogin {
  readonly socket: Socket | TLSSocket;
  readonly greeting: Greeting;
  /** Capabilities in force on the upstream connection. */
  readonly capabilities: number;
  /** Status flags of the server's final OK. */
  readonly status: number;
  /** MariaDB extended capabilities in force. */
  readonly mariadbCapabilities: number;
  /** Bytes the server sent after its OK (normally none). */
  readonly leftover: Buffer;
}

/** What the client asked for, to be asked of the server in turn. */
export interface LoginRequest {
  readonly capabilities: number;
  readonly charset: number;
  readonly attributes: readonly (readonly [string, string])[];
  /** MariaDB extended capabilities the client agreed to; the server must offer them all. */
  readonly mariadbCapabilities: number;
}

/** Login failed: `serverError` is set when the server itself refused (its number, state and message). */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly serverError?: ErrPacket,
    /** The TLS handshake failed: `prefer` may try again without TLS. */
    readonly failedTls = false,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }

  /** The server's greeting, when it got that far: what the next client should be greeted with. */
  greeting?: Greeting;
}

const MAX_PACKET_SIZE = 1 << 30;

export async function loginUpstream(target: UpstreamTarget, request: LoginRequest): Promise<UpstreamLogin> {
  if (target.tls !== 'prefer') return attemptLogin(target, request, target.tls !== 'disable');
  try {
    return await attemptLogin(target, request, true);
  } catch (error) {
    if (!(error instanceof UpstreamError && error.failedTls)) throw error;
    return attemptLogin(target, request, false);
  }
}

/** Reads a server's greeting and hangs up: what a listener tells clients before it knows whom they map to. */
export async function probeGreeting(host: string, port: number, timeoutMs: number): Promise<Greeting | undefined> {
  let socket: Socket | undefined;
  const timer = setTimeout(() => socket?.destroy(), timeoutMs);
  try {
    socket = await connectTcp({ host, port, connectTimeoutMs: timeoutMs });
    const reader = new SocketReader(socket, MAX_LOGIN_PACKET);
    const packet = await reader.packet();
    if (isFramingError(packet) || packet.payload[0] !== 10) return undefined;
    return decodeGreeting(packet.payload);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    socket?.destroy();
  }
}

async function attemptLogin(target: UpstreamTarget, request: LoginRequest, wantTls: boolean): Promise<UpstreamLogin> {
  const plain = await connectTcp(target);
  let socket: Socket | TLSSocket = plain;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new UpstreamError(`the database server at ${target.host}:${target.port} did not complete the login within ${target.connectTimeoutMs} ms`));
    }, target.connectTimeoutMs);
  });
  const login = async (): Promise<UpstreamLogin> => {
    let reader = new SocketReader(plain, MAX_LOGIN_PACKET);
    const first = await reader.packet();
    if (isFramingError(first)) throw new UpstreamError(`the database server sent a malformed greeting: ${first.error}`);
    if (first.payload[0] === 0xff) {
      const error = decodeErr(first.payload);
      throw new UpstreamError(`the database server refused the connection: ${error?.message ?? 'unknown error'}`, error);
    }
    const greeting = decodeGreeting(first.payload);
    if (!greeting) throw new UpstreamError('the database server sent a greeting Sluice cannot read (protocol 10 expected)');
    if (!(greeting.capabilities & Capability.PROTOCOL_41)) throw new UpstreamError('the database server does not speak protocol 4.1');
    const serverTls = (greeting.capabilities & Capability.SSL) !== 0;
    const useTls = wantTls && serverTls;
    if (wantTls && !serverTls && target.tls !== 'prefer') {
      throw new UpstreamError(`the database server does not accept TLS, and upstream.tls is ${target.tls}`);
    }
    let capabilities = requestedCapabilities(request.capabilities, greeting.capabilities, target.database !== undefined);
    if (useTls) capabilities |= Capability.SSL;
    const mariadbCapabilities = request.mariadbCapabilities & greeting.mariadbCapabilities;
    if (mariadbCapabilities !== request.mariadbCapabilities) {
      // The client was greeted with what this listener's server offered before; this one offers less.
      const error = new UpstreamError('the database server does not offer the MariaDB capabilities the client was promised; reconnect');
      error.greeting = greeting;
      throw error;
    }
    let sequence = first.sequence + 1;
    if (useTls) {
      reader.detach();
      plain.write(framePacket(encodeSslRequest(capabilities, request.charset, MAX_PACKET_SIZE, mariadbCapabilities), sequence++));
      socket = await startTls(plain, target);
      reader = new SocketReader(socket, MAX_LOGIN_PACKET);
    }
    const password = target.password ?? '';
    const tls = useTls;
    let plugin = greeting.authPlugin;
    let scramble = greeting.scramble;
    const response = encodeHandshakeResponse({
      capabilities,
      maxPacket: MAX_PACKET_SIZE,
      charset: request.charset,
      user: target.user ?? '',
      authResponse: proofFor(plugin, password, scramble, tls),
      ...(target.database === undefined ? {} : { database: target.database }),
      authPlugin: plugin,
      attributes: request.attributes,
      mariadbCapabilities,
    });
    socket.write(framePacket(response, sequence++));
    for (;;) {
      const packet = await reader.packet();
      if (isFramingError(packet)) throw new UpstreamError(`the database server sent a malformed packet: ${packet.error}`);
      sequence = packet.sequence + 1;
      const payload = packet.payload;
      switch (payload[0]) {
        case 0x00: {
          const ok = decodeOk(payload);
          return { socket, greeting, capabilities, status: ok?.status ?? 0, mariadbCapabilities, leftover: reader.detach() };
        }
        case 0xff: {
          const error = decodeErr(payload);
          throw new UpstreamError(`the database server refused the login: ${error?.message ?? 'unknown error'}`, error);
        }
        case 0xfe: {
          const change = decodeAuthSwitch(payload);
          if (!change) throw new UpstreamError('the database server sent a malformed auth switch request');
          plugin = change.plugin;
          scramble = change.data;
          socket.write(framePacket(proofFor(plugin, password, scramble, tls), sequence));
          break;
        }
        case 0x01: {
          const data = payload.subarray(1);
          if (plugin === 'caching_sha2_password' && data.length === 1 && data[0] === 0x03) break; // fast auth: OK follows
          if (plugin === 'caching_sha2_password' && data.length === 1 && data[0] === 0x04) {
            if (tls) socket.write(framePacket(Buffer.from(`${password}\0`, 'utf8'), sequence));
            else socket.write(framePacket(Buffer.from([0x02]), sequence)); // ask for the public key
            break;
          }
          if ((plugin === 'caching_sha2_password' || plugin === 'sha256_password') && data.includes('-----BEGIN')) {
            socket.write(framePacket(encrypted(password, scramble, data), sequence));
            break;
          }
          throw new UpstreamError(`the database server sent unexpected auth data for ${plugin}`);
        }
        default:
          throw new UpstreamError(`the database server sent an unexpected packet during login (0x${(payload[0] ?? 0).toString(16)})`);
      }
    }
  };
  try {
    return await Promise.race([login(), deadline]);
  } catch (error) {
    socket.destroy();
    plain.destroy();
    if (error instanceof SocketClosedError) throw new UpstreamError('the database server closed the connection during login');
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The client's format choices, what every Sluice login needs, and only what the server offers. */
function requestedCapabilities(client: number, server: number, withDatabase: boolean): number {
  let flags =
    (client & FORMAT_CAPABILITIES) |
    Capability.LONG_PASSWORD |
    Capability.PROTOCOL_41 |
    Capability.SECURE_CONNECTION |
    Capability.PLUGIN_AUTH |
    Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA |
    Capability.CONNECT_ATTRS;
  if (withDatabase) flags |= Capability.CONNECT_WITH_DB;
  return (flags & server) >>> 0;
}

function proofFor(plugin: string, password: string, scramble: Buffer, tls: boolean): Buffer {
  switch (plugin) {
    case 'mysql_native_password':
      return nativePasswordProof(password, scramble);
    case 'caching_sha2_password':
      return cachingSha2Proof(password, scramble);
    case 'client_ed25519':
      return ed25519PasswordSignature(password, scramble).signature;
    case 'mysql_clear_password':
      if (!tls) throw new UpstreamError('the database server asks for the password in clear (mysql_clear_password) over a connection without TLS; set upstream.tls');
      return Buffer.from(`${password}\0`, 'utf8');
    case 'sha256_password':
      if (tls) return Buffer.from(`${password}\0`, 'utf8');
      return password === '' ? Buffer.from([0]) : Buffer.from([0x01]); // 0x01: send me the public key
    default:
      throw new UpstreamError(`the database server asked for an authentication method Sluice does not support (${plugin})`);
  }
}

function encrypted(password: string, scramble: Buffer, pem: Buffer): Buffer {
  try {
    return rsaEncryptPassword(password, scramble, pem);
  } catch (error) {
    throw new UpstreamError(`could not encrypt the password with the database server's RSA key: ${(error as Error).message}`);
  }
}

function connectTcp(target: Pick<UpstreamTarget, 'host' | 'port' | 'connectTimeoutMs'>): Promise<Socket> {
  return dialUpstream(target.host, target.port, target.connectTimeoutMs).catch((error: Error) => {
    throw new UpstreamError(error.message);
  });
}

async function startTls(socket: Socket, target: UpstreamTarget): Promise<TLSSocket> {
  const tlsSocket = tlsConnect({ socket, ...upstreamTlsOptions(target.host, target.tls, target.ca) });
  await tlsEstablished(tlsSocket).catch((error: Error) => {
    throw new UpstreamError(error.message, undefined, true);
  });
  return tlsSocket;
}
