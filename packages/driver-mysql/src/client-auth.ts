// Authenticates a MySQL client as a server would.
//
// Every login by scramble is checked first against the secrets a MySQL server stores (core's
// mysqlScrambleSecrets): mysql_native_password as sent, or caching_sha2_password's fast path, so a
// right password never crosses the wire. A scramble that does not verify is treated as MySQL 8 treats
// a cache miss: Sluice asks for the password itself (caching_sha2_password full authentication: in
// clear over TLS, RSA-encrypted otherwise) and checks it with the user store. Users configured with a
// SCRAM verifier have no scramble secrets and unknown names none at all: both are checked against
// core's mock secrets, which never verify, so the exchange up to the final OK or ERR is the same for
// every name and depends only on whether the scramble verified.
// A token (identity.oidc) is long and checked by the identity provider, so it travels in clear
// only: over TLS, or plaintext from loopback when the config allows it.
import type { KeyObject } from 'node:crypto';
import type { ConnectionContext, Identity, MysqlScrambleSecrets, StaticUserStore } from '@sluice/core';
import { rsaDecryptPassword, verifyCachingSha2Proof, verifyNativePasswordProof } from './auth/scramble.js';
import { Capability, ErrorCode } from './constants.js';
import { isFramingError } from './framing.js';
import { encodeAuthSwitch, type HandshakeResponse } from './handshake.js';
import type { ErrPacket } from './packets.js';
import type { SocketReader } from './socket-reader.js';

type TokenLogin = NonNullable<ConnectionContext['oidc']>;

export const CACHING_SHA2 = 'caching_sha2_password';
export const CLEAR_PASSWORD = 'mysql_clear_password';
export const NATIVE_PASSWORD = 'mysql_native_password';
/** caching_sha2_password "more data" statuses. */
const FAST_AUTH_SUCCESS = 0x03;
const PERFORM_FULL_AUTHENTICATION = 0x04;
const REQUEST_PUBLIC_KEY = 0x02;
/** Size of a ciphertext under Sluice's 2048-bit RSA key. */
const RSA_CIPHER_BYTES = 256;

/** How a client proved who it is; logged with every login. */
export type ClientAuthMethod =
  | 'mysql_native_password'
  | 'caching_sha2_password fast path'
  | 'caching_sha2_password with an empty password'
  | 'caching_sha2_password full authentication over TLS'
  | 'caching_sha2_password full authentication with RSA'
  | 'caching_sha2_password full authentication in clear from loopback'
  | 'mysql_clear_password';

export type ClientAuthResult =
  | { readonly ok: true; readonly identity: Identity; readonly method: ClientAuthMethod }
  | {
      readonly ok: false;
      /** What the client is told: MySQL's own wording. */
      readonly error: ErrPacket;
      /** Why, for the log and the refusal report; never contains a secret. */
      readonly reason: string;
    };

/** The login exchange after the client's HandshakeResponse: packets with the sequence ids continuing. */
export interface AuthChannel {
  read(): Promise<Buffer | { error: string }>;
  send(payload: Buffer): void;
  readonly reader: SocketReader;
}

export interface ClientAuthSetup {
  readonly channel: AuthChannel;
  readonly tls: boolean;
  /** The 20-byte scramble of the greeting. */
  readonly scramble: Buffer;
  readonly clientAddress: string;
  /** The RSA key pair for caching_sha2_password without TLS. */
  rsaKey(): Promise<{ privateKey: KeyObject; publicKeyPem: string }>;
}

export interface ClientAuthIdentities {
  readonly users: StaticUserStore;
  readonly oidc?: TokenLogin;
}

/** A token can be several kilobytes; the login packets may grow to this size. */
const MAX_TOKEN_PACKET = 65_535 + 64;

