// The server-facing login: TCP, PRELOGIN with encryption per the upstream TLS mode, TLS inside PRELOGIN, LOGIN7, and the login response.
import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { dialUpstream, upstreamTlsOptions, type UpstreamTarget } from '@sluice/core';
import { Encryption, EnvChangeType, INITIAL_PACKET_SIZE, MAX_PACKET_SIZE, PacketType } from './codes.js';
import { encodeLogin7, type Login7Fields } from './login7.js';
import { isFramingError, packetize, type Message } from './packet.js';
import { decodePrelogin, encodePrelogin, PreloginOption, versionOption } from './prelogin.js';
import { SocketClosedError, SocketReader } from './socket-reader.js';
import { PreloginTlsBridge } from './tls-bridge.js';
import { TokenStream, type StreamToken } from './token-stream.js';
import { TokenError, type ServerMessageToken } from './tokens.js';

export interface UpstreamLogin {
  readonly socket: Socket | TLSSocket;
  /** Bytes read after the login response. */
  readonly leftover: Buffer;
  /** Every token of the login response, in order. */
  readonly tokens: readonly StreamToken[];
  readonly packetSize: number;
  readonly encrypted: boolean;
}

/** Login failed; `serverError` when the server itself refused the login. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly serverError?: ServerMessageToken,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** How many routing redirections the upstream login follows before giving up. */
const MAX_REDIRECTS = 3;

export async function loginUpstream(target: UpstreamTarget, login: Login7Fields): Promise<UpstreamLogin> {
  let host = target.host;
  let port = target.port;
  for (let hop = 0; ; hop++) {
    const result = await attemptLogin(target, host, port, login);
    if ('routing' in result) {
      // Routing (Azure gateways, read replicas): Sluice follows it itself, so the client never leaves the proxy.
      if (hop >= MAX_REDIRECTS) throw new UpstreamError('the database server redirected the login too many times');
      host = result.routing.host;
      port = result.routing.port;
      continue;
    }
    return result;
  }
}

