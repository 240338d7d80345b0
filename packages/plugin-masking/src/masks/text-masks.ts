// Masks for text: the fixed redaction, the partial form of each type, and the keyed hash token of each type.
import { isIPv4, isIPv6 } from 'node:net';
import { luhnValid } from '../recognizers/card.js';
import type { SensitiveType } from '../sensitive-types.js';
import { digitAt, hexOf, type HashKey } from './keyed-hash.js';

/**
 * The fixed mask. Only `*`: valid inside JSON strings, unquoted PostgreSQL array elements, CSV and email
 * local parts, and it never looks like a value a recognizer would find again.
 */
export const REDACTED = '********';

const MASK = '*';

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlnum = (c: number) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** Replaces every digit (or letter, with `alnum`) except the last `keep` of them; separators stay. */
function maskAllButLast(value: string, keep: number, alnum: boolean): string {
  const isTarget = alnum ? isAlnum : isDigit;
  let total = 0;
  for (let i = 0; i < value.length; i++) if (isTarget(value.charCodeAt(i))) total++;
  let seen = 0;
  let out = '';
  let copied = 0;
  for (let i = 0; i < value.length && seen < total - keep; i++) {
    if (!isTarget(value.charCodeAt(i))) continue;
    seen++;
    out += value.slice(copied, i) + MASK;
    copied = i + 1;
  }
  return out + value.slice(copied);
}

function digitCount(value: string): number {
  let count = 0;
  for (let i = 0; i < value.length; i++) if (isDigit(value.charCodeAt(i))) count++;
  return count;
}

/** Partial mask of a whole value of a type; a value that does not look like its type is redacted. */
export function partialText(value: string, type: SensitiveType): string {
  switch (type) {
    case 'email': {
      const at = value.lastIndexOf('@');
      return at > 0 && at < value.length - 1 ? `****${value.slice(at)}` : REDACTED;
    }
    case 'card':
      return digitCount(value) >= 12 ? maskAllButLast(value, 4, false) : REDACTED;
    case 'phone':
      return digitCount(value) >= 7 ? maskAllButLast(value, 4, false) : REDACTED;
    case 'ssn':
      return digitCount(value) === 9 ? maskAllButLast(value, 4, false) : REDACTED;
    case 'iban': {
      const compact = value.replace(/\s/g, '');
      if (compact.length < 12 || !/^[A-Za-z]{2}/.test(compact)) return REDACTED;
      return value.slice(0, 2) + maskAllButLast(value.slice(2), 4, true);
    }
    case 'ip':
      return truncateIp(value) ?? REDACTED;
    case 'dob':
      return keepYear(value) ?? REDACTED;
    case 'custom':
      return value.length >= 12 ? `****${value.slice(-4)}` : REDACTED;
    default:
      return REDACTED;
  }
}

/** Keyed hash token of a whole value, shaped like the type where a shape matters. */
export function hashText(value: string, type: SensitiveType, key: HashKey): string {
  switch (type) {
    case 'email':
      return `${hexOf(key.digest(type, value.trim().toLowerCase()), 16)}@hashed.invalid`;
    case 'card':
    case 'phone': {
      if (digitCount(value) < 7) break;
      const digest = key.digest(type, value.replace(/\D/g, ''));
      let i = 0;
      const hashed = value.replace(/\d/g, () => digitAt(digest, i++));
      // A hashed card number fails the Luhn check, so it is never mistaken for (or found again as) a card.
      return type === 'card' && luhnValid(hashed.replace(/\D/g, '')) ? bumpLastDigit(hashed) : hashed;
    }
    case 'ssn': {
      const digest = key.digest(type, value.replace(/\D/g, ''));
      // Area 9xx is never issued: a hashed SSN cannot be a real one.
      return `9${digitAt(digest, 0)}${digitAt(digest, 1)}-${digitAt(digest, 2)}${digitAt(digest, 3)}-${[4, 5, 6, 7].map((i) => digitAt(digest, i)).join('')}`;
    }
    case 'iban': {
      const compact = value.replace(/\s/g, '').toUpperCase();
      if (compact.length < 12) break;
      const digest = key.digest(type, compact);
      // Check digits 00 never pass mod-97: a hashed IBAN cannot be a real one.
      let body = '';
      for (let i = 4; i < compact.length; i++) body += digitAt(digest, i);
      return `${compact.slice(0, 2)}00${body}`;
    }
    case 'ip':
      return hashIp(value, key) ?? `h_${hexOf(key.digest(type, value), 16)}`;
    case 'dob': {
      const digest = key.digest(type, value.trim());
      const year = 1930 + (digest.readUInt16BE(0) % 80);
      const day = digest.readUInt16BE(2) % 365;
      const date = new Date(Date.UTC(year, 0, 1 + day));
      return keepYear(value, date) ?? date.toISOString().slice(0, 10);
    }
    default:
      break;
  }
  return `h_${hexOf(key.digest(type, value), 16)}`;
}

