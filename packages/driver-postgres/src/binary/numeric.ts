// numeric in PostgreSQL's binary format: base-10000 digits with a weight, a sign and a display scale.
import { BinaryValueError } from './value-error.js';

const NBASE = 10_000;
const SIGN = { positive: 0x0000, negative: 0x4000, nan: 0xc000, infinity: 0xd000, negativeInfinity: 0xf000 } as const;
const NUMERIC_TEXT = /^([+-])?(\d*)(?:\.(\d*))?$/;

export function decodeNumeric(bytes: Buffer): string {
  if (bytes.length < 8) throw new BinaryValueError('numeric', 'too short');
  const ndigits = bytes.readUInt16BE(0);
  const weight = bytes.readInt16BE(2);
  const sign = bytes.readUInt16BE(4);
  const dscale = bytes.readUInt16BE(6);
  if (bytes.length !== 8 + ndigits * 2) throw new BinaryValueError('numeric', 'digit count does not match its length');
  if (sign === SIGN.nan) return 'NaN';
  if (sign === SIGN.infinity) return 'Infinity';
  if (sign === SIGN.negativeInfinity) return '-Infinity';
  const digits: number[] = [];
  for (let i = 0; i < ndigits; i++) digits.push(bytes.readUInt16BE(8 + i * 2));
  // The digit at index i counts NBASE^(weight - i).
  const digitOfWeight = (w: number): number => digits[weight - w] ?? 0;
  let integer = '';
  for (let w = weight; w >= 0; w--) integer += w === weight ? String(digitOfWeight(w)) : String(digitOfWeight(w)).padStart(4, '0');
  if (integer === '') integer = '0';
  let fraction = '';
  for (let w = -1; fraction.length < dscale; w--) fraction += String(digitOfWeight(w)).padStart(4, '0');
  fraction = fraction.slice(0, dscale);
  const negative = sign === SIGN.negative;
  return `${negative ? '-' : ''}${integer}${dscale > 0 ? `.${fraction}` : ''}`;
}

export function encodeNumeric(text: string): Buffer {
  const trimmed = text.trim();
  const special = { nan: SIGN.nan, infinity: SIGN.infinity, '+infinity': SIGN.infinity, '-infinity': SIGN.negativeInfinity }[trimmed.toLowerCase()];
  if (special !== undefined) return header(0, 0, special, 0);
  const match = NUMERIC_TEXT.exec(trimmed);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw new BinaryValueError('numeric', 'not a decimal number');
  const integerText = match[2]!.replace(/^0+/, '');
  const fractionText = match[3] ?? '';
  const dscale = fractionText.length;
  // Pad both sides to whole base-10000 groups, then read the groups.
  const integerPadded = integerText.padStart(Math.ceil(integerText.length / 4) * 4, '0');
  const fractionPadded = fractionText.padEnd(Math.ceil(fractionText.length / 4) * 4, '0');
  const groups: number[] = [];
  for (let i = 0; i < integerPadded.length; i += 4) groups.push(Number(integerPadded.slice(i, i + 4)));
  for (let i = 0; i < fractionPadded.length; i += 4) groups.push(Number(fractionPadded.slice(i, i + 4)));
  let weight = integerPadded.length / 4 - 1;
  let start = 0;
  while (start < groups.length && groups[start] === 0) {
    start++;
    weight--;
  }
  let end = groups.length;
  while (end > start && groups[end - 1] === 0) end--;
  const digits = groups.slice(start, end);
  if (digits.length === 0) weight = 0;
  const negative = match[1] === '-' && digits.length > 0;
  const out = header(digits.length, weight, negative ? SIGN.negative : SIGN.positive, dscale);
  digits.forEach((digit, i) => out.writeUInt16BE(digit % NBASE, 8 + i * 2));
  return out;
}

function header(ndigits: number, weight: number, sign: number, dscale: number): Buffer {
  const out = Buffer.alloc(8 + ndigits * 2);
  out.writeUInt16BE(ndigits, 0);
  out.writeInt16BE(weight, 2);
  out.writeUInt16BE(sign, 4);
  out.writeUInt16BE(dscale, 6);
  return out;
}
