// Date and time arithmetic shared by the value encoders and the parameter decoders.

const MS_PER_DAY = 86_400_000;
/** Days from 0001-01-01 to 1970-01-01 in the proleptic Gregorian calendar. */
export const DAYS_0001_TO_1970 = 719_162;
/** Days from 1900-01-01 to 1970-01-01. */
export const DAYS_1900_TO_1970 = 25_567;

export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** Days since 1970-01-01 (may be negative). */
export function daysSinceEpoch(date: CivilDate): number {
  const at = new Date(0);
  at.setUTCFullYear(date.year, date.month - 1, date.day);
  return Math.floor(at.getTime() / MS_PER_DAY);
}

export function civilFromEpochDays(days: number): CivilDate {
  const at = new Date(days * MS_PER_DAY);
  return { year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, day: at.getUTCDate() };
}

export function formatDate(date: CivilDate): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

/** Time of day in units of 100 ns. */
export function formatTime(ticks100ns: bigint): string {
  const seconds = ticks100ns / 10_000_000n;
  const fraction = ticks100ns % 10_000_000n;
  const h = seconds / 3600n;
  const m = (seconds / 60n) % 60n;
  const s = seconds % 60n;
  const two = (n: bigint) => String(n).padStart(2, '0');
  return `${two(h)}:${two(m)}:${two(s)}.${String(fraction).padStart(7, '0')}`;
}

const DATE_PATTERN = /^(\d{4,})-(\d{2})-(\d{2})$/;
const TIME_PATTERN = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const OFFSET_PATTERN = /^([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$/;

export function parseDate(text: string): CivilDate {
  const match = DATE_PATTERN.exec(text);
  if (!match) throw new RangeError(`date '${text}' is outside what TDS can carry`);
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}

/** 'HH:MM:SS[.fffffff]' → units of 100 ns since midnight. */
export function parseTime(text: string): bigint {
  const match = TIME_PATTERN.exec(text);
  if (!match) throw new RangeError(`time '${text}' is outside what TDS can carry`);
  const fraction = (match[4] ?? '').padEnd(7, '0').slice(0, 7);
  return (BigInt(match[1]!) * 3600n + BigInt(match[2]!) * 60n + BigInt(match[3]!)) * 10_000_000n + BigInt(fraction);
}

export interface Timestamp {
  readonly date: CivilDate;
  /** 100 ns units since midnight. */
  readonly time: bigint;
  /** Offset from UTC in minutes, for timestamptz. */
  readonly offsetMinutes: number;
}

/** PostgreSQL's ISO output: 'YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]]'. */
export function parseTimestamp(text: string, withOffset: boolean): Timestamp {
  const space = text.indexOf(' ');
  if (space < 0 || text.endsWith(' BC')) throw new RangeError(`timestamp '${text}' is outside what TDS can carry`);
  const date = parseDate(text.slice(0, space));
  let rest = text.slice(space + 1);
  let offsetMinutes = 0;
  if (withOffset) {
    const sign = Math.max(rest.lastIndexOf('+'), rest.lastIndexOf('-'));
    const offset = OFFSET_PATTERN.exec(rest.slice(sign));
    if (sign < 0 || !offset) throw new RangeError(`timestamp '${text}' has no offset`);
    offsetMinutes = (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3] ?? 0));
    rest = rest.slice(0, sign);
  }
  return { date, time: parseTime(rest), offsetMinutes };
}

/** Shifts a local date and time by -offset to UTC (for DATETIMEOFFSET, which carries UTC plus the offset). */
export function toUtc(stamp: Timestamp): { days: number; time: bigint } {
  const dayTicks = 864_000_000_000n;
  let days = daysSinceEpoch(stamp.date);
  let time = stamp.time - BigInt(stamp.offsetMinutes) * 600_000_000n;
  while (time < 0n) {
    time += dayTicks;
    days -= 1;
  }
  while (time >= dayTicks) {
    time -= dayTicks;
    days += 1;
  }
  return { days, time };
}
