// Masks a whole value of a known type under a strategy, so that the result is valid for the column's type.
import type { TypeClass } from '../column-types.js';
import type { SensitiveType, Strategy } from '../sensitive-types.js';
import type { HashKey } from './keyed-hash.js';
import { digitAt } from './keyed-hash.js';
import { hashText, keepYear, partialText, REDACTED, truncateIp, zeroIp } from './text-masks.js';

/** The strategies that change a value. */
export type MaskingStrategy = Exclude<Strategy, 'none'>;

/** Masks for one type under one strategy, as text (`null` means SQL NULL). */
export function maskTextValue(value: string, type: SensitiveType, strategy: MaskingStrategy, key: HashKey | undefined): string | null {
  switch (strategy) {
    case 'null':
      return null;
    case 'redact':
      return REDACTED;
    case 'partial':
      return partialText(value, type);
    case 'hash':
      return key ? hashText(value, type, key) : REDACTED;
  }
}

/**
 * A whole-value mask for a column of a non-text class: digits for numbers, a date for dates, an address
 * for inet. JSON and arrays are handled by walking their elements (see text/), not here.
 */
export function maskTypedValue(
  value: string,
  type: SensitiveType,
  strategy: MaskingStrategy,
  typeClass: TypeClass,
  key: HashKey | undefined,
): string | null {
  if (strategy === 'null') return null;
  switch (typeClass) {
    case 'number':
      return maskNumber(value, type, strategy, key);
    case 'date':
    case 'timestamp':
      return maskDate(value, strategy, typeClass, key);
    case 'inet':
      if (strategy === 'redact') return zeroIp(value);
      if (strategy === 'partial') return truncateIp(value) ?? zeroIp(value);
      return key ? hashText(value, 'ip', key) : zeroIp(value);
    case 'opaque':
      // A bool, uuid or bytea has no masked form that keeps its meaning: it is withheld.
      return null;
    default:
      return maskTextValue(value, type, strategy, key);
  }
}

function maskNumber(value: string, type: SensitiveType, strategy: MaskingStrategy, key: HashKey | undefined): string {
  const digits = value.replace(/\D/g, '');
  if (strategy === 'partial') return String(Number(digits.slice(-4)) || 0);
  if (strategy === 'hash' && key && digits.length > 0) {
    const digest = key.digest(type, digits);
    let out = '';
    for (let i = 0; i < Math.min(digits.length, 18); i++) out += digitAt(digest, i);
    return out.replace(/^0/, '1');
  }
  return '0';
}

const EPOCH = '1900-01-01';

/** Dates keep their year (partial), become 1900-01-01 (redact), or a date derived from the hash. */
function maskDate(value: string, strategy: MaskingStrategy, typeClass: TypeClass, key: HashKey | undefined): string {
  const fallback = typeClass === 'timestamp' ? `${EPOCH} 00:00:00` : EPOCH;
  if (strategy === 'redact' || !key) return strategy === 'partial' ? (keepYear(value) ?? fallback) : fallback;
  if (strategy === 'partial') return keepYear(value) ?? fallback;
  return hashText(value, 'dob', key);
}
