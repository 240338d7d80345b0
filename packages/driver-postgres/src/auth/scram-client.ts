// Client side of a SCRAM-SHA-256(-PLUS) exchange, used when Sluice logs in to the upstream PostgreSQL.
import { saslprepPassword } from '@sluice/core';
import { tlsServerEndPointHash } from './tls-server-end-point.js';
import { createHash, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SCRAM_SHA_256, SCRAM_SHA_256_PLUS, type ScramMechanism } from './scram-types.js';
import { decodeCanonicalBase64, hmacSha256, isAttribute, isPrintable } from './scram-syntax.js';

export interface ScramClientOptions {
  readonly password: string;
  /** The mechanisms the server offered in AuthenticationSASL. */
  readonly mechanisms: readonly string[];
  /** DER of the server's certificate when the connection is TLS; enables SCRAM-SHA-256-PLUS. */
  readonly serverCertificateDer?: Buffer;
  /** Sent as `n=`. PostgreSQL ignores it (the startup packet names the role), so libpq sends it empty. */
  readonly username?: string;
  /** Fixed client nonce, to reproduce test vectors. Default: 18 random bytes in base64, like libpq. */
  readonly clientNonce?: string;
}

const KEY_LENGTH = 32;
const CLIENT_NONCE_BYTES = 18;
// PostgreSQL keeps the iteration count in a C int.
// pbkdf2 blocks the event loop; a hostile or misconfigured server must not stall the proxy.
const MAX_ITERATIONS = 1_000_000;

type ExchangeStep = 'initial' | 'sent-client-first' | 'sent-client-final' | 'finished' | 'failed';

export class ScramClientExchange {
  readonly mechanism: ScramMechanism;
  readonly #gs2Header: string;
  readonly #bindingData: Buffer;
  readonly #clientFirstBare: Buffer;
  readonly #clientNonce: string;
  #password: string | undefined;
  #expectedServerSignature: Buffer | undefined;
  #step: ExchangeStep = 'initial';

