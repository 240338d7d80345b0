// Server side of a SCRAM-SHA-256(-PLUS) exchange, checking a client's proof as PostgreSQL's backend (auth-scram.c) does.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeCanonicalBase64, hmacSha256, isAttribute, isPrintable } from './scram-syntax.js';
import {
  SCRAM_SHA_256,
  SCRAM_SHA_256_PLUS,
  type ScramSha256Verifier,
  type TlsServerEndPointBinding,
} from './scram-types.js';

export interface ScramServerOptions {
  /** Binding data of this server's TLS certificate; supplying it offers SCRAM-SHA-256-PLUS. */
  readonly channelBinding?: TlsServerEndPointBinding;
  /** Fixed server part of the nonce, to reproduce test vectors. Default: 18 random bytes in base64, like PostgreSQL. */
  readonly serverNonce?: string;
}

export type ScramServerFirstResult = { ok: true; serverFirst: Buffer } | { ok: false; reason: string };
export type ScramServerFinalResult = { ok: true; serverFinal: Buffer } | { ok: false; reason: string };

/** The SASL mechanisms to advertise in AuthenticationSASL, best first. */
export function mechanismsFor(channelBinding: boolean): string[] {
  return channelBinding ? [SCRAM_SHA_256_PLUS, SCRAM_SHA_256] : [SCRAM_SHA_256];
}

const KEY_LENGTH = 32;
const SERVER_NONCE_BYTES = 18;
const TLS_SERVER_END_POINT = 'tls-server-end-point';

/** Thrown inside this module only; the public methods turn it into `{ ok: false, reason }`. */
class ScramRejection extends Error {}

function reject(reason: string): never {
  throw new ScramRejection(reason);
}

type ChannelBindingFlag = 'n' | 'y' | 'p';

interface ClientFirstMessage {
  readonly flag: ChannelBindingFlag;
  readonly bindingType: string | undefined;
  readonly gs2Header: string;
  readonly bare: string;
  readonly clientNonce: string;
}

type ExchangeState =
  | { readonly step: 'awaiting-client-first' }
  | {
      readonly step: 'awaiting-client-final';
      readonly clientFirst: ClientFirstMessage;
      readonly serverFirst: string;
      readonly nonce: string;
    }
  | { readonly step: 'finished' };

export class ScramServerExchange {
  readonly #verifier: ScramSha256Verifier;
  readonly #channelBinding: TlsServerEndPointBinding | undefined;
  readonly #serverNonce: string | undefined;
  #state: ExchangeState = { step: 'awaiting-client-first' };

  constructor(verifier: ScramSha256Verifier, options: ScramServerOptions = {}) {
    const { iterations, salt, storedKey, serverKey } = verifier;
    if (!Number.isInteger(iterations) || iterations < 1 || salt.length === 0) {
      throw new TypeError('SCRAM verifier has an invalid iteration count or an empty salt');
    }
    if (storedKey.length !== KEY_LENGTH || serverKey.length !== KEY_LENGTH) {
      throw new TypeError(`SCRAM verifier keys must be ${KEY_LENGTH} bytes`);
    }
    if (options.channelBinding && options.channelBinding.data.length === 0) {
      throw new TypeError('channel-binding data must not be empty');
    }
    if (options.serverNonce !== undefined && !isPrintable(options.serverNonce)) {
      throw new TypeError('server nonce must be non-empty printable ASCII without commas');
    }
    this.#verifier = verifier;
    this.#channelBinding = options.channelBinding;
    this.#serverNonce = options.serverNonce;
  }