function bumpLastDigit(text: string): string {
  const index = text.search(/\d(?=\D*$)/);
  const digit = Number(text[index]);
  return text.slice(0, index) + String((digit + 1) % 10) + text.slice(index + 1);
}

/** IPv4 to its /24, IPv6 to its /48; a `/nn` prefix length is kept. Undefined when not an address. */
export function truncateIp(value: string): string | undefined {
  const [address = '', prefix] = value.trim().split('/', 2);
  const suffix = prefix === undefined ? '' : `/${prefix}`;
  if (isIPv4(address)) return `${address.slice(0, address.lastIndexOf('.'))}.0${suffix}`;
  if (isIPv6(address)) {
    const groups = expandIpv6(address);
    return groups ? `${groups.slice(0, 3).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::${suffix}` : undefined;
  }
  return undefined;
}

/** The zero address of the value's family, for redacting inet values. */
export function zeroIp(value: string): string {
  const [address = '', prefix] = value.trim().split('/', 2);
  return (isIPv6(address) ? '::' : '0.0.0.0') + (prefix === undefined ? '' : `/${prefix}`);
}

function hashIp(value: string, key: HashKey): string | undefined {
  const [address = '', prefix] = value.trim().split('/', 2);
  const suffix = prefix === undefined ? '' : `/${prefix}`;
  if (isIPv4(address)) {
    const d = key.digest('ip', address);
    return `10.${d[0]}.${d[1]}.${d[2]}${suffix}`;
  }
  if (isIPv6(address)) {
    const d = key.digest('ip', address.toLowerCase());
    const groups = [0, 1, 2, 3, 4, 5, 6].map((i) => d.readUInt16BE(i * 2).toString(16));
    return `fd00:${groups.join(':')}${suffix}`;
  }
  return undefined;
}

function expandIpv6(address: string): string[] | undefined {
  let text = address.split('%', 1)[0]!;
  // An embedded IPv4 tail counts as two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const parts = v4[1]!.split('.').map(Number);
    text = text.slice(0, v4.index) + ((parts[0]! << 8) | parts[1]!).toString(16) + ':' + ((parts[2]! << 8) | parts[3]!).toString(16);
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  if (tail === undefined && missing !== 0) return undefined;
  return [...headGroups, ...Array<string>(Math.max(0, missing)).fill('0'), ...tailGroups];
}

/**
 * Keeps a date's year and sets month and day to 01 and any time of day to zero, in the value's own
 * format (ISO `1987-06-15`, `15.06.1987`, `06/15/1987`, with or without a time). With `replacement`,
 * writes that date in the value's format instead. Undefined when the value holds no 4-digit year.
 */
export function keepYear(value: string, replacement?: Date): string | undefined {
  const yearMatch = /(?<!\d)(\d{4})(?!\d)/.exec(value);
  if (!yearMatch) return undefined;
  const dateEnd = value.search(/[ T]\d{1,2}:/);
  const datePart = dateEnd === -1 ? value : value.slice(0, dateEnd);
  const timePart = dateEnd === -1 ? '' : value.slice(dateEnd);
  const year = replacement ? String(replacement.getUTCFullYear()).padStart(4, '0') : yearMatch[1]!;
  const month = replacement ? String(replacement.getUTCMonth() + 1).padStart(2, '0') : '01';
  const day = replacement ? String(replacement.getUTCDate()).padStart(2, '0') : '01';
  // Fields in the order the value writes them: year first (ISO) or last (day/month first).
  const yearFirst = datePart.indexOf(yearMatch[1]!) === 0;
  const slashes = datePart.includes('/');
  let field = 0;
  const newDate = datePart.replace(/\d+/g, (digits) => {
    if (digits.length === 4 && digits === yearMatch[1]) return year;
    field++;
    if (yearFirst) return field === 1 ? month : day;
    // 06/15/1987 is month first (US); 15.06.1987 and 15-06-1987 are day first.
    if (slashes) return field === 1 ? month : day;
    return field === 1 ? day : month;
  });
  return newDate + timePart.replace(/\d/g, '0');
}