export async function authenticateClient(setup: ClientAuthSetup, identities: ClientAuthIdentities, response: HandshakeResponse): Promise<ClientAuthResult> {
  const user = response.user;
  const denied = (reason: string, usingPassword = true): ClientAuthResult => ({
    ok: false,
    error: { ...codeOf(ErrorCode.accessDenied), message: `Access denied for user '${user}'@'${setup.clientAddress}' (using password: ${usingPassword ? 'YES' : 'NO'})` },
    reason,
  });
  const credential = identities.users.find(user);
  if (!credential && identities.oidc) {
    const oidc = identities.oidc;
    const allowed = oidc.allowed(setup.tls);
    if (!allowed.ok) return { ok: false, error: { ...codeOf(ErrorCode.accessDenied), message: `sluice: ${allowed.reason}` }, reason: allowed.reason };
    setup.channel.reader.framer.setMaxPayload(MAX_TOKEN_PACKET);
    const token = await clearSecret(setup, response, true);
    if (!token.ok) return token.failure ?? denied(token.reason);
    if (token.secret === '') return denied('no token was sent', false);
    const result = await oidc.authenticate(token.secret);
    if (result.ok) return { ok: true, identity: result.identity, method: token.method };
    return denied(`token refused: ${result.reason}`);
  }
  if (pluginOf(response) === CLEAR_PASSWORD) {
    const password = await clearSecret(setup, response, false);
    if (!password.ok) return password.failure ?? denied(password.reason);
    return checkClearPassword(password);
  }
  // Verifier users have no scramble secrets: they get the mock ones, like unknown names, so nothing
  // before the final packet tells them apart from a known user with a wrong password.
  const realSecrets = credential?.mysqlScrambleSecrets();
  const scrambled = await checkScramble(setup, response, realSecrets ?? identities.users.mockMysqlScrambleSecrets(user));
  if (!scrambled.ok) return scrambled.failure ?? denied(scrambled.reason);
  if (scrambled.outcome === 'verified' && credential && realSecrets) {
    if (scrambled.method === 'caching_sha2_password fast path') setup.channel.send(Buffer.from([0x01, FAST_AUTH_SUCCESS]));
    return { ok: true, identity: credential.identity, method: scrambled.method };
  }
  if (scrambled.outcome === 'empty') return checkClearPassword({ secret: '', method: scrambled.method });
  // Not verified: ask for the password, as MySQL 8 does on a cache miss.
  if (scrambled.method === 'mysql_native_password') {
    if (!scrambled.canSwitch) return denied(credential ? `wrong password for user "${user}" (mysql_native_password)` : `unknown user "${user}"`);
    const password = await switchToCachingSha2(setup);
    if (!password.ok) return password.failure ?? denied(password.reason);
    return checkClearPassword(password);
  }
  const password = await fullAuthentication(setup);
  if (!password.ok) return password.failure ?? denied(password.reason);
  return checkClearPassword(password);

  function checkClearPassword(password: { secret: string; method: ClientAuthMethod }): ClientAuthResult {
    const checked = identities.users.checkPassword(user, password.secret);
    if (checked) return { ok: true, identity: checked.identity, method: password.method };
    return denied(credential ? `wrong password for user "${user}" (${password.method})` : `unknown user "${user}"`, password.secret !== '');
  }
}

/** The plugin the client's first answer was made for (clients without plugin auth use mysql_native_password). */
function pluginOf(response: HandshakeResponse): string {
  return response.capabilities & Capability.PLUGIN_AUTH ? (response.authPlugin ?? '') : NATIVE_PASSWORD;
}

type ScrambleCheck =
  | {
      ok: true;
      /** `empty`: the client sent no scramble, which stands for the empty password. */
      outcome: 'verified' | 'not verified' | 'empty';
      method: 'mysql_native_password' | 'caching_sha2_password fast path' | 'caching_sha2_password with an empty password';
      /** Whether an AuthSwitchRequest may still be sent. */
      canSwitch: boolean;
    }
  | { ok: false; reason: string; failure?: ClientAuthResult };

/**
 * Checks the client's scramble against the secrets, as a server does for an account of that plugin.
 * The client's first answer is used when it was made for mysql_native_password or caching_sha2_password;
 * otherwise Sluice sends an AuthSwitchRequest to caching_sha2_password, the greeting's plugin, with the
 * same scramble. That includes an empty mysql_native_password answer from a client that can switch:
 * libmariadb sends one when its plugin is not the greeting's (it expects a switch), Connector/J for an
 * empty password; switching everyone to the same plugin keeps the exchange the same for every name.
 * Sends nothing else: the caller answers a verified or failed fast path.
 */
async function checkScramble(setup: ClientAuthSetup, response: HandshakeResponse, secrets: MysqlScrambleSecrets): Promise<ScrambleCheck> {
  let plugin = pluginOf(response);
  let proof = response.authResponse;
  let canSwitch = (response.capabilities & Capability.PLUGIN_AUTH) !== 0;
  const needsSwitch = plugin === NATIVE_PASSWORD ? proof.length === 0 && canSwitch : plugin !== CACHING_SHA2;
  if (needsSwitch) {
    setup.channel.send(encodeAuthSwitch(CACHING_SHA2, Buffer.concat([setup.scramble, Buffer.from([0])])));
    const answer = await setup.channel.read();
    if (!Buffer.isBuffer(answer)) return protocolFailure(answer.error);
    plugin = CACHING_SHA2;
    proof = answer;
    canSwitch = false;
  }
  if (plugin === NATIVE_PASSWORD) {
    if (proof.length === 0) return { ok: true, outcome: 'empty', method: 'mysql_native_password', canSwitch };
    const verified = verifyNativePasswordProof(proof, setup.scramble, secrets.nativePassword);
    return { ok: true, outcome: verified ? 'verified' : 'not verified', method: 'mysql_native_password', canSwitch };
  }
  // An empty answer (or a lone NUL) is the empty password, answered with OK or ERR alone, as servers do.
  if (proof.length === 0 || (proof.length === 1 && proof[0] === 0)) {
    return { ok: true, outcome: 'empty', method: 'caching_sha2_password with an empty password', canSwitch };
  }
  const verified = verifyCachingSha2Proof(proof, setup.scramble, secrets.cachingSha2);
  return { ok: true, outcome: verified ? 'verified' : 'not verified', method: 'caching_sha2_password fast path', canSwitch };
}

