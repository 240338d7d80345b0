// The server-facing login: TCP, TLS per mode, startup, authentication, and the session parameters the server reports.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { UpstreamTarget } from '@sluice/core';
import { serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { Parser } from 'pg-protocol/dist/parser.js';
import { md5PasswordHash } from './auth/md5.js';
import { ScramClientExchange } from './auth/scram-client.js';
import { MAX_MESSAGE, RequestCode, ServerCode } from './codes.js';
import { isFramingError, type Frame } from './framing.js';
import { SocketClosedError, SocketReader } from './socket-reader.js';
import { MessageWriter } from './writer.js';

export interface UpstreamLogin {
  readonly socket: Socket | TLSSocket;
  /** ParameterStatus and NoticeResponse messages the server sent during login, to forward as they are. */
  readonly greeting: readonly Buffer[];
  readonly processId: number;
  readonly secretKey: Buffer;
  readonly transactionStatus: number;
  /** Bytes the server sent after ReadyForQuery (normally none). */
  readonly leftover: Buffer;
}

/** Login failed: `serverError` is set when the server itself refused (its SQLSTATE and message). */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly serverError?: { code: string; message: string; severity: string },
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export async function loginUpstream(target: UpstreamTarget, parameters: ReadonlyMap<string, string>): Promise<UpstreamLogin> {
  let socket: Socket | TLSSocket = await connectTcp(target);
  try {
    if (target.tls !== 'disable') socket = await negotiateTls(socket, target);
    const reader = new SocketReader(socket, MAX_MESSAGE);
    socket.write(startupMessage(target, parameters));
    const login = await authenticate(reader, socket, target);
    return { socket, ...login, leftover: reader.detach() };
  } catch (error) {
    socket.destroy();
    if (error instanceof SocketClosedError) throw new UpstreamError('the database server closed the connection during login');
    throw error;
  }
}

function connectTcp(target: UpstreamTarget): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: target.host, port: target.port, noDelay: true, keepAlive: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new UpstreamError(`connecting to ${target.host}:${target.port} timed out`));
    }, target.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new UpstreamError(`cannot connect to ${target.host}:${target.port}: ${error.code ?? error.message}`));
    });
  });
}

async function negotiateTls(socket: Socket, target: UpstreamTarget): Promise<Socket | TLSSocket> {
  socket.write(serialize.requestSsl());
  const answer = await readOneByte(socket);
  if (answer === 0x4e /* N */) {
    if (target.tls === 'prefer') return socket;
    throw new UpstreamError(`the database server does not accept TLS, and upstream.tls is ${target.tls}`);
  }
  if (answer !== 0x53 /* S */) throw new UpstreamError('the database server answered the TLS request with an unexpected byte');
  const verify = target.tls === 'verify-full';
  const tlsSocket = tlsConnect({
    socket,
    ...(isIP(target.host) ? {} : { servername: target.host }),
    rejectUnauthorized: verify,
    ...(target.ca === undefined ? {} : { ca: target.ca }),
  });
  await new Promise<void>((resolve, reject) => {
    tlsSocket.once('secureConnect', () => {
      tlsSocket.removeAllListeners('error');
      resolve();
    });
    tlsSocket.once('error', (error) => reject(new UpstreamError(`TLS with the database server failed: ${error.message}`)));
  });
  return tlsSocket;
}

function readOneByte(socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      cleanup();
      // The server must not send anything after its one-byte answer before the handshake.
      if (chunk.length !== 1) reject(new UpstreamError('the database server sent unexpected data after the TLS answer'));
      else resolve(chunk[0]!);
    };
    const onClose = () => {
      cleanup();
      reject(new UpstreamError('the database server closed the connection during the TLS request'));
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
    };
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/** StartupMessage with the client's parameters as given; user and database are the mapped ones. */
function startupMessage(target: UpstreamTarget, parameters: ReadonlyMap<string, string>): Buffer {
  const writer = new MessageWriter(0, 256).int32(RequestCode.Protocol30);
  const merged = new Map(parameters);
  merged.delete('user');
  merged.delete('database');
  if (target.user !== undefined) writer.cstring('user').cstring(target.user);
  if (target.database !== undefined) writer.cstring('database').cstring(target.database);
  for (const [name, value] of merged) writer.cstring(name).cstring(value);
  const message = writer.byte(0).finish();
  // The startup packet has no type byte: drop the placeholder code.
  const untyped = message.subarray(1);
  untyped.writeInt32BE(untyped.length, 0);
  return untyped;
}

