// RFC 5802 message syntax shared by both sides of a SCRAM exchange.
import { createHmac } from 'node:crypto';

export function isAttribute(field: string): boolean {
  return /^[A-Za-z]=/.test(field);
}

/** RFC 5802 `printable`: %x21-2B / %x2D-7E, at least one. */
export function isPrintable(text: string): boolean {
  return /^[\x21-\x2b\x2d-\x7e]+$/.test(text);
}

// Node's decoder skips characters it does not know; accept only the one canonical spelling.
export function decodeCanonicalBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

export function hmacSha256(key: Buffer, message: Buffer): Buffer {
  return createHmac('sha256', key).update(message).digest();
}
