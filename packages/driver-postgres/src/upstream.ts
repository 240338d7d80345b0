// The server-facing login: TCP, TLS per mode, startup, authentication, and the session parameters the server reports.
import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { dialUpstream, tlsEstablished, upstreamTlsOptions, type UpstreamTarget } from '@sluice/core';
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
    /** The TLS handshake failed, or the server refused a login made over TLS: `prefer` may try again without TLS. */
    readonly failedOverTls = false,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export async function loginUpstream(target: UpstreamTarget, parameters: ReadonlyMap<string, string>): Promise<UpstreamLogin> {
  if (target.tls !== 'prefer') return attemptLogin(target, parameters, target.tls !== 'disable');
  try {
    return await attemptLogin(target, parameters, true);
  } catch (error) {
    // Like libpq's sslmode=prefer: once more without TLS, e.g. for a role that pg_hba.conf allows only as hostnossl.
    if (!(error instanceof UpstreamError && error.failedOverTls)) throw error;
    return attemptLogin(target, parameters, false);
  }
}

async function attemptLogin(target: UpstreamTarget, parameters: ReadonlyMap<string, string>, requestTls: boolean): Promise<UpstreamLogin> {
  const plain = await connectTcp(target);
  let socket: Socket | TLSSocket = plain;
  // A server that accepts the connection and then says nothing must not hold the session forever.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new UpstreamError(`the database server at ${target.host}:${target.port} did not complete the login within ${target.connectTimeoutMs} ms`));
    }, target.connectTimeoutMs);
  });
  const login = async (): Promise<UpstreamLogin> => {
    if (requestTls) socket = await negotiateTls(plain, target);
    const reader = new SocketReader(socket, MAX_MESSAGE);
    socket.write(startupMessage(target, parameters));
    const result = await authenticate(reader, socket, target);
    return { socket, ...result, leftover: reader.detach() };
  };
  try {
    return await Promise.race([login(), deadline]);
  } catch (error) {
    socket.destroy();
    plain.destroy();
    if (error instanceof SocketClosedError) throw new UpstreamError('the database server closed the connection during login');
    if (error instanceof UpstreamError && error.serverError && socket !== plain) {
      throw new UpstreamError(error.message, error.serverError, true);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function connectTcp(target: UpstreamTarget): Promise<Socket> {
  return dialUpstream(target.host, target.port, target.connectTimeoutMs).catch((error: Error) => {
    throw new UpstreamError(error.message);
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
  const tlsSocket = tlsConnect({ socket, ...upstreamTlsOptions(target.host, target.tls, target.ca) });
  await tlsEstablished(tlsSocket).catch((error: Error) => {
    throw new UpstreamError(error.message, undefined, true);
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
        const exchange = scramStep(
          () => new ScramClientExchange({ password: password(), mechanisms, ...(certificate ? { serverCertificateDer: certificate } : {}) }),
        );
        scram = exchange;
        socket.write(serialize.sendSASLInitialResponseMessage(exchange.mechanism, scramStep(() => exchange.clientFirst()).toString('utf8')));
        break;
      }
      case 'authenticationSASLContinue': {
        const exchange = scram;
        if (!exchange) throw new UpstreamError('the database server continued a SASL exchange that never started');
        const data = Buffer.from((message as unknown as { data: string }).data, 'utf8');
        socket.write(serialize.sendSCRAMClientFinalMessage(scramStep(() => exchange.serverFirst(data)).toString('utf8')));
        break;
      }
      case 'authenticationSASLFinal': {
        const exchange = scram;
        if (!exchange) throw new UpstreamError('the database server finished a SASL exchange that never started');
        scramStep(() => exchange.serverFinal(Buffer.from((message as unknown as { data: string }).data, 'utf8')));
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

/** Runs one step of the SCRAM exchange; its errors (which never carry the password) become login errors. */
function scramStep<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError(`the SCRAM exchange with the database server failed: ${(error as Error).message}`);
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
