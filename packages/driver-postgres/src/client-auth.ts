// Authenticates a PostgreSQL client against Sluice's identities with SCRAM-SHA-256, as the server would.
import type { Identity, StaticUserStore } from '@sluice/core';
import { mechanismsFor, ScramServerExchange } from './auth/scram-server.js';
import { ClientCode, SqlState } from './codes.js';
import { decodeSASLInitialResponse } from './client-messages.js';
import { isFramingError } from './framing.js';
import { authenticationSASL, authenticationSASLContinue, authenticationSASLFinal, type ErrorFields } from './server-messages.js';
import type { SocketReader } from './socket-reader.js';

export type ClientAuthResult = { readonly ok: true; readonly identity: Identity } | { readonly ok: false; readonly error: ErrorFields };

export interface ClientAuthIo {
  readonly reader: SocketReader;
  write(message: Buffer): void;
  /** tls-server-end-point binding data when the client connection is TLS. */
  readonly channelBinding?: Buffer;
}

export async function authenticateClient(io: ClientAuthIo, users: StaticUserStore, user: string): Promise<ClientAuthResult> {
  const credential = users.find(user);
  const verifier = credential ? credential.scramSha256() : users.mockScramSha256(user);
  const exchange = new ScramServerExchange(
    verifier,
    io.channelBinding ? { channelBinding: { type: 'tls-server-end-point', data: io.channelBinding } } : {},
  );
  const failed = (): ClientAuthResult => ({
    ok: false,
    error: { severity: 'FATAL', code: SqlState.invalidPassword, message: `password authentication failed for user "${user}"` },
  });

  io.write(authenticationSASL(mechanismsFor(io.channelBinding !== undefined)));
  const initial = await passwordMessage(io.reader);
  if (!initial.ok) return initial;
  const first = decodeSASLInitialResponse(initial.body);
  if (!first) return protocolViolation('malformed SASLInitialResponse message');
  const serverFirst = exchange.clientFirst(first.mechanism, first.data);
  if (!serverFirst.ok) return failed();
  io.write(authenticationSASLContinue(serverFirst.serverFirst));

  const response = await passwordMessage(io.reader);
  if (!response.ok) return response;
  const serverFinal = exchange.clientFinal(response.body);
  if (!serverFinal.ok || !credential) return failed();
  io.write(authenticationSASLFinal(serverFinal.serverFinal));
  return { ok: true, identity: credential.identity };
}

async function passwordMessage(reader: SocketReader): Promise<{ ok: true; body: Buffer } | { ok: false; error: ErrorFields }> {
  const frame = await reader.message();
  if (isFramingError(frame)) return protocolViolation(frame.error);
  if (frame.code !== ClientCode.Password) {
    return protocolViolation(`expected SASL response, got message type 0x${frame.code.toString(16)}`);
  }
  return { ok: true, body: frame.body };
}

function protocolViolation(message: string): { ok: false; error: ErrorFields } {
  return { ok: false, error: { severity: 'FATAL', code: SqlState.protocolViolation, message } };
}