async function attemptLogin(
  target: UpstreamTarget,
  host: string,
  port: number,
  login: Login7Fields,
): Promise<UpstreamLogin | { routing: { host: string; port: number } }> {
  const plain = await connectTcp(host, port, target.connectTimeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new UpstreamError(`the database server at ${host}:${port} did not complete the login within ${target.connectTimeoutMs} ms`)),
      target.connectTimeoutMs,
    );
  });
  try {
    return await Promise.race([exchange(plain, target, host, login), deadline]);
  } catch (error) {
    plain.destroy();
    if (error instanceof SocketClosedError) throw new UpstreamError(`the database server at ${host}:${port} closed the connection during login`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function exchange(plain: Socket, target: UpstreamTarget, host: string, login: Login7Fields): Promise<UpstreamLogin | { routing: { host: string; port: number } }> {
  const wanted = target.tls === 'disable' ? Encryption.NotSupported : target.tls === 'prefer' ? Encryption.Off : Encryption.On;
  plain.write(
    packetize(
      PacketType.PreLogin,
      encodePrelogin([
        [PreloginOption.Version, versionOption(0, 1, 0)],
        [PreloginOption.Encryption, Buffer.from([wanted])],
        [PreloginOption.InstOpt, Buffer.from([0])],
        [PreloginOption.ThreadId, Buffer.alloc(4)],
        [PreloginOption.Mars, Buffer.from([0])],
      ]),
      INITIAL_PACKET_SIZE,
    ),
  );
  let reader = new SocketReader(plain, MAX_PACKET_SIZE, 64 * 1024);
  const response = await reader.message();
  if (isFramingError(response)) throw new UpstreamError(`malformed PRELOGIN response from the database server: ${response.error}`);
  const prelogin = decodePrelogin(response.payload);
  if (!prelogin) throw new UpstreamError('malformed PRELOGIN response from the database server');
  const offered = prelogin.encryption ?? Encryption.NotSupported;
  let mode: 'none' | 'login' | 'full';
  if (wanted === Encryption.NotSupported) {
    if (offered === Encryption.Required || offered === Encryption.On) throw new UpstreamError('the database server requires encryption but upstream.tls is disable');
    mode = 'none';
  } else if (offered === Encryption.NotSupported) {
    if (wanted === Encryption.On) throw new UpstreamError(`the database server does not support encryption but upstream.tls is ${target.tls}`);
    mode = 'none';
  } else {
    mode = wanted === Encryption.On || offered === Encryption.On || offered === Encryption.Required ? 'full' : 'login';
  }

  let socket: Socket | TLSSocket = plain;
  let bridge: PreloginTlsBridge | undefined;
  if (mode !== 'none') {
    const leftover = reader.detach();
    bridge = new PreloginTlsBridge(plain, leftover);
    const tls = tlsConnect({
      socket: bridge as unknown as Socket,
      maxVersion: 'TLSv1.2',
      ...(target.tls === 'verify-full' ? upstreamTlsOptions(host, target.tls, target.ca) : { rejectUnauthorized: false }),
    });
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', resolve);
      tls.once('error', reject);
      tls.once('close', () => reject(new UpstreamError('the database server closed the connection during the TLS handshake')));
    }).catch((error: Error) => {
      tls.destroy();
      throw error instanceof UpstreamError ? error : new UpstreamError(`TLS with the database server failed: ${error.message}`);
    });
    tls.removeAllListeners('close');
    tls.removeAllListeners('error');
    tls.on('error', () => undefined);
    bridge.handshakeDone();
    socket = tls;
  }

  const payload = encodeLogin7(login);
  if (mode === 'login') {
    // Only LOGIN7 is encrypted: write it through TLS, then both sides continue in plaintext.
    await new Promise<void>((resolve, reject) => socket.write(packetize(PacketType.Login7, payload, INITIAL_PACKET_SIZE), (error) => (error ? reject(error) : resolve())));
    const rest = bridge!.bypass();
    socket = plain;
    reader = new SocketReader(plain, MAX_PACKET_SIZE, 1 << 20, rest);
  } else {
    socket.write(packetize(PacketType.Login7, payload, INITIAL_PACKET_SIZE));
    if (mode === 'full') reader = new SocketReader(socket, MAX_PACKET_SIZE, 1 << 20);
    else reader.assembler.setMaxMessage(1 << 20);
  }

  const answer = await reader.message();
  if (isFramingError(answer)) throw new UpstreamError(`malformed login response from the database server: ${answer.error}`);
  const tokens = loginTokens(answer);
  const error = tokens.find((token) => token.kind === 'error');
  const ack = tokens.find((token) => token.kind === 'loginack');
  const routing = tokens.find((token) => token.kind === 'envchange' && token.type === EnvChangeType.Routing);
  if (routing && routing.kind === 'envchange') {
    const route = decodeRouting(routing.body);
    socket.destroy();
    if (!route) throw new UpstreamError('malformed routing ENVCHANGE from the database server');
    return { routing: route };
  }
  if (!ack) {
    const message = error && error.kind === 'error' ? error : undefined;
    throw new UpstreamError(message ? `the database server refused the login: ${message.message}` : 'the database server did not acknowledge the login', message);
  }
  let packetSize = login.packetSize || INITIAL_PACKET_SIZE;
  for (const token of tokens) {
    if (token.kind === 'envchange' && token.type === EnvChangeType.PacketSize) {
      const size = Number(envChangeNewText(token.body));
      if (Number.isInteger(size) && size >= 512 && size <= MAX_PACKET_SIZE) packetSize = size;
    }
  }
  const leftover = reader.detach();
  socket.pause();
  return { socket, leftover, tokens, packetSize, encrypted: mode === 'full' };
}

function loginTokens(message: Message): StreamToken[] {
  const stream = new TokenStream();
  stream.push(message.payload);
  const tokens: StreamToken[] = [];
  try {
    for (let token = stream.next(); token; token = stream.next()) tokens.push(token);
  } catch (error) {
    if (error instanceof TokenError) throw new UpstreamError(`malformed login response from the database server: ${error.message}`);
    throw error;
  }
  if (stream.pending > 0) throw new UpstreamError('truncated login response from the database server');
  return tokens;
}

/** The new value of an ENVCHANGE with B_VARCHAR values (body starts at the type byte). */
export function envChangeNewText(body: Buffer): string {
  const chars = body[1] ?? 0;
  return body.toString('utf16le', 2, 2 + chars * 2);
}

/** ENVCHANGE 20: new value = length (2), protocol (1, 0 = TCP), port (2), server (US_VARCHAR). */
export function decodeRouting(body: Buffer): { host: string; port: number } | undefined {
  if (body.length < 8) return undefined;
  const protocol = body[3];
  if (protocol !== 0) return undefined;
  const port = body.readUInt16LE(4);
  const chars = body.readUInt16LE(6);
  if (8 + chars * 2 > body.length) return undefined;
  const server = body.toString('utf16le', 8, 8 + chars * 2);
  return { host: server.split('\\')[0]!, port };
}

function connectTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return dialUpstream(host, port, timeoutMs).catch((error: Error) => {
    throw new UpstreamError(error.message);
  });
}
