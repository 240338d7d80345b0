// PostgreSQL result columns → TDS column types and value encoders (the mapping is listed in README.md).
import { BufferWriter } from './buffer-writer.js';
import { DataType, DEFAULT_COLLATION } from './protocol.js';
import { DAYS_0001_TO_1970, DAYS_1900_TO_1970, daysSinceEpoch, parseDate, parseTime, parseTimestamp, toUtc } from './temporal.js';
import type { ColumnType } from './tokens.js';

/** A TDS column: its TYPE_INFO and how a PostgreSQL text value becomes its bytes (length prefix included). */
export interface TdsType extends ColumnType {
  /** Human-readable SQL Server type, for the README and error messages. */
  readonly sqlName: string;
  encode(text: string): Buffer;
  readonly nullValue: Buffer;
}

export const Oid = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  xml: 142,
  float4: 700,
  float8: 701,
  money: 790,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  uuid: 2950,
} as const;

/** OIDs of the test server's own `datetime` and `smalldatetime` types (see pg-types.sql in the session setup). */
export interface CustomOids {
  readonly datetime: number;
  readonly smalldatetime: number;
}

/** Characters in one PLP chunk of an (max) value: several chunks for long values, as SQL Server sends them. */
const PLP_CHUNK_BYTES = 8000;
const PLP_NULL = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const BYTE_NULL = Buffer.from([0]);
const USHORT_NULL = Buffer.from([0xff, 0xff]);

export function tdsTypeFor(oid: number, typmod: number, custom: CustomOids): TdsType {
  switch (oid) {
    case Oid.int2:
      return intN(2, 'smallint');
    case Oid.int4:
      return intN(4, 'int');
    case Oid.int8:
      return intN(8, 'bigint');
    case Oid.bool:
      return bitN();
    case Oid.numeric:
      return typmod >= 4 ? decimalN((typmod - 4) >> 16, (typmod - 4) & 0xffff) : decimalN(38, 10);
    case Oid.float4:
      return fltN(4);
    case Oid.float8:
      return fltN(8);
    case Oid.money:
      return moneyN();
    case Oid.varchar:
      return typmod > 4 && typmod - 4 <= 4000 ? nvarchar(typmod - 4) : nvarcharMax();
    case Oid.bpchar:
      return typmod > 4 && typmod - 4 <= 4000 ? nchar(typmod - 4) : nvarcharMax();
    case Oid.bytea:
      return varbinaryMax();
    case Oid.uuid:
      return guid();
    case Oid.date:
      return dateN();
    case Oid.time:
      return timeN(typmod >= 0 ? typmod : 7);
    case Oid.timestamp:
      return datetime2N(typmod >= 0 ? typmod : 7);
    case Oid.timestamptz:
      return datetimeOffsetN(typmod >= 0 ? typmod : 7);
    case Oid.xml:
      return xml();
    default:
      if (oid === custom.datetime) return datetimN(8);
      if (oid === custom.smalldatetime) return datetimN(4);
      return nvarcharMax();
  }
}

function intN(width: 1 | 2 | 4 | 8, sqlName: string): TdsType {
  return {
    sqlName,
    typeInfo: Buffer.from([DataType.IntN, width]),
    nullValue: BYTE_NULL,
    encode: (text) => new BufferWriter(9).u8(width).uintLE(BigInt.asUintN(width * 8, BigInt(text)), width).toBuffer(),
  };
}

function bitN(): TdsType {
  return {
    sqlName: 'bit',
    typeInfo: Buffer.from([DataType.BitN, 1]),
    nullValue: BYTE_NULL,
    encode: (text) => Buffer.from([1, text === 't' || text === 'true' ? 1 : 0]),
  };
}

/** Bytes of a DECIMALN value for a precision (MS-TDS 2.2.5.5.1.6), sign byte included. */
export function decimalSize(precision: number): number {
  return precision <= 9 ? 5 : precision <= 19 ? 9 : precision <= 28 ? 13 : 17;
}

/** '-123.4567' at `scale` → the scaled integer, rounded half away from zero. */
export function scaledInteger(text: string, scale: number): bigint {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match) throw new RangeError(`'${text}' is not a number TDS can carry`);
  const fraction = match[3] ?? '';
  let magnitude = BigInt((match[2] || '0') + fraction.padEnd(scale, '0').slice(0, scale));
  if (fraction.length > scale && Number(fraction[scale]) >= 5) magnitude += 1n;
  return match[1] === '-' ? -magnitude : magnitude;
}

