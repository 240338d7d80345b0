// Values as text and back: what plugins read in a row, and the wire bytes of what they put in its place.
import { DataType } from './codes.js';
import { codecFor, decodeText, encodeText } from './collation.js';
import { timeBytes, type TypeInfo } from './type-info.js';

const DAY_MS = 86_400_000;
/** Days from 0001-01-01 to 1970-01-01. */
const DAYS_0001_TO_1970 = 719_162;
/** Days from 1900-01-01 to 1970-01-01. */
const DAYS_1900_TO_1970 = 25_567;

/** A value's data bytes as text (no NULL here: NULL is null before this is called). */
export function valueText(info: TypeInfo, data: Buffer): string {
  switch (info.type) {
    case DataType.Int1:
      return String(data.readUInt8(0));
    case DataType.Int2:
      return String(data.readInt16LE(0));
    case DataType.Int4:
      return String(data.readInt32LE(0));
    case DataType.Int8:
      return data.readBigInt64LE(0).toString();
    case DataType.IntN:
      return data.length === 1 ? String(data.readUInt8(0)) : data.length === 2 ? String(data.readInt16LE(0)) : data.length === 4 ? String(data.readInt32LE(0)) : data.readBigInt64LE(0).toString();
    case DataType.Bit:
    case DataType.BitN:
      return data[0] ? '1' : '0';
    case DataType.Float4:
      return String(data.readFloatLE(0));
    case DataType.Float8:
      return String(data.readDoubleLE(0));
    case DataType.FloatN:
      return String(data.length === 4 ? data.readFloatLE(0) : data.readDoubleLE(0));
    case DataType.Money:
    case DataType.Money4:
    case DataType.MoneyN:
      return scaled(data.length === 4 ? BigInt(data.readInt32LE(0)) : (BigInt(data.readInt32LE(0)) << 32n) | BigInt(data.readUInt32LE(4)), 4);
    case DataType.Decimal:
    case DataType.Numeric:
    case DataType.DecimalN:
    case DataType.NumericN:
      return decimalText(data, info.scale ?? 0);
    case DataType.DateTime:
    case DataType.DateTime4:
    case DataType.DateTimeN:
      return data.length === 4 ? smallDateTimeText(data) : dateTimeText(data);
    case DataType.DateN:
      return dateText(data.readUIntLE(0, 3));
    case DataType.TimeN:
      return timeText(data, info.scale ?? 7);
    case DataType.DateTime2N: {
      const tb = timeBytes(info.scale ?? 7);
      return `${dateText(data.readUIntLE(tb, 3))} ${timeText(data.subarray(0, tb), info.scale ?? 7)}`;
    }
    case DataType.DateTimeOffsetN:
      return dateTimeOffsetText(data, info.scale ?? 7);
    case DataType.Guid:
      return guidText(data);
    case DataType.NVarChar:
    case DataType.NChar:
    case DataType.NText:
    case DataType.Xml:
      return data.toString('utf16le');
    case DataType.BigVarChar:
    case DataType.BigChar:
    case DataType.Char:
    case DataType.VarChar:
    case DataType.Text:
      return decodeText(data, codecFor(info.collation));
    case DataType.SqlVariant:
      return variantText(data);
    default:
      return `0x${data.toString('hex').toUpperCase()}`;
  }
}

