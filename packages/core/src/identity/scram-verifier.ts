// SCRAM-SHA-256 password verifiers (RFC 5802/7677): derive, parse and format PostgreSQL's stored form.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { saslprepPassword } from './saslprep.js';

/** What a server stores instead of a password; enough to check a SCRAM proof, not to log in. */
export interface ScramSha256Verifier {
  readonly iterations: number;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

const KEY_LENGTH = 32;
const DEFAULT_SALT_LENGTH = 16;
// PostgreSQL keeps the iteration count in a C int.
const MAX_ITERATIONS = 2_147_483_647;

export function deriveScramSha256Verifier(
  password: string,
  salt: Buffer = randomBytes(DEFAULT_SALT_LENGTH),
  iterations = 4096,
): ScramSha256Verifier {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(`SCRAM iteration count must be an integer from 1 to ${MAX_ITERATIONS}`);
  }
  if (salt.length === 0) throw new RangeError('SCRAM salt must not be empty');
  const saltedPassword = pbkdf2Sync(saslprepPassword(password), salt, iterations, KEY_LENGTH, 'sha256');
  const clientKey = hmacSha256(saltedPassword, 'Client Key');
  return {
    iterations,
    salt: Buffer.from(salt),
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: hmacSha256(saltedPassword, 'Server Key'),
  };
}

/** Parses `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`; undefined if it is not one. */
export function parseScramSha256Verifier(text: string): ScramSha256Verifier | undefined {
  const match = /^SCRAM-SHA-256\$([1-9][0-9]{0,9}):([^$:]+)\$([^$:]+):([^$:]+)$/.exec(text);
  if (!match) return undefined;
  const [, iterationsText, saltText, storedKeyText, serverKeyText] = match;
  const iterations = Number(iterationsText);
  const salt = decodeCanonicalBase64(saltText!);
  const storedKey = decodeCanonicalBase64(storedKeyText!);
  const serverKey = decodeCanonicalBase64(serverKeyText!);
  if (iterations > MAX_ITERATIONS || !salt || salt.length === 0) return undefined;
  if (storedKey?.length !== KEY_LENGTH || serverKey?.length !== KEY_LENGTH) return undefined;
  return { iterations, salt, storedKey, serverKey };
}

export function formatScramSha256Verifier(verifier: ScramSha256Verifier): string {
  const { iterations, salt, storedKey, serverKey } = verifier;
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

function hmacSha256(key: Buffer, message: string): Buffer {
  return createHmac('sha256', key).update(message, 'utf8').digest();
}

// Node's decoder skips characters it does not know; accept only the one canonical spelling.
function decodeCanonicalBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}