function decimalN(precision: number, scale: number): TdsType {
  const size = decimalSize(precision);
  const limit = 10n ** BigInt(precision);
  return {
    sqlName: `decimal(${precision},${scale})`,
    typeInfo: Buffer.from([DataType.DecimalN, size, precision, scale]),
    nullValue: BYTE_NULL,
    encode(text) {
      const value = scaledInteger(text, scale);
      const magnitude = value < 0n ? -value : value;
      if (magnitude >= limit) throw new RangeError(`${text} does not fit decimal(${precision},${scale})`);
      return new BufferWriter(18).u8(size).u8(value < 0n ? 0 : 1).uintLE(magnitude, size - 1).toBuffer();
    },
  };
}

function fltN(width: 4 | 8): TdsType {
  return {
    sqlName: width === 4 ? 'real' : 'float',
    typeInfo: Buffer.from([DataType.FltN, width]),
    nullValue: BYTE_NULL,
    encode: (text) => {
      const out = new BufferWriter(9).u8(width);
      return (width === 4 ? out.f32(Number(text)) : out.f64(Number(text))).toBuffer();
    },
  };
}

/** money: PostgreSQL prints it with the locale's symbols ('-$1,234.56'); keep digits, sign and point. */
function moneyN(): TdsType {
  return {
    sqlName: 'money',
    typeInfo: Buffer.from([DataType.MoneyN, 8]),
    nullValue: BYTE_NULL,
    encode(text) {
      const negative = text.includes('-') || text.startsWith('(');
      const plain = text.replace(/[^0-9.]/g, '');
      const value = scaledInteger((negative ? '-' : '') + plain, 4);
      return new BufferWriter(9)
        .u8(8)
        .i32(Number(BigInt.asIntN(32, value >> 32n)))
        .u32(Number(BigInt.asUintN(32, value)))
        .toBuffer();
    },
  };
}

function nvarchar(chars: number): TdsType {
  return {
    sqlName: `nvarchar(${chars})`,
    typeInfo: new BufferWriter(8).u8(DataType.NVarChar).u16(chars * 2).bytes(DEFAULT_COLLATION).toBuffer(),
    nullValue: USHORT_NULL,
    encode: (text) => new BufferWriter(text.length * 2 + 2).u16(text.length * 2).ucs2(text).toBuffer(),
  };
}

function nchar(chars: number): TdsType {
  return {
    sqlName: `nchar(${chars})`,
    typeInfo: new BufferWriter(8).u8(DataType.NChar).u16(chars * 2).bytes(DEFAULT_COLLATION).toBuffer(),
    nullValue: USHORT_NULL,
    encode: (text) => {
      const padded = text.padEnd(chars, ' ');
      return new BufferWriter(padded.length * 2 + 2).u16(padded.length * 2).ucs2(padded).toBuffer();
    },
  };
}

/** PLP (MS-TDS 2.2.5.2.3): total length, chunks of ULONG length + bytes, a zero-length terminator. */
export function plp(bytes: Buffer): Buffer {
  const out = new BufferWriter(bytes.length + 16 + Math.ceil(bytes.length / PLP_CHUNK_BYTES) * 4).u64(BigInt(bytes.length));
  for (let at = 0; at < bytes.length; at += PLP_CHUNK_BYTES) {
    const chunk = bytes.subarray(at, at + PLP_CHUNK_BYTES);
    out.u32(chunk.length).bytes(chunk);
  }
  return out.u32(0).toBuffer();
}

function nvarcharMax(): TdsType {
  return {
    sqlName: 'nvarchar(max)',
    typeInfo: new BufferWriter(8).u8(DataType.NVarChar).u16(0xffff).bytes(DEFAULT_COLLATION).toBuffer(),
    nullValue: PLP_NULL,
    encode: (text) => plp(Buffer.from(text, 'utf16le')),
  };
}

