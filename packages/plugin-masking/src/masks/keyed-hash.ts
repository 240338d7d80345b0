// The keyed deterministic hash behind the `hash` strategy: HMAC-SHA256, so equal inputs give equal tokens.
import { createHmac, createSecretKey } from 'node:crypto';
import type { SensitiveType } from '../sensitive-types.js';

/** Hash key material; kept in a closure so it never shows up when options or plugin objects are logged. */
export interface HashKey {
  digest(type: SensitiveType, normalized: string): Buffer;
}

export function createHashKey(secret: string): HashKey {
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return {
    // The type is part of the input so an email and a phone number never share a token.
    digest: (type, normalized) => createHmac('sha256', key).update(`${type}\u0000${normalized}`).digest(),
  };
}

/** Hex characters taken from a digest (up to 64). */
export function hexOf(digest: Buffer, length: number): string {
  return digest.toString('hex').slice(0, length);
}

/** A decimal digit for position `i`, cycling through the digest. */
export function digitAt(digest: Buffer, i: number): string {
  return String(digest[i % digest.length]! % 10);
}