/** The data bytes (no length prefix) of `text` as a value of the type; throws RangeError when it cannot be one. */
export function valueBytes(info: TypeInfo, text: string): Buffer {
  switch (info.type) {
    case DataType.Int1:
    case DataType.Int2:
    case DataType.Int4:
    case DataType.Int8:
    case DataType.IntN:
      return intBytes(text, info.type === DataType.IntN ? info.length : ({ [DataType.Int1]: 1, [DataType.Int2]: 2, [DataType.Int4]: 4 } as Record<number, number>)[info.type] ?? 8);
    case DataType.Bit:
    case DataType.BitN:
      return Buffer.from([/^(1|true|t|yes|y|on)$/i.test(text.trim()) ? 1 : 0]);
    case DataType.Float4:
    case DataType.Float8:
    case DataType.FloatN: {
      const value = Number(text);
      if (!Number.isFinite(value)) throw new RangeError(`"${text}" is not a number`);
      const size = info.type === DataType.Float4 || (info.type === DataType.FloatN && info.length === 4) ? 4 : 8;
      const out = Buffer.alloc(size);
      if (size === 4) out.writeFloatLE(value);
      else out.writeDoubleLE(value);
      return out;
    }
    case DataType.Money:
    case DataType.Money4:
    case DataType.MoneyN: {
      const units = parseScaled(text, 4);
      const small = info.type === DataType.Money4 || (info.type === DataType.MoneyN && info.length === 4);
      const out = Buffer.alloc(small ? 4 : 8);
      if (small) out.writeInt32LE(Number(units));
      else {
        out.writeInt32LE(Number(BigInt.asIntN(32, units >> 32n)), 0);
        out.writeUInt32LE(Number(BigInt.asUintN(32, units)), 4);
      }
      return out;
    }
    case DataType.Decimal:
    case DataType.Numeric:
    case DataType.DecimalN:
    case DataType.NumericN:
      return decimalBytes(text, info.scale ?? 0, info.precision ?? 38);
    case DataType.DateTime:
    case DataType.DateTime4:
    case DataType.DateTimeN:
      return info.length === 4 || info.type === DataType.DateTime4 ? smallDateTimeBytes(text) : dateTimeBytes(text);
    case DataType.DateN: {
      const out = Buffer.alloc(3);
      out.writeUIntLE(parseDate(text).days, 0, 3);
      return out;
    }
    case DataType.TimeN:
      return timeValueBytes(parseTime(text), info.scale ?? 7);
    case DataType.DateTime2N: {
      const { days, rest } = parseDate(text);
      const time = timeValueBytes(parseTime(rest), info.scale ?? 7);
      const date = Buffer.alloc(3);
      date.writeUIntLE(days, 0, 3);
      return Buffer.concat([time, date]);
    }
    case DataType.DateTimeOffsetN:
      return dateTimeOffsetBytes(text, info.scale ?? 7);
    case DataType.Guid:
      return guidBytes(text);
    case DataType.NVarChar:
    case DataType.NChar:
    case DataType.NText:
    case DataType.Xml:
      return Buffer.from(text, 'utf16le');
    case DataType.BigVarChar:
    case DataType.BigChar:
    case DataType.Char:
    case DataType.VarChar:
    case DataType.Text:
      return encodeText(text, codecFor(info.collation));
    case DataType.SqlVariant:
      return variantNVarChar(text);
    default: {
      const hex = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : undefined;
      if (hex !== undefined && /^[0-9a-fA-F]*$/.test(hex) && hex.length % 2 === 0) return Buffer.from(hex, 'hex');
      return Buffer.from(text, 'utf8');
    }
  }
}