type Secret = { ok: true; secret: string; method: ClientAuthMethod } | { ok: false; reason: string; failure?: ClientAuthResult };

/** The password (or token) in the clear, by the safest exchange the connection allows. */
async function clearSecret(setup: ClientAuthSetup, response: HandshakeResponse, token: boolean): Promise<Secret> {
  const plugin = pluginOf(response);
  const channel = setup.channel;
  if (plugin === CLEAR_PASSWORD) {
    // Already sent: refuse it over plaintext off loopback, so nobody gets used to it.
    if (!setup.tls && !token && !isLoopbackAddress(setup.clientAddress)) {
      return { ok: false, reason: 'mysql_clear_password over a connection without TLS (accepted only from loopback)' };
    }
    return { ok: true, secret: untilNul(response.authResponse), method: CLEAR_PASSWORD };
  }
  if (token && !setup.tls) {
    // Plaintext token login (loopback, allowed by the config): RSA cannot carry a token, ask for it in clear.
    channel.send(encodeAuthSwitch(CLEAR_PASSWORD, Buffer.alloc(0)));
    const answer = await channel.read();
    if (!Buffer.isBuffer(answer)) return protocolFailure(answer.error);
    return { ok: true, secret: untilNul(answer), method: CLEAR_PASSWORD };
  }
  if (plugin === CACHING_SHA2) {
    // An empty scramble response is caching_sha2_password's way of sending an empty password.
    if (response.authResponse.length === 0) return { ok: true, secret: '', method: 'caching_sha2_password with an empty password' };
    return fullAuthentication(setup);
  }
  return switchToCachingSha2(setup);
}

/** An AuthSwitchRequest to caching_sha2_password (same scramble), then full authentication unless the answer is empty. */
async function switchToCachingSha2(setup: ClientAuthSetup): Promise<Secret> {
  setup.channel.send(encodeAuthSwitch(CACHING_SHA2, Buffer.concat([setup.scramble, Buffer.from([0])])));
  const answer = await setup.channel.read();
  if (!Buffer.isBuffer(answer)) return protocolFailure(answer.error);
  // An empty scramble response is caching_sha2_password's way of sending an empty password.
  if (answer.length === 0) return { ok: true, secret: '', method: 'caching_sha2_password with an empty password' };
  return fullAuthentication(setup);
}

/** caching_sha2_password full authentication: the client sends the password itself. */
async function fullAuthentication(setup: ClientAuthSetup): Promise<Secret> {
  const channel = setup.channel;
  channel.send(Buffer.from([0x01, PERFORM_FULL_AUTHENTICATION]));
  const answer = await channel.read();
  if (!Buffer.isBuffer(answer)) return protocolFailure(answer.error);
  if (setup.tls) return { ok: true, secret: untilNul(answer), method: 'caching_sha2_password full authentication over TLS' };
  const key = await setup.rsaKey();
  if (answer.length === 1 && answer[0] === REQUEST_PUBLIC_KEY) {
    channel.send(Buffer.concat([Buffer.from([0x01]), Buffer.from(key.publicKeyPem, 'latin1')]));
    const encrypted = await channel.read();
    if (!Buffer.isBuffer(encrypted)) return protocolFailure(encrypted.error);
    const password = rsaDecryptPassword(encrypted, setup.scramble, key.privateKey);
    if (password === undefined) return { ok: false, reason: 'the RSA-encrypted password did not decrypt with the server key' };
    return { ok: true, secret: password, method: 'caching_sha2_password full authentication with RSA' };
  }
  const password = answer.length === RSA_CIPHER_BYTES ? rsaDecryptPassword(answer, setup.scramble, key.privateKey) : undefined;
  if (password !== undefined) return { ok: true, secret: password, method: 'caching_sha2_password full authentication with RSA' };
  // Some clients (libmariadb built without RSA) send the password in clear even without TLS.
  if (isLoopbackAddress(setup.clientAddress)) return { ok: true, secret: untilNul(answer), method: 'caching_sha2_password full authentication in clear from loopback' };
  return { ok: false, reason: 'the client sent its password in clear over a connection without TLS (accepted only from loopback); use TLS' };
}

function protocolFailure(error: string): { ok: false; reason: string; failure: ClientAuthResult } {
  return {
    ok: false,
    reason: error,
    failure: { ok: false, error: { ...codeOf(ErrorCode.badHandshake), message: `sluice: ${error}` }, reason: `protocol violation: ${error}` },
  };
}

function untilNul(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}

export function codeOf(entry: { code: number; state: string }): { code: number; state: string } {
  return { code: entry.code, state: entry.state };
}

/** Reads one login packet as an AuthChannel read. */
export async function readLoginPacket(reader: SocketReader, expectSequence: (sequence: number) => void): Promise<Buffer | { error: string }> {
  const packet = await reader.packet();
  if (isFramingError(packet)) return { error: packet.error };
  expectSequence(packet.sequence);
  return packet.payload;
}

/** A remote address that never left the machine (127.0.0.0/8, ::1). */
export function isLoopbackAddress(address: string): boolean {
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return plain.startsWith('127.') || plain === '::1';
}
