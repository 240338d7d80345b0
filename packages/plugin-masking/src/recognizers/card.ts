// Payment card numbers: 13–19 digits with consistent separators, a known issuer prefix, and the Luhn check.
import { eachMatch, type Finding, type Recognizer } from './finding.js';

// A run of digits with single spaces or dashes; the run may hold other numbers around the card.
const CANDIDATE = /(?<![\w.+-])\d(?:[ -]?\d){11,}(?!\w|\.\d)/g;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes (IIN ranges) with the lengths each issues. */
export function knownIssuer(digits: string): boolean {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits[0] === '4') return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || (p6 >= 622126 && p6 <= 622925)) return n >= 16 && n <= 19; // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14 && n <= 19; // Diners Club
  if (p2 === 62) return n >= 16 && n <= 19; // UnionPay
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19; // Maestro
  if (p4 === 2200 || p4 === 2201 || p4 === 2202 || p4 === 2203 || p4 === 2204) return n === 16; // Mir
  return false;
}

/** Digits of a candidate if its separators are consistent (all spaces, all dashes, or none). */
function cardDigits(candidate: string): string | undefined {
  const hasSpace = candidate.includes(' ');
  const hasDash = candidate.includes('-');
  if (hasSpace && hasDash) return undefined;
  if (hasSpace || hasDash) {
    const groups = candidate.split(hasSpace ? ' ' : '-');
    // Printed cards group by 4 (Amex 4-6-5, some 4-6-4); a separator every digit or two is something else.
    if (groups.length < 3 || groups.length > 5 || groups.some((g) => g.length < 3 || g.length > 6)) return undefined;
  }
  return candidate.replace(/[ -]/g, '');
}

export function isValidCardNumber(candidate: string): boolean {
  const digits = cardDigits(candidate);
  return digits !== undefined && digits.length >= 13 && digits.length <= 19 && knownIssuer(digits) && luhnValid(digits);
}

/** The longest stretch of whole groups in a digit run that is a valid card number (the earliest of equals). */
function findCardInRun(run: string, offset: number): { start: number; end: number } | false {
  if (run.length <= 23 && isValidCardNumber(run)) return { start: offset, end: offset + run.length };
  const groups: { start: number; end: number }[] = [];
  const group = /\d+/g;
  let m: RegExpExecArray | null;
  while ((m = group.exec(run)) !== null) groups.push({ start: m.index, end: m.index + m[0].length });
  let best: { start: number; end: number } | undefined;
  // A card spans at most 23 characters, and a printed one has groups of 3 to 6 digits (or is one
  // group): each window is short and most are skipped unchecked, so this is linear in the run's length.
  const printable = (g: { start: number; end: number }) => g.end - g.start >= 3;
  for (let first = 0; first < groups.length; first++) {
    const start = groups[first]!.start;
    if (!printable(groups[first]!)) continue;
    let digits = 0;
    for (let last = first; last < groups.length && groups[last]!.end - start <= 23 && printable(groups[last]!); last++) {
      const end = groups[last]!.end;
      digits += end - groups[last]!.start;
      if (digits > 19) break;
      if (digits < 13) continue;
      if ((!best || end - start > best.end - best.start) && isValidCardNumber(run.slice(start, end))) best = { start, end };
    }
  }
  return best ? { start: offset + best.start, end: offset + best.end } : false;
}

export const cardRecognizer: Recognizer = {
  type: 'card',
  name: 'card',
  applies: (f) => f.digits >= 12,
  find(text: string, out: Finding[]) {
    eachMatch(CANDIDATE, text, (match) => findCardInRun(match[0], match.index), 'card', out);
  },
};
