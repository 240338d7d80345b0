// Result rows in the text protocol (length-encoded strings) and the binary protocol (typed values and a NULL bitmap).
import { ColumnType } from './constants.js';
import type { ColumnDefinition } from './columns.js';
import { BINARY_CHARSET, isUnsigned } from './columns.js';

/**
 * How a string value reaches plugins: UTF-8 text, or for binary-charset columns (BINARY, VARBINARY,
 * BLOB, BIT…) one character per byte (latin1), so that any byte sequence survives a round trip.
 */
export function stringEncoding(column: ColumnDefinition | undefined): 'utf8' | 'latin1' {
  return column?.charset === BINARY_CHARSET ? 'latin1' : 'utf8';
}

/** A replacement string as bytes for the column: latin1 for binary columns when it fits, UTF-8 otherwise. */
export function stringBytes(text: string, column: ColumnDefinition | undefined): Buffer {
  // eslint-disable-next-line no-control-regex
  return stringEncoding(column) === 'latin1' && /^[\u0000-\u00ff]*$/.test(text) ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf8');
}
import { decodeOrUndefined, PayloadReader, PayloadWriter } from './payload.js';

/** Where a value lies in a row payload; `start` -1 means NULL. */
export interface ValueRange {
  readonly start: number;
  readonly length: number;
  /** Binary strings: where the value's length prefix starts. */
  readonly encodedStart?: number;
}

const NULL_RANGE: ValueRange = { start: -1, length: 0 };

/** Value ranges of a text-protocol row; undefined when malformed. */
export function textRowRanges(payload: Buffer, columnCount: number): ValueRange[] | undefined {
  return decodeOrUndefined(() => {
    const reader = new PayloadReader(payload);
    const ranges: ValueRange[] = new Array(columnCount);
    for (let i = 0; i < columnCount; i++) {
      const length = reader.lenenc();
      if (length === null) {
        ranges[i] = NULL_RANGE;
        continue;
      }
      ranges[i] = { start: reader.offset, length };
      reader.bytes(length);
    }
    return reader.remaining === 0 ? ranges : undefined;
  });
}

/** A text-protocol row with some values replaced; others are copied as they were. */
export function encodeTextRow(
  payload: Buffer,
  ranges: readonly ValueRange[],
  patch: readonly (string | null | undefined)[],
  columns: readonly ColumnDefinition[] = [],
): Buffer {
  const writer = new PayloadWriter(payload.length + 16);
  for (let i = 0; i < ranges.length; i++) {
    const replacement = patch[i];
    const range = ranges[i]!;
    if (replacement === undefined) {
      if (range.start === -1) writer.int1(0xfb);
      else writer.lenenc(range.length).bytes(payload.subarray(range.start, range.start + range.length));
    } else if (replacement === null) {
      writer.int1(0xfb);
    } else {
      writer.lenencBytes(stringBytes(replacement, columns[i]));
    }
  }
  return writer.finish();
}

/** Bytes of the NULL bitmap of a binary row (offset 2) or of execute parameters (offset 0). */
export function nullBitmapLength(columns: number, offset: number): number {
  return Math.floor((columns + 7 + offset) / 8);
}

/** Value ranges of a binary-protocol row (header 0x00, NULL bitmap, values by type). */
export function binaryRowRanges(payload: Buffer, columns: readonly ColumnDefinition[]): ValueRange[] | undefined {
  return decodeOrUndefined(() => {
    const reader = new PayloadReader(payload);
    if (reader.int1() !== 0x00) return undefined;
    const bitmap = reader.bytes(nullBitmapLength(columns.length, 2));
    const ranges: ValueRange[] = new Array(columns.length);
    for (let i = 0; i < columns.length; i++) {
      const bit = i + 2;
      if (bitmap[bit >> 3]! & (1 << (bit & 7))) {
        ranges[i] = NULL_RANGE;
        continue;
      }
      ranges[i] = binaryValueRange(reader, columns[i]!.typeId);
    }
    return reader.remaining === 0 ? ranges : undefined;
  });
}

/** Reads past one binary value, returning where it lies (the length prefix excluded for strings). */
export function binaryValueRange(reader: PayloadReader, typeId: number): ValueRange {
  const fixed = fixedSize(typeId);
  if (fixed !== undefined) {
    const start = reader.offset;
    reader.bytes(fixed);
    return { start, length: fixed };
  }
  if (isTemporal(typeId)) {
    const start = reader.offset;
    const length = reader.int1();
    reader.bytes(length);
    return { start, length: length + 1 };
  }
  const encodedStart = reader.offset;
  const length = reader.lenencNumber();
  const start = reader.offset;
  reader.bytes(length);
  return { start, length, encodedStart };
}