function scaled(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

function parseScaled(text: string, scale: number): bigint {
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw new RangeError(`"${text}" is not a number`);
  const fraction = (match[3] ?? '').padEnd(scale, '0').slice(0, scale);
  const units = BigInt(`${match[2] || '0'}${fraction}`);
  return match[1] === '-' ? -units : units;
}

function decimalText(data: Buffer, scale: number): string {
  let magnitude = 0n;
  for (let i = data.length - 1; i >= 1; i--) magnitude = (magnitude << 8n) | BigInt(data[i]!);
  return scaled(data[0] === 1 ? magnitude : -magnitude, scale);
}

function decimalBytes(text: string, scale: number, precision: number): Buffer {
  const units = parseScaled(text, scale);
  if ((units < 0n ? -units : units).toString().length > precision) throw new RangeError(`"${text}" does not fit decimal(${precision},${scale})`);
  const size = precision <= 9 ? 4 : precision <= 19 ? 8 : precision <= 28 ? 12 : 16;
  const out = Buffer.alloc(1 + size);
  out[0] = units < 0n ? 0 : 1;
  let magnitude = units < 0n ? -units : units;
  for (let i = 1; i <= size; i++) {
    out[i] = Number(magnitude & 0xffn);
    magnitude >>= 8n;
  }
  if (magnitude !== 0n) throw new RangeError(`"${text}" does not fit decimal(${precision},${scale})`);
  return out;
}

function intBytes(text: string, size: number): Buffer {
  if (!/^\s*[+-]?\d+\s*$/.test(text)) throw new RangeError(`"${text}" is not an integer`);
  const value = BigInt(text.trim());
  const out = Buffer.alloc(size);
  if (size === 1) out.writeUInt8(Number(BigInt.asUintN(8, value)));
  else if (size === 2) out.writeInt16LE(Number(BigInt.asIntN(16, value)));
  else if (size === 4) out.writeInt32LE(Number(BigInt.asIntN(32, value)));
  else out.writeBigInt64LE(BigInt.asIntN(64, value));
  return out;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Days since 0001-01-01 as YYYY-MM-DD. */
function dateText(days: number): string {
  return new Date((days - DAYS_0001_TO_1970) * DAY_MS).toISOString().slice(0, 10);
}

function parseDate(text: string): { days: number; rest: string } {
  const match = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T\s]+(.*))?$/.exec(text);
  if (!match) throw new RangeError(`"${text}" is not a date`);
  const date = new Date(0);
  date.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return { days: Math.round(date.getTime() / DAY_MS) + DAYS_0001_TO_1970, rest: match[4] ?? '00:00:00' };
}

/** Time units of 10^-scale seconds since midnight, as HH:MM:SS[.fraction]. */
function timeText(data: Buffer, scale: number): string {
  const units = data.readUIntLE(0, data.length);
  const perSecond = 10 ** scale;
  const seconds = Math.floor(units / perSecond);
  const fraction = units - seconds * perSecond;
  const clock = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
  return scale === 0 ? clock : `${clock}.${pad(fraction, scale)}`;
}

/** HH:MM[:SS[.fraction]] as nanoseconds-free parts: seconds and a fraction string. */
function parseTime(text: string): { seconds: number; fraction: string; offset?: number } {
  const match = /^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(?:([+-])(\d{2}):?(\d{2})|Z)?\s*$/.exec(text);
  if (!match) throw new RangeError(`"${text}" is not a time`);
  const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0);
  const offset = match[5] ? (match[5] === '-' ? -1 : 1) * (Number(match[6]) * 60 + Number(match[7])) : undefined;
  return { seconds, fraction: match[4] ?? '', ...(offset === undefined ? {} : { offset }) };
}

function timeUnits(time: { seconds: number; fraction: string }, scale: number): number {
  return time.seconds * 10 ** scale + Number(time.fraction.padEnd(scale, '0').slice(0, scale) || '0');
}

function timeValueBytes(time: { seconds: number; fraction: string }, scale: number): Buffer {
  const out = Buffer.alloc(timeBytes(scale));
  out.writeUIntLE(timeUnits(time, scale), 0, out.length);
  return out;
}

