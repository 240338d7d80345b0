// Bound parameters as they may be recorded: secret-looking values and values in secret positions redacted.
import { REDACTED } from './redact.js';

const TOKEN_SHAPES: readonly RegExp[] = [
  /^eyJ[\w-]+\.[\w-]+\.[\w-]*$/, // JWT
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /^(?:Bearer|Basic)\s+\S+/i,
  /^(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}$|^github_pat_\w{20,}$/, // GitHub
  /^glpat-[\w-]{20,}$/, // GitLab
  /^xox[abposr]-[\w-]{10,}$/, // Slack
  /^sk[-_](?:live|test|proj)?[-_]?[A-Za-z0-9]{20,}$/, // Stripe, OpenAI
  /^AKIA[0-9A-Z]{16}$/, // AWS access key id
  /^AIza[\w-]{30,}$/, // Google API key
  /^SCRAM-SHA-256\$\d+:/, // PostgreSQL password verifier
  /^md5[0-9a-f]{32}$/, // PostgreSQL md5 password hash
  /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/, // bcrypt
  /^\$argon2(?:id|i|d)\$/,
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for values shaped like a credential: known token formats, or long random-looking strings. */
export function looksLikeSecret(value: string): boolean {
  if (TOKEN_SHAPES.some((shape) => shape.test(value))) return true;
  if (/[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:[^@\s/]+@/i.test(value)) return true;
  return looksRandom(value);
}

/** One unbroken token mixing letters and digits that reads as random: an API key, not a word or an id. */
function looksRandom(value: string): boolean {
  if (value.length < 20 || value.length > 512 || !/^[A-Za-z0-9+/=_.~-]+$/.test(value)) return false;
  if (UUID.test(value) || !/[0-9]/.test(value) || !/[A-Za-z]/.test(value)) return false;
  if (/^[0-9a-f]+$/i.test(value)) return value.length >= 32;
  return entropyBitsPerChar(value) >= 4.2;
}

function entropyBitsPerChar(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * Parameters for the record: text as sent, binary as a length, secrets and the values of
 * secret positions as "[redacted]"; every value redacted when literals are.
 */
export function recordParams(
  params: readonly (string | Uint8Array | null)[],
  secretPositions: ReadonlySet<number>,
  redactAll: boolean,
): (string | null)[] {
  return params.map((value, index) => {
    if (value === null) return null;
    if (redactAll || secretPositions.has(index)) return REDACTED;
    if (typeof value !== 'string') return `[${value.byteLength} bytes]`;
    return looksLikeSecret(value) ? REDACTED : value;
  });
}