async function authenticate(reader: SocketReader, socket: Socket | TLSSocket, target: UpstreamTarget) {
  const greeting: Buffer[] = [];
  let processId = 0;
  let secretKey = Buffer.alloc(4);
  let scram: ScramClientExchange | undefined;
  const password = () => {
    if (target.password === undefined) {
      throw new UpstreamError(`the database server asks a password for ${target.user ?? 'the user'}, and the listener's upstream has none`);
    }
    return target.password;
  };
  for (;;) {
    const frame = await reader.message();
    if (isFramingError(frame)) throw new UpstreamError(`the database server sent a malformed message: ${frame.error}`);
    if (frame.code === ServerCode.ParameterStatus || frame.code === ServerCode.NoticeResponse) {
      greeting.push(Buffer.from(frame.raw));
      continue;
    }
    if (frame.code === ServerCode.BackendKeyData) {
      processId = frame.body.readInt32BE(0);
      secretKey = Buffer.from(frame.body.subarray(4));
      continue;
    }
    if (frame.code === ServerCode.NegotiateProtocolVersion) continue; // we asked for 3.0 with no options: nothing to adjust
    if (frame.code === ServerCode.ReadyForQuery) {
      return { greeting, processId, secretKey, transactionStatus: frame.body[0]! };
    }
    const message = decode(frame);
    switch (message.name) {
      case 'authenticationOk':
        break;
      case 'authenticationCleartextPassword':
        socket.write(serialize.password(password()));
        break;
      case 'authenticationMD5Password':
        socket.write(serialize.password(md5PasswordHash(target.user ?? '', password(), (message as unknown as { salt: Buffer }).salt)));
        break;
      case 'authenticationSASL': {
        const mechanisms = (message as unknown as { mechanisms: string[] }).mechanisms;
        const certificate = 'getPeerCertificate' in socket ? socket.getPeerCertificate()?.raw : undefined;
        scram = new ScramClientExchange({ password: password(), mechanisms, ...(certificate ? { serverCertificateDer: certificate } : {}) });
        socket.write(serialize.sendSASLInitialResponseMessage(scram.mechanism, scram.clientFirst().toString('utf8')));
        break;
      }
      case 'authenticationSASLContinue': {
        if (!scram) throw new UpstreamError('the database server continued a SASL exchange that never started');
        const data = Buffer.from((message as unknown as { data: string }).data, 'utf8');
        socket.write(serialize.sendSCRAMClientFinalMessage(scram.serverFirst(data).toString('utf8')));
        break;
      }
      case 'authenticationSASLFinal': {
        if (!scram) throw new UpstreamError('the database server finished a SASL exchange that never started');
        scram.serverFinal(Buffer.from((message as unknown as { data: string }).data, 'utf8'));
        break;
      }
      case 'error': {
        const error = message as unknown as { code: string; message: string; severity: string };
        throw new UpstreamError(`the database server refused the login: ${error.message}`, {
          code: error.code,
          message: error.message,
          severity: error.severity,
        });
      }
      default:
        throw new UpstreamError(`the database server asked for an authentication method Sluice does not support (${message.name})`);
    }
  }
}

/** Decodes one login-phase message with pg-protocol's parser. */
function decode(frame: Frame): BackendMessage {
  let decoded: BackendMessage | undefined;
  new Parser().parse(frame.raw, (message) => {
    decoded = message;
  });
  if (!decoded) throw new UpstreamError('the database server sent a message Sluice cannot decode');
  return decoded;
}

/** Sends a CancelRequest for a backend over a new connection, as PostgreSQL requires. */
export async function cancelUpstream(target: UpstreamTarget, processId: number, secretKey: Buffer): Promise<void> {
  const socket = await connectTcp(target);
  const message = Buffer.alloc(12 + secretKey.length);
  message.writeInt32BE(message.length, 0);
  message.writeInt32BE(RequestCode.CancelRequest, 4);
  message.writeInt32BE(processId, 8);
  secretKey.copy(message, 12);
  await new Promise<void>((resolve) => {
    socket.end(message, () => resolve());
  });
  socket.destroy();
}