function fixedSize(typeId: number): number | undefined {
  switch (typeId) {
    case ColumnType.Tiny:
      return 1;
    case ColumnType.Short:
    case ColumnType.Year:
      return 2;
    case ColumnType.Long:
    case ColumnType.Int24:
    case ColumnType.Float:
      return 4;
    case ColumnType.LongLong:
    case ColumnType.Double:
      return 8;
    case ColumnType.Null:
      return 0;
    default:
      return undefined;
  }
}

function isTemporal(typeId: number): boolean {
  switch (typeId) {
    case ColumnType.Date:
    case ColumnType.NewDate:
    case ColumnType.DateTime:
    case ColumnType.DateTime2:
    case ColumnType.Timestamp:
    case ColumnType.Timestamp2:
    case ColumnType.Time:
    case ColumnType.Time2:
      return true;
    default:
      return false;
  }
}

/** Whether the binary form of this type is a length-prefixed string (and so any text can replace it). */
export function isBinaryString(typeId: number): boolean {
  return fixedSize(typeId) === undefined && !isTemporal(typeId);
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** The text a binary value stands for, as the text protocol would send it. */
export function binaryValueText(payload: Buffer, range: ValueRange, column: ColumnDefinition): string {
  const at = range.start;
  const unsigned = isUnsigned(column);
  switch (column.typeId) {
    case ColumnType.Tiny:
      return String(unsigned ? payload.readUInt8(at) : payload.readInt8(at));
    case ColumnType.Short:
    case ColumnType.Year:
      return column.typeId === ColumnType.Year ? pad(payload.readUInt16LE(at), 4) : String(unsigned ? payload.readUInt16LE(at) : payload.readInt16LE(at));
    case ColumnType.Long:
    case ColumnType.Int24:
      return String(unsigned ? payload.readUInt32LE(at) : payload.readInt32LE(at));
    case ColumnType.LongLong:
      return String(unsigned ? payload.readBigUInt64LE(at) : payload.readBigInt64LE(at));
    case ColumnType.Float:
      return String(Number(payload.readFloatLE(at).toPrecision(7)));
    case ColumnType.Double:
      return String(payload.readDoubleLE(at));
    case ColumnType.Null:
      return '';
    default:
      break;
  }
  if (!isTemporal(column.typeId)) return payload.toString(stringEncoding(column), range.start, range.start + range.length);
  const length = payload[at]!;
  const body = payload.subarray(at + 1, at + 1 + length);
  if (column.typeId === ColumnType.Time || column.typeId === ColumnType.Time2) return timeText(body, column.decimals);
  return dateTimeText(body, column.typeId === ColumnType.Date || column.typeId === ColumnType.NewDate, column.decimals);
}

function fraction(micros: number, decimals: number): string {
  const places = decimals > 0 && decimals <= 6 ? decimals : 0;
  if (places === 0) return '';
  return `.${pad(micros, 6).slice(0, places)}`;
}

function dateTimeText(body: Buffer, dateOnly: boolean, decimals: number): string {
  const year = body.length >= 4 ? body.readUInt16LE(0) : 0;
  const month = body.length >= 4 ? body[2]! : 0;
  const day = body.length >= 4 ? body[3]! : 0;
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  if (dateOnly) return date;
  const hour = body.length >= 7 ? body[4]! : 0;
  const minute = body.length >= 7 ? body[5]! : 0;
  const second = body.length >= 7 ? body[6]! : 0;
  const micros = body.length >= 11 ? body.readUInt32LE(7) : 0;
  return `${date} ${pad(hour)}:${pad(minute)}:${pad(second)}${fraction(micros, decimals)}`;
}

function timeText(body: Buffer, decimals: number): string {
  if (body.length < 8) return `00:00:00${fraction(0, decimals)}`;
  const negative = body[0] === 1;
  const hours = body.readUInt32LE(1) * 24 + body[5]!;
  const micros = body.length >= 12 ? body.readUInt32LE(8) : 0;
  return `${negative ? '-' : ''}${pad(hours)}:${pad(body[6]!)}:${pad(body[7]!)}${fraction(micros, decimals)}`;
}

/**
 * The binary encoding of a replacement text for a column, or null when the text is not a value of
 * the column's type (the value is then sent as NULL: a mask must never fall back to the original).
 */
export function encodeBinaryValue(text: string, column: ColumnDefinition): Buffer | null {
  const typeId = column.typeId;
  if (isBinaryString(typeId)) return new PayloadWriter(text.length + 9).lenencBytes(stringBytes(text, column)).finish();
  const fixed = fixedSize(typeId);
  if (fixed !== undefined) {
    if (typeId === ColumnType.Float || typeId === ColumnType.Double) {
      const value = Number(text);
      if (text.trim() === '' || Number.isNaN(value)) return null;
      const out = Buffer.alloc(fixed);
      if (fixed === 4) out.writeFloatLE(value);
      else out.writeDoubleLE(value);
      return out;
    }
    if (!/^-?\d+$/.test(text.trim())) return null;
    const value = BigInt(text.trim());
    const bits = BigInt(fixed * 8);
    const unsigned = isUnsigned(column) || typeId === ColumnType.Year;
    const min = unsigned ? 0n : -(1n << (bits - 1n));
    const max = unsigned ? (1n << bits) - 1n : (1n << (bits - 1n)) - 1n;
    if (value < min || value > max || fixed === 0) return null;
    const out = Buffer.alloc(fixed);
    writeInteger(out, BigInt.asUintN(fixed * 8, value));
    return out;
  }
  if (typeId === ColumnType.Time || typeId === ColumnType.Time2) {
    const match = /^(-)?(\d+):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?$/.exec(text.trim());
    if (!match) return null;
    const hours = Number(match[2]);
    const micros = match[5] ? Number(match[5].padEnd(6, '0')) : 0;
    const out = Buffer.alloc(13);
    out[0] = 12;
    out[1] = match[1] ? 1 : 0;
    out.writeUInt32LE(Math.floor(hours / 24), 2);
    out[6] = hours % 24;
    out[7] = Number(match[3]);
    out[8] = Number(match[4]);
    out.writeUInt32LE(micros, 9);
    // The shortest form, as servers send it: no microseconds when they are zero, nothing for 00:00:00.
    if (micros !== 0) return out;
    if (out.subarray(2, 9).every((byte) => byte === 0) && out[1] === 0) return Buffer.from([0]);
    out[0] = 8;
    return out.subarray(0, 9);
  }
  const match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?)?$/.exec(text.trim());
  if (!match) return null;
  const out = Buffer.alloc(12);
  out[0] = 11;
  out.writeUInt16LE(Number(match[1]), 1);
  out[3] = Number(match[2]);
  out[4] = Number(match[3]);
  out[5] = Number(match[4] ?? 0);
  out[6] = Number(match[5] ?? 0);
  out[7] = Number(match[6] ?? 0);
  out.writeUInt32LE(match[7] ? Number(match[7].padEnd(6, '0')) : 0, 8);
  // The shortest form, as servers send it: date only when the time is midnight, no zero microseconds.
  const micros = out.readUInt32LE(8);
  const midnight = out[5] === 0 && out[6] === 0 && out[7] === 0;
  if (typeId === ColumnType.Date || typeId === ColumnType.NewDate || (midnight && micros === 0)) {
    out[0] = 4;
    return out.subarray(0, 5);
  }
  if (micros === 0) {
    out[0] = 7;
    return out.subarray(0, 8);
  }
  return out;
}