  /** Handles SASLInitialResponse: the chosen mechanism and the client-first-message. */
  clientFirst(mechanism: string, message: Buffer): ScramServerFirstResult {
    if (this.#state.step !== 'awaiting-client-first') {
      return this.#fail('client-first-message received out of order');
    }
    try {
      if (!mechanismsFor(this.#channelBinding !== undefined).includes(mechanism)) {
        reject(`unsupported SASL mechanism ${JSON.stringify(mechanism.slice(0, 64))}`);
      }
      const clientFirst = parseClientFirst(message.toString('latin1'));
      this.#checkChannelBindingChoice(mechanism, clientFirst);

      const nonce = clientFirst.clientNonce + (this.#serverNonce ?? randomBytes(SERVER_NONCE_BYTES).toString('base64'));
      const { salt, iterations } = this.#verifier;
      const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
      this.#state = { step: 'awaiting-client-final', clientFirst, serverFirst, nonce };
      return { ok: true, serverFirst: Buffer.from(serverFirst, 'latin1') };
    } catch (error) {
      return this.#fail(reasonFrom(error));
    }
  }

  /** Handles SASLResponse: the client-final-message with the proof. */
  clientFinal(message: Buffer): ScramServerFinalResult {
    const state = this.#state;
    if (state.step !== 'awaiting-client-final') {
      return this.#fail('client-final-message received out of order');
    }
    try {
      const fields = splitAttributes(message.toString('latin1'), 'client-final-message');
      const [channelBindingField, nonceField] = fields;
      if (fields.length < 3 || !channelBindingField?.startsWith('c=') || !nonceField?.startsWith('r=')) {
        reject('malformed client-final-message: expected c=, r= and p= attributes');
      }
      this.#checkChannelBindingData(channelBindingField.slice(2), state.clientFirst);
      if (nonceField.slice(2) !== state.nonce) reject('nonce in client-final-message does not match the exchange');

      const proofIndex = fields.findIndex((field) => field.startsWith('p='));
      if (proofIndex === -1) reject('client-final-message has no proof (p=)');
      if (proofIndex !== fields.length - 1) reject('unexpected data after the proof in client-final-message');
      const proof = decodeCanonicalBase64(fields[proofIndex]!.slice(2));
      if (proof?.length !== KEY_LENGTH) reject('malformed proof in client-final-message');

      const clientFinalWithoutProof = fields.slice(0, proofIndex).join(',');
      const authMessage = Buffer.from(
        `${state.clientFirst.bare},${state.serverFirst},${clientFinalWithoutProof}`,
        'latin1',
      );
      if (!this.#proofIsValid(proof, authMessage)) reject('password authentication failed: wrong SCRAM proof');

      this.#state = { step: 'finished' };
      const serverSignature = hmacSha256(this.#verifier.serverKey, authMessage);
      return { ok: true, serverFinal: Buffer.from(`v=${serverSignature.toString('base64')}`, 'latin1') };
    } catch (error) {
      return this.#fail(reasonFrom(error));
    }
  }

  #checkChannelBindingChoice(mechanism: string, { flag, bindingType }: ClientFirstMessage): void {
    if (mechanism === SCRAM_SHA_256_PLUS) {
      if (flag !== 'p') reject('client selected SCRAM-SHA-256-PLUS but its message does not use channel binding');
      if (bindingType !== TLS_SERVER_END_POINT) {
        reject(`unsupported channel-binding type ${JSON.stringify(bindingType?.slice(0, 64))}`);
      }
      return;
    }
    if (flag === 'p') reject('client selected SCRAM-SHA-256 without channel binding but its message requests it');
    // 'y' means "I could bind but you did not offer it". We did offer it, so someone removed
    // SCRAM-SHA-256-PLUS from the advertisement on the way: a downgrade attempt.
    if (flag === 'y' && this.#channelBinding) {
      reject('client supports channel binding but thinks the server does not, although SCRAM-SHA-256-PLUS was offered');
    }
  }

  #checkChannelBindingData(encoded: string, clientFirst: ClientFirstMessage): void {
    const received = decodeCanonicalBase64(encoded);
    if (!received) reject('channel-binding attribute in client-final-message is not valid base64');
    const bindingData = clientFirst.flag === 'p' ? this.#channelBinding!.data : Buffer.alloc(0);
    const expected = Buffer.concat([Buffer.from(clientFirst.gs2Header, 'latin1'), bindingData]);
    if (!received.equals(expected)) reject('channel-binding data in client-final-message does not match');
  }

  #proofIsValid(proof: Buffer, authMessage: Buffer): boolean {
    const clientSignature = hmacSha256(this.#verifier.storedKey, authMessage);
    const clientKey = Buffer.alloc(KEY_LENGTH);
    for (let index = 0; index < KEY_LENGTH; index++) clientKey[index] = proof[index]! ^ clientSignature[index]!;
    const storedKey = createHash('sha256').update(clientKey).digest();
    return timingSafeEqual(storedKey, this.#verifier.storedKey);
  }

  #fail(reason: string): { ok: false; reason: string } {
    this.#state = { step: 'finished' };
    return { ok: false, reason };
  }
}

function parseClientFirst(text: string): ClientFirstMessage {
  const fields = splitAttributes(text, 'client-first-message');
  const [flagField = '', authorizationIdentity = '', ...bareFields] = fields;
  const [userField, nonceField, ...extensions] = bareFields;

  let flag: ChannelBindingFlag;
  let bindingType: string | undefined;
  if (flagField === 'n' || flagField === 'y') flag = flagField;
  else if (flagField.startsWith('p=') && flagField.length > 2) {
    flag = 'p';
    bindingType = flagField.slice(2);
  } else reject('malformed GS2 header in client-first-message');
  if (authorizationIdentity !== '') {
    reject(
      authorizationIdentity.startsWith('a=')
        ? 'client uses an authorization identity, which is not supported'
        : 'malformed GS2 header in client-first-message',
    );
  }
  if (userField?.startsWith('m=')) reject('client requires an unsupported SCRAM extension');
  // PostgreSQL ignores the SCRAM user name (the startup packet names the role), and so do we.
  if (!userField?.startsWith('n=')) reject('client-first-message has no user name attribute (n=)');
  if (!nonceField?.startsWith('r=')) reject('client-first-message has no nonce (r=)');
  const clientNonce = nonceField.slice(2);
  if (!isPrintable(clientNonce)) reject('client nonce is empty or not printable ASCII');
  if (!extensions.every(isAttribute)) reject('malformed attribute in client-first-message');

  return {
    flag,
    bindingType,
    gs2Header: `${flagField},${authorizationIdentity},`,
    bare: bareFields.join(','),
    clientNonce,
  };
}

function splitAttributes(text: string, messageName: string): string[] {
  // PostgreSQL reads these messages as C strings; a NUL would make us hash something else.
  if (text.includes('\0')) reject(`${messageName} contains a NUL byte`);
  return text.split(',');
}

function reasonFrom(error: unknown): string {
  if (error instanceof ScramRejection) return error.message;
  return 'malformed SCRAM message';
}