function varbinaryMax(): TdsType {
  return {
    sqlName: 'varbinary(max)',
    typeInfo: new BufferWriter(3).u8(DataType.BigVarBinary).u16(0xffff).toBuffer(),
    nullValue: PLP_NULL,
    encode: (text) => plp(Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex')),
  };
}

/** uniqueidentifier bytes: the first three groups little-endian, the rest as written. */
export function guidBytes(text: string): Buffer {
  const hex = Buffer.from(text.replace(/-/g, ''), 'hex');
  if (hex.length !== 16) throw new RangeError(`'${text}' is not a uuid`);
  return Buffer.from([hex[3]!, hex[2]!, hex[1]!, hex[0]!, hex[5]!, hex[4]!, hex[7]!, hex[6]!, ...hex.subarray(8)]);
}

function guid(): TdsType {
  return {
    sqlName: 'uniqueidentifier',
    typeInfo: Buffer.from([DataType.Guid, 16]),
    nullValue: BYTE_NULL,
    encode: (text) => Buffer.concat([Buffer.from([16]), guidBytes(text)]),
  };
}

/** Bytes of a TIMEN value for a scale (MS-TDS 2.2.5.4.2). */
export function timeLength(scale: number): number {
  return scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
}

function timeUnits(ticks100ns: bigint, scale: number): bigint {
  return ticks100ns / 10n ** BigInt(7 - scale);
}

function dateN(): TdsType {
  return {
    sqlName: 'date',
    typeInfo: Buffer.from([DataType.DateN]),
    nullValue: BYTE_NULL,
    encode: (text) => new BufferWriter(4).u8(3).uintLE(BigInt(daysSinceEpoch(parseDate(text)) + DAYS_0001_TO_1970), 3).toBuffer(),
  };
}

function timeN(scale: number): TdsType {
  const length = timeLength(scale);
  return {
    sqlName: `time(${scale})`,
    typeInfo: Buffer.from([DataType.TimeN, scale]),
    nullValue: BYTE_NULL,
    encode: (text) => new BufferWriter(6).u8(length).uintLE(timeUnits(parseTime(text), scale), length).toBuffer(),
  };
}

function datetime2N(scale: number): TdsType {
  const length = timeLength(scale);
  return {
    sqlName: `datetime2(${scale})`,
    typeInfo: Buffer.from([DataType.DateTime2N, scale]),
    nullValue: BYTE_NULL,
    encode(text) {
      const stamp = parseTimestamp(text, false);
      return new BufferWriter(9)
        .u8(length + 3)
        .uintLE(timeUnits(stamp.time, scale), length)
        .uintLE(BigInt(daysSinceEpoch(stamp.date) + DAYS_0001_TO_1970), 3)
        .toBuffer();
    },
  };
}

function datetimeOffsetN(scale: number): TdsType {
  const length = timeLength(scale);
  return {
    sqlName: `datetimeoffset(${scale})`,
    typeInfo: Buffer.from([DataType.DateTimeOffsetN, scale]),
    nullValue: BYTE_NULL,
    encode(text) {
      const stamp = parseTimestamp(text, true);
      const utc = toUtc(stamp);
      return new BufferWriter(11)
        .u8(length + 5)
        .uintLE(timeUnits(utc.time, scale), length)
        .uintLE(BigInt(utc.days + DAYS_0001_TO_1970), 3)
        .i16(stamp.offsetMinutes)
        .toBuffer();
    },
  };
}

/** datetime (1/300 s ticks since 1900-01-01) and smalldatetime (minutes), rounded as SQL Server rounds. */
function datetimN(width: 4 | 8): TdsType {
  return {
    sqlName: width === 8 ? 'datetime' : 'smalldatetime',
    typeInfo: Buffer.from([DataType.DateTimN, width]),
    nullValue: BYTE_NULL,
    encode(text) {
      const stamp = parseTimestamp(text, false);
      let days = daysSinceEpoch(stamp.date) + DAYS_1900_TO_1970;
      if (width === 8) {
        let ticks = (stamp.time * 3n + 50_000n) / 100_000n; // 100 ns → 1/300 s
        if (ticks >= 25_920_000n) {
          ticks -= 25_920_000n;
          days += 1;
        }
        return new BufferWriter(9).u8(8).i32(days).u32(Number(ticks)).toBuffer();
      }
      let minutes = Number((stamp.time + 300_000_000n) / 600_000_000n);
      if (minutes >= 1440) {
        minutes -= 1440;
        days += 1;
      }
      if (days < 0 || days > 0xffff) throw new RangeError(`${text} is outside smalldatetime`);
      return new BufferWriter(5).u8(4).u16(days).u16(minutes).toBuffer();
    },
  };
}

function xml(): TdsType {
  return {
    sqlName: 'xml',
    typeInfo: Buffer.from([DataType.Xml, 0]),
    nullValue: PLP_NULL,
    encode: (text) => plp(Buffer.from(text, 'utf16le')),
  };
}

/** The TDS type of an integer return value (RETURNSTATUS carries none; RETURNVALUE of a handle uses this). */
export const INT_TYPE = intN(4, 'int');
export const NVARCHAR_MAX_TYPE = nvarcharMax();
