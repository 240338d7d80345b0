// Authenticates a PostgreSQL client as the server would: SCRAM-SHA-256 for static users, an OIDC token otherwise.
import type { ConnectionContext, Identity, StaticUserStore } from '@sluice/core';
import { mechanismsFor, ScramServerExchange } from './auth/scram-server.js';
import { ClientCode, SqlState } from './codes.js';
import { decodePassword, decodeSASLInitialResponse } from './client-messages.js';
import { isFramingError } from './framing.js';
import {
  authenticationCleartextPassword,
  authenticationSASL,
  authenticationSASLContinue,
  authenticationSASLFinal,
  type ErrorFields,
} from './server-messages.js';
import type { SocketReader } from './socket-reader.js';

type TokenLogin = NonNullable<ConnectionContext['oidc']>;

export type ClientAuthResult =
  | { readonly ok: true; readonly identity: Identity }
  | {
      readonly ok: false;
      /** What the client is told: PostgreSQL's own wording, no details. */
      readonly error: ErrorFields;
      /** Why, for Sluice's log and the refusal report; never contains a secret. */
      readonly reason: string;
      /** False for an OAUTHBEARER discovery request: the client expects it to fail and comes back with a token. */
      readonly report: boolean;
    };

export interface ClientAuthIo {
  readonly reader: SocketReader;
  write(message: Buffer): void;
  /** Whether the client connection is TLS. */
  readonly tls: boolean;
  /** tls-server-end-point binding data when the client connection is TLS. */
  readonly channelBinding?: Buffer;
}

/** What core offers for authentication. */
export interface ClientAuthIdentities {
  readonly users: StaticUserStore;
  readonly oidc?: TokenLogin;
}

/** The SASL mechanism of RFC 7628, as PostgreSQL 18 speaks it. */
const OAUTHBEARER = 'OAUTHBEARER';
/** PostgreSQL's limit for an OAUTHBEARER message (PG_MAX_AUTH_TOKEN_LENGTH); tokens outgrow startup's limit. */
const MAX_TOKEN_MESSAGE = 65_535 + 64;
/** RFC 7628's key/value separator. */
const KVSEP = 0x01;

/**
 * A static user signs in with SCRAM-SHA-256 (an unknown name goes through the same exchange when
 * there is no OIDC, so names cannot be probed). With identity.oidc, any other name signs in with a
 * token: as the password (AuthenticationCleartextPassword), or with SASL OAUTHBEARER when the config
 * offers it; only over TLS, or plaintext from loopback when the config allows it.
 */
export async function authenticateClient(io: ClientAuthIo, identities: ClientAuthIdentities, user: string): Promise<ClientAuthResult> {
  const credential = identities.users.find(user);
  if (!credential && identities.oidc) return authenticateToken(io, identities.oidc, user);
  return authenticateScram(io, identities.users, user);
}