function dateTimeOffsetText(data: Buffer, scale: number): string {
  const tb = timeBytes(scale);
  const units = data.readUIntLE(0, tb);
  const days = data.readUIntLE(tb, 3);
  const offset = data.readInt16LE(tb + 3);
  // Stored in UTC; shown in the offset's local time.
  const perMinute = 60 * 10 ** scale;
  let localUnits = units + offset * perMinute;
  let localDays = days;
  const perDay = 86_400 * 10 ** scale;
  while (localUnits < 0) {
    localUnits += perDay;
    localDays--;
  }
  while (localUnits >= perDay) {
    localUnits -= perDay;
    localDays++;
  }
  const time = Buffer.alloc(tb);
  time.writeUIntLE(localUnits, 0, tb);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${dateText(localDays)} ${timeText(time, scale)} ${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function dateTimeOffsetBytes(text: string, scale: number): Buffer {
  const { days, rest } = parseDate(text);
  const time = parseTime(rest);
  const offset = time.offset ?? 0;
  const perDay = 86_400 * 10 ** scale;
  let units = timeUnits(time, scale) - offset * 60 * 10 ** scale;
  let utcDays = days;
  while (units < 0) {
    units += perDay;
    utcDays--;
  }
  while (units >= perDay) {
    units -= perDay;
    utcDays++;
  }
  const tb = timeBytes(scale);
  const out = Buffer.alloc(tb + 5);
  out.writeUIntLE(units, 0, tb);
  out.writeUIntLE(utcDays, tb, 3);
  out.writeInt16LE(offset, tb + 3);
  return out;
}

function dateTimeText(data: Buffer): string {
  const days = data.readInt32LE(0);
  const ticks = data.readUInt32LE(4);
  const ms = Math.round((ticks * 10) / 3);
  const when = new Date((days - DAYS_1900_TO_1970) * DAY_MS + ms);
  return when.toISOString().replace('T', ' ').slice(0, 23);
}

function dateTimeBytes(text: string): Buffer {
  const { days, rest } = parseDate(text);
  const time = parseTime(rest);
  const ms = time.seconds * 1000 + Number(time.fraction.padEnd(3, '0').slice(0, 3) || '0');
  const out = Buffer.alloc(8);
  out.writeInt32LE(days - DAYS_0001_TO_1970 + DAYS_1900_TO_1970, 0);
  out.writeUInt32LE(Math.round((ms * 3) / 10), 4);
  return out;
}

function smallDateTimeText(data: Buffer): string {
  const days = data.readUInt16LE(0);
  const minutes = data.readUInt16LE(2);
  return new Date((days - DAYS_1900_TO_1970) * DAY_MS + minutes * 60_000).toISOString().replace('T', ' ').slice(0, 19);
}

function smallDateTimeBytes(text: string): Buffer {
  const { days, rest } = parseDate(text);
  const time = parseTime(rest);
  const out = Buffer.alloc(4);
  out.writeUInt16LE(days - DAYS_0001_TO_1970 + DAYS_1900_TO_1970, 0);
  out.writeUInt16LE(Math.floor(time.seconds / 60), 2);
  return out;
}

/** uniqueidentifier: the first three groups are little-endian on the wire. */
function guidText(data: Buffer): string {
  const hex = (from: number, to: number, reverse: boolean) => {
    const part = Buffer.from(data.subarray(from, to));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`.toUpperCase();
}

function guidBytes(text: string): Buffer {
  const hex = text.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`"${text}" is not a uniqueidentifier`);
  const raw = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from(raw.subarray(0, 4)).reverse(), Buffer.from(raw.subarray(4, 6)).reverse(), Buffer.from(raw.subarray(6, 8)).reverse(), raw.subarray(8)]);
}

/** sql_variant: base type, property bytes, then the value in that type's form. */
function variantText(data: Buffer): string {
  const base = data[0]!;
  const propBytes = data[1]!;
  const props = data.subarray(2, 2 + propBytes);
  const value = data.subarray(2 + propBytes);
  const info: TypeInfo = {
    type: base,
    layout: 0,
    length: value.length,
    name: 'sql_variant',
    ...(props.length >= 2 && (base === DataType.DecimalN || base === DataType.NumericN) ? { precision: props[0]!, scale: props[1]! } : {}),
    ...(props.length >= 1 && (base === DataType.TimeN || base === DataType.DateTime2N || base === DataType.DateTimeOffsetN) ? { scale: props[0]! } : {}),
    ...(props.length >= 5 && (base === DataType.BigVarChar || base === DataType.BigChar) ? { collation: props.subarray(0, 5) } : {}),
  };
  return valueText(info, value);
}

/** A masked sql_variant travels as nvarchar (base type, 7 property bytes: collation and max length). */
function variantNVarChar(text: string): Buffer {
  const value = Buffer.from(text, 'utf16le');
  const head = Buffer.from([DataType.NVarChar, 7, 0x09, 0x04, 0xd0, 0x00, 0x34, 0, 0]);
  head.writeUInt16LE(Math.min(value.length, 8000), 7);
  return Buffer.concat([head, value]);
}
