// Dates and times in PostgreSQL's binary format: days or microseconds since 2000-01-01, as ISO text.
//
// Text is what PostgreSQL prints with DateStyle ISO; timestamptz is given in UTC (`+00`), since the
// binary value carries no session time zone. Encoding accepts the same forms back.
import { BinaryValueError } from './value-error.js';

const US_PER_DAY = 86_400_000_000n;
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);
const MS_PER_DAY = 86_400_000;
const INT32_MAX = 2_147_483_647;
const INT32_MIN = -2_147_483_648;
const INT64_MAX = 9_223_372_036_854_775_807n;
const INT64_MIN = -9_223_372_036_854_775_808n;

const DATE_TEXT = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/;
const TIME_TEXT = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const ZONE_TEXT = /^([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$/;
const TIMESTAMP_TEXT = /^(\d{4,}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)([+-]\d{2}(?::?\d{2}){0,2}|Z)?( BC)?$/;

export function decodeDate(bytes: Buffer): string {
  expectLength('date', bytes, 4);
  const days = bytes.readInt32BE(0);
  if (days === INT32_MAX) return 'infinity';
  if (days === INT32_MIN) return '-infinity';
  return dateText(days);
}

export function encodeDate(text: string): Buffer {
  const out = Buffer.alloc(4);
  const special = infinity(text);
  out.writeInt32BE(special === undefined ? daysOf(text) : special > 0 ? INT32_MAX : INT32_MIN, 0);
  return out;
}

export function decodeTime(bytes: Buffer): string {
  expectLength('time', bytes, 8);
  return timeText(bytes.readBigInt64BE(0));
}

export function encodeTime(text: string): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigInt64BE(microsOfTime(text.trim()), 0);
  return out;
}

export function decodeTimetz(bytes: Buffer): string {
  expectLength('timetz', bytes, 12);
  // The zone is stored in seconds west of UTC; ISO prints east as positive.
  return `${timeText(bytes.readBigInt64BE(0))}${zoneText(-bytes.readInt32BE(8))}`;
}

export function encodeTimetz(text: string): Buffer {
  const trimmed = text.trim();
  const at = Math.max(trimmed.lastIndexOf('+'), trimmed.lastIndexOf('-'));
  if (at < 0) throw new BinaryValueError('timetz', 'has no time zone');
  const out = Buffer.alloc(12);
  out.writeBigInt64BE(microsOfTime(trimmed.slice(0, at)), 0);
  out.writeInt32BE(-zoneSeconds(trimmed.slice(at), 'timetz'), 8);
  return out;
}

export function decodeTimestamp(bytes: Buffer, withZone: boolean): string {
  expectLength(withZone ? 'timestamptz' : 'timestamp', bytes, 8);
  const micros = bytes.readBigInt64BE(0);
  if (micros === INT64_MAX) return 'infinity';
  if (micros === INT64_MIN) return '-infinity';
  let days = micros / US_PER_DAY;
  let rest = micros % US_PER_DAY;
  if (rest < 0n) {
    rest += US_PER_DAY;
    days -= 1n;
  }
  const date = dateText(Number(days));
  const bc = date.endsWith(' BC');
  return `${bc ? date.slice(0, -3) : date} ${timeText(rest)}${withZone ? '+00' : ''}${bc ? ' BC' : ''}`;
}

export function encodeTimestamp(text: string, withZone: boolean): Buffer {
  const type = withZone ? 'timestamptz' : 'timestamp';
  const out = Buffer.alloc(8);
  const special = infinity(text);
  if (special !== undefined) {
    out.writeBigInt64BE(special > 0 ? INT64_MAX : INT64_MIN, 0);
    return out;
  }
  const match = TIMESTAMP_TEXT.exec(text.trim());
  if (!match) throw new BinaryValueError(type, 'is not an ISO timestamp');
  let micros = BigInt(daysOf(`${match[1]!}${match[4] ?? ''}`)) * US_PER_DAY + microsOfTime(match[2]!);
  const zone = match[3];
  if (zone !== undefined && withZone) micros -= BigInt(zone === 'Z' ? 0 : zoneSeconds(zone, type)) * 1_000_000n;
  out.writeBigInt64BE(micros, 0);
  return out;
}

function dateText(days: number): string {
  const date = new Date(POSTGRES_EPOCH_MS + days * MS_PER_DAY);
  if (Number.isNaN(date.getTime())) throw new BinaryValueError('date', 'is out of range');
  let year = date.getUTCFullYear();
  // ISO year 0 is 1 BC, year -1 is 2 BC.
  const bc = year <= 0;
  if (bc) year = 1 - year;
  return `${String(year).padStart(4, '0')}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}${bc ? ' BC' : ''}`;
}

function daysOf(text: string): number {
  const match = DATE_TEXT.exec(text.trim());
  if (!match) throw new BinaryValueError('date', 'is not an ISO date');
  let year = Number(match[1]);
  if (match[4]) year = 1 - year;
  const date = new Date(0);
  date.setUTCFullYear(year, Number(match[2]) - 1, Number(match[3]));
  if (date.getUTCMonth() !== Number(match[2]) - 1) throw new BinaryValueError('date', 'is not a calendar date');
  return Math.round((date.getTime() - POSTGRES_EPOCH_MS) / MS_PER_DAY);
}

function timeText(micros: bigint): string {
  const totalSeconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  const hours = totalSeconds / 3600n;
  const minutes = (totalSeconds / 60n) % 60n;
  const seconds = totalSeconds % 60n;
  const base = `${pad2(Number(hours))}:${pad2(Number(minutes))}:${pad2(Number(seconds))}`;
  return fraction === 0n ? base : `${base}.${String(fraction).padStart(6, '0').replace(/0+$/, '')}`;
}

function microsOfTime(text: string): bigint {
  const match = TIME_TEXT.exec(text.trim());
  if (!match) throw new BinaryValueError('time', 'is not a time of day');
  const [hours, minutes, seconds] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (minutes > 59 || seconds > 60 || hours > 24) throw new BinaryValueError('time', 'is out of range');
  const fraction = BigInt((match[4] ?? '').padEnd(6, '0'));
  return (BigInt(hours) * 3600n + BigInt(minutes) * 60n + BigInt(seconds)) * 1_000_000n + fraction;
}

function zoneText(secondsEast: number): string {
  const sign = secondsEast < 0 ? '-' : '+';
  const abs = Math.abs(secondsEast);
  const hours = Math.floor(abs / 3600);
  const minutes = Math.floor((abs % 3600) / 60);
  const seconds = abs % 60;
  return `${sign}${pad2(hours)}${minutes || seconds ? `:${pad2(minutes)}` : ''}${seconds ? `:${pad2(seconds)}` : ''}`;
}

function zoneSeconds(text: string, type: string): number {
  const match = ZONE_TEXT.exec(text);
  if (!match) throw new BinaryValueError(type, 'has an unreadable time zone');
  const seconds = Number(match[2]) * 3600 + Number(match[3] ?? 0) * 60 + Number(match[4] ?? 0);
  return match[1] === '-' ? -seconds : seconds;
}

function infinity(text: string): number | undefined {
  const lowered = text.trim().toLowerCase();
  if (lowered === 'infinity' || lowered === '+infinity') return 1;
  if (lowered === '-infinity') return -1;
  return undefined;
}

function expectLength(type: string, bytes: Buffer, length: number): void {
  if (bytes.length !== length) throw new BinaryValueError(type, `has ${bytes.length} bytes, not ${length}`);
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}