async function authenticateScram(io: ClientAuthIo, users: StaticUserStore, user: string): Promise<ClientAuthResult> {
  const credential = users.find(user);
  const verifier = credential ? credential.scramSha256() : users.mockScramSha256(user);
  const exchange = new ScramServerExchange(
    verifier,
    io.channelBinding ? { channelBinding: { type: 'tls-server-end-point', data: io.channelBinding } } : {},
  );
  const message = `password authentication failed for user "${user}"`;
  const failed = (): ClientAuthResult => ({
    ok: false,
    error: { severity: 'FATAL', code: SqlState.invalidPassword, message },
    reason: message,
    report: true,
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

async function authenticateToken(io: ClientAuthIo, oidc: TokenLogin, user: string): Promise<ClientAuthResult> {
  // Refuse before asking: the token must never cross a plaintext connection.
  const allowed = oidc.allowed(io.tls);
  if (!allowed.ok) {
    return { ok: false, error: { severity: 'FATAL', code: SqlState.invalidAuthorization, message: `sluice: ${allowed.reason}` }, reason: allowed.reason, report: true };
  }
  io.reader.framer.setMaxMessage(MAX_TOKEN_MESSAGE);
  return oidc.saslOAuthBearer ? authenticateOAuthBearer(io, oidc, user) : authenticateTokenPassword(io, oidc, user);
}

/** The token as the password: every client can send one (psql with PGPASSWORD, any driver). */
async function authenticateTokenPassword(io: ClientAuthIo, oidc: TokenLogin, user: string): Promise<ClientAuthResult> {
  io.write(authenticationCleartextPassword());
  const frame = await passwordMessage(io.reader);
  if (!frame.ok) return frame;
  const token = decodePassword(frame.body);
  if (token === undefined) return protocolViolation('malformed password message');
  const result = await oidc.authenticate(token);
  if (result.ok) return { ok: true, identity: result.identity };
  return {
    ok: false,
    error: { severity: 'FATAL', code: SqlState.invalidPassword, message: `password authentication failed for user "${user}"` },
    reason: `token refused: ${result.reason}`,
    report: true,
  };
}

/**
 * SASL OAUTHBEARER (RFC 7628) as PostgreSQL 18 runs it: the initial response carries
 * `auth=Bearer <token>`; an empty `auth` asks where to get one. A refusal answers with the JSON
 * error naming the discovery document and scope, waits for the client's single kvsep, then fails.
 */
async function authenticateOAuthBearer(io: ClientAuthIo, oidc: TokenLogin, user: string): Promise<ClientAuthResult> {
  io.write(authenticationSASL([OAUTHBEARER]));
  const initial = await passwordMessage(io.reader);
  if (!initial.ok) return initial;
  const selected = decodeSASLInitialResponse(initial.body);
  if (!selected) return protocolViolation('malformed SASLInitialResponse message');
  if (selected.mechanism !== OAUTHBEARER) return protocolViolation('client selected an invalid SASL authentication mechanism');
  let data = selected.data;
  if (data.length === 0) {
    // No initial response: an empty challenge asks for it.
    io.write(authenticationSASLContinue(Buffer.alloc(0)));
    const response = await passwordMessage(io.reader);
    if (!response.ok) return response;
    data = response.body;
  }
  const parsed = parseOAuthBearerResponse(data);
  if (!parsed.ok) return protocolViolation(`malformed OAUTHBEARER message: ${parsed.error}`);

  const message = `OAuth bearer authentication failed for user "${user}"`;
  let reason: string;
  let report = true;
  if (parsed.auth === '') {
    reason = 'OAuth discovery request';
    report = false;
  } else {
    const token = bearerToken(parsed.auth);
    if (token === undefined) {
      reason = 'token refused: the auth value is not "Bearer <token>"';
    } else {
      const result = await oidc.authenticate(token);
      if (result.ok) return { ok: true, identity: result.identity };
      reason = `token refused: ${result.reason}`;
    }
  }
  io.write(authenticationSASLContinue(Buffer.from(JSON.stringify({ status: 'invalid_token', 'openid-configuration': oidc.discoveryUrl, scope: oidc.scope }))));
  const dummy = await passwordMessage(io.reader);
  if (!dummy.ok) return dummy;
  if (dummy.body.length !== 1 || dummy.body[0] !== KVSEP) return protocolViolation('malformed OAUTHBEARER message: client did not send a kvsep response');
  return { ok: false, error: { severity: 'FATAL', code: SqlState.invalidAuthorization, message }, reason, report };
}

type OAuthBearerResponse = { ok: true; auth: string } | { ok: false; error: string };

/** `gs2-header kvsep *(key=value kvsep) kvsep`, checked as PostgreSQL's auth-oauth.c checks it. */
export function parseOAuthBearerResponse(data: Buffer): OAuthBearerResponse {
  if (data.includes(0)) return { ok: false, error: 'message contains a NUL byte' };
  const text = data.toString('latin1');
  const flag = text[0];
  if (flag === 'p') return { ok: false, error: 'OAUTHBEARER has no channel binding, but the client sent channel binding data' };
  if (flag !== 'n' && flag !== 'y') return { ok: false, error: 'unexpected channel-binding flag' };
  if (text[1] !== ',') return { ok: false, error: 'comma expected after the channel-binding flag' };
  if (text[2] === 'a') return { ok: false, error: 'authorization identities (a=) are not supported' };
  if (text[2] !== ',') return { ok: false, error: 'unexpected attribute in the GS2 header' };
  if (text.charCodeAt(3) !== KVSEP) return { ok: false, error: 'key-value separator expected after the GS2 header' };
  let position = 4;
  let auth: string | undefined;
  for (;;) {
    const end = text.indexOf('\x01', position);
    if (end === -1) return { ok: false, error: 'unterminated key/value pair' };
    if (end === position) {
      if (end + 1 !== text.length) return { ok: false, error: 'additional data after the final terminator' };
      return auth === undefined ? { ok: false, error: 'no auth value' } : { ok: true, auth };
    }
    const pair = text.slice(position, end);
    const equals = pair.indexOf('=');
    if (equals === -1) return { ok: false, error: 'key without a value' };
    const key = pair.slice(0, equals);
    const value = pair.slice(equals + 1);
    if (!/^[A-Za-z]+$/.test(key)) return { ok: false, error: 'invalid key name' };
    if (!/^[\x21-\x7e \t\r\n]*$/.test(value)) return { ok: false, error: 'invalid value' };
    if (key === 'auth') {
      if (auth !== undefined) return { ok: false, error: 'multiple auth values' };
      auth = value;
    }
    position = end + 1;
  }
}

/** The token of an RFC 6750 `Bearer` credential (scheme case-insensitive), if it has b64token syntax. */
function bearerToken(auth: string): string | undefined {
  const match = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(auth);
  return match?.[1];
}

async function passwordMessage(reader: SocketReader): Promise<{ ok: true; body: Buffer } | Extract<ClientAuthResult, { ok: false }>> {
  const frame = await reader.message();
  if (isFramingError(frame)) return protocolViolation(frame.error);
  if (frame.code !== ClientCode.Password) {
    return protocolViolation(`expected an authentication response, got message type 0x${frame.code.toString(16)}`);
  }
  return { ok: true, body: frame.body };
}

function protocolViolation(message: string): Extract<ClientAuthResult, { ok: false }> {
  return { ok: false, error: { severity: 'FATAL', code: SqlState.protocolViolation, message }, reason: message, report: true };
}