  constructor(options: ScramClientOptions) {
    const { mechanisms, serverCertificateDer } = options;
    if (serverCertificateDer && mechanisms.includes(SCRAM_SHA_256_PLUS)) {
      this.mechanism = SCRAM_SHA_256_PLUS;
      this.#gs2Header = 'p=tls-server-end-point,,';
      this.#bindingData = tlsServerEndPointHash(serverCertificateDer);
    } else if (mechanisms.includes(SCRAM_SHA_256)) {
      this.mechanism = SCRAM_SHA_256;
      // 'y': we could bind, but the server did not offer it; a server that does support it refuses
      // this, which defeats an attacker who stripped SCRAM-SHA-256-PLUS from the offer.
      this.#gs2Header = serverCertificateDer ? 'y,,' : 'n,,';
      this.#bindingData = Buffer.alloc(0);
    } else {
      const offered = mechanisms.map((mechanism) => JSON.stringify(mechanism.slice(0, 64))).join(', ') || 'none';
      throw new Error(`SCRAM: the server offers no SASL mechanism Sluice supports (offered: ${offered})`);
    }

    this.#clientNonce = options.clientNonce ?? randomBytes(CLIENT_NONCE_BYTES).toString('base64');
    if (!isPrintable(this.#clientNonce)) {
      throw new TypeError('SCRAM client nonce must be non-empty printable ASCII without commas');
    }
    const username = (options.username ?? '').replaceAll('=', '=3D').replaceAll(',', '=2C');
    this.#clientFirstBare = Buffer.from(`n=${username},r=${this.#clientNonce}`, 'utf8');
    this.#password = options.password;
  }

  /** The client-first-message, for SASLInitialResponse. */
  clientFirst(): Buffer {
    this.#expectStep('initial', 'clientFirst');
    this.#step = 'sent-client-first';
    return Buffer.concat([Buffer.from(this.#gs2Header, 'latin1'), this.#clientFirstBare]);
  }

  /** Checks the server-first-message and returns the client-final-message, for SASLResponse. */
  serverFirst(message: Buffer): Buffer {
    this.#expectStep('sent-client-first', 'serverFirst');
    try {
      const { nonce, salt, iterations } = this.#parseServerFirst(message);
      const saltedPassword = pbkdf2Sync(saslprepPassword(this.#password!), salt, iterations, KEY_LENGTH, 'sha256');
      this.#password = undefined;

      const channelBinding = Buffer.concat([Buffer.from(this.#gs2Header, 'latin1'), this.#bindingData]);
      const clientFinalWithoutProof = `c=${channelBinding.toString('base64')},r=${nonce}`;
      const authMessage = Buffer.concat([
        this.#clientFirstBare,
        Buffer.from(','),
        message,
        Buffer.from(`,${clientFinalWithoutProof}`, 'latin1'),
      ]);
      const clientKey = hmacSha256(saltedPassword, Buffer.from('Client Key'));
      const storedKey = createHash('sha256').update(clientKey).digest();
      const clientSignature = hmacSha256(storedKey, authMessage);
      const proof = Buffer.alloc(KEY_LENGTH);
      for (let index = 0; index < KEY_LENGTH; index++) proof[index] = clientKey[index]! ^ clientSignature[index]!;
      const serverKey = hmacSha256(saltedPassword, Buffer.from('Server Key'));
      this.#expectedServerSignature = hmacSha256(serverKey, authMessage);

      this.#step = 'sent-client-final';
      return Buffer.from(`${clientFinalWithoutProof},p=${proof.toString('base64')}`, 'latin1');
    } catch (error) {
      this.#abandon();
      throw error;
    }
  }

  /** Checks the server-final-message; throws unless the server proved it holds the verifier. */
  serverFinal(message: Buffer): void {
    this.#expectStep('sent-client-final', 'serverFinal');
    try {
      const fields = splitAttributes(message, 'server-final-message');
      const [signatureField = '', ...extensions] = fields;
      if (signatureField.startsWith('e=')) {
        throw protocolError(`the server rejected the exchange: ${JSON.stringify(signatureField.slice(2, 100))}`);
      }
      if (!signatureField.startsWith('v=')) throw protocolError('server-final-message has no server signature (v=)');
      const signature = decodeCanonicalBase64(signatureField.slice(2));
      if (signature?.length !== KEY_LENGTH) throw protocolError('server-final-message has a malformed server signature');
      if (!extensions.every(isAttribute)) throw protocolError('server-final-message has a malformed attribute');
      if (!timingSafeEqual(signature, this.#expectedServerSignature!)) {
        throw protocolError('the server signature is wrong: the server does not know this password (possible impersonation)');
      }
      this.#step = 'finished';
    } catch (error) {
      this.#abandon();
      throw error;
    }
  }

  #parseServerFirst(message: Buffer): { nonce: string; salt: Buffer; iterations: number } {
    const fields = splitAttributes(message, 'server-first-message');
    const [nonceField = '', saltField = '', iterationsField = '', ...extensions] = fields;
    if (nonceField.startsWith('m=')) throw protocolError('the server requires an unsupported SCRAM extension');

    if (!nonceField.startsWith('r=')) throw protocolError('server-first-message has no nonce (r=)');
    const nonce = nonceField.slice(2);
    if (!isPrintable(nonce)) throw protocolError('server-first-message has a nonce that is not printable ASCII');
    if (!nonce.startsWith(this.#clientNonce) || nonce.length === this.#clientNonce.length) {
      throw protocolError('server-first-message nonce does not extend the client nonce');
    }

    if (!saltField.startsWith('s=')) throw protocolError('server-first-message has no salt (s=)');
    const salt = decodeCanonicalBase64(saltField.slice(2));
    if (!salt || salt.length === 0) throw protocolError('server-first-message has a salt that is not valid base64');

    if (!iterationsField.startsWith('i=')) throw protocolError('server-first-message has no iteration count (i=)');
    const iterationsText = iterationsField.slice(2);
    const iterations = /^[0-9]{1,10}$/.test(iterationsText) ? Number(iterationsText) : Number.NaN;
    if (!(iterations >= 1 && iterations <= MAX_ITERATIONS)) {
      throw protocolError(`server-first-message has an invalid iteration count ${JSON.stringify(iterationsText.slice(0, 20))}`);
    }

    if (!extensions.every(isAttribute)) throw protocolError('server-first-message has a malformed attribute');
    return { nonce, salt, iterations };
  }

  #expectStep(step: ExchangeStep, method: string): void {
    if (this.#step !== step) throw new Error(`SCRAM: ${method}() called out of order (exchange is ${this.#step})`);
  }

  #abandon(): void {
    this.#step = 'failed';
    this.#password = undefined;
  }
}

function protocolError(problem: string): Error {
  return new Error(`SCRAM: ${problem}`);
}

function splitAttributes(message: Buffer, messageName: string): string[] {
  if (message.includes(0)) throw protocolError(`${messageName} contains a NUL byte`);
  return message.toString('latin1').split(',');
}