function writeInteger(out: Buffer, value: bigint): void {
  for (let i = 0; i < out.length; i++) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
}

/** A binary row with some values replaced (null sets the NULL bit); untouched values are copied. */
export function encodeBinaryRow(
  payload: Buffer,
  ranges: readonly ValueRange[],
  columns: readonly ColumnDefinition[],
  patch: readonly (string | null | undefined)[],
): Buffer {
  const bitmapLength = nullBitmapLength(columns.length, 2);
  const bitmap = Buffer.from(payload.subarray(1, 1 + bitmapLength));
  const values: Buffer[] = [];
  for (let i = 0; i < columns.length; i++) {
    const replacement = patch[i];
    const range = ranges[i]!;
    const bit = i + 2;
    let value: Buffer | null;
    if (replacement === undefined) {
      if (range.start === -1) continue;
      value = payload.subarray(range.encodedStart ?? range.start, range.start + range.length);
    } else {
      value = replacement === null ? null : encodeBinaryValue(replacement, columns[i]!);
    }
    if (value === null) {
      bitmap[bit >> 3]! |= 1 << (bit & 7);
      continue;
    }
    bitmap[bit >> 3]! &= ~(1 << (bit & 7));
    values.push(value);
  }
  return Buffer.concat([Buffer.from([0x00]), bitmap, ...values]);
}
