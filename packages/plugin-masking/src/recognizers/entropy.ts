// High-entropy secrets: only asked about values of columns whose name says secret, token or key.

/** Shannon entropy in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const HEX = /^[0-9a-f]+$/i;
const TOKEN_CHARS = /^[A-Za-z0-9+/=_.:~-]+$/;

/**
 * True for a value that looks machine-generated and secret: one word of 16+ token characters with high
 * entropy. Pure hex shorter than 32 characters is an id (a Mongo ObjectId, a short commit), not a secret.
 */
export function isHighEntropySecret(value: string): boolean {
  const word = value.trim().replace(/^(?:Bearer|Basic|Token)\s+/i, '');
  if (word.length < 16 || word.length > 8192 || !TOKEN_CHARS.test(word)) return false;
  // Paths and compound keys ("uploads/2024/avatar.png", "user:42:profile") are words, not randomness.
  const parts = word.split(/[/:._~-]/).filter(Boolean);
  if (parts.length >= 3 && parts.every((part) => /^(?:[a-z]+|\d+)$/.test(part))) return false;
  // Hex, with or without UUID dashes, carries at most 4 bits a character: judged by length instead.
  const hex = word.replace(/-/g, '');
  if (HEX.test(hex)) return hex.length >= 32 && shannonEntropy(hex) >= 3;
  const classes = Number(/[a-z]/.test(word)) + Number(/[A-Z]/.test(word)) + Number(/\d/.test(word));
  if (classes < 2) return false;
  return shannonEntropy(word) >= 3.5;
}
