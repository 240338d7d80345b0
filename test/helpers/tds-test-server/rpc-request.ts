// RPC requests (MS-TDS 2.2.6.6): procedure name or id, and parameters with their TYPE_INFO and values.
import { BufferReader, MalformedInput, skipAllHeaders } from './buffer-reader.js';
import { DataType, SPECIAL_PROCEDURE_NAMES } from './protocol.js';
import { DAYS_0001_TO_1970, DAYS_1900_TO_1970, civilFromEpochDays, formatDate, formatTime } from './temporal.js';

export interface RpcParameter {
  readonly name: string;
  readonly output: boolean;
  /** The PostgreSQL type the value is cast to. */
  readonly pgType: string;
  /** PostgreSQL input text (or bytes for binary), null for NULL. */
  readonly value: string | Buffer | null;
}

export interface RpcCall {
  /** Procedure name; special procedures sent by id get their sp_ name. */
  readonly procedure: string;
  readonly parameters: readonly RpcParameter[];
}

const BATCH_FLAGS = new Set([0xff, 0xfe, 0x80]);

export function parseRpc(payload: Buffer): RpcCall[] {
  const reader = new BufferReader(payload);
  skipAllHeaders(reader);
  const calls: RpcCall[] = [];
  while (reader.remaining > 0) {
    const nameLength = reader.u16('procedure name length');
    let procedure: string;
    if (nameLength === 0xffff) {
      const id = reader.u16('procedure id');
      const name = SPECIAL_PROCEDURE_NAMES[id];
      if (!name) throw new MalformedInput(`RPC names procedure id ${id}, which the TDS test server does not implement`);
      procedure = name;
    } else {
      procedure = reader.ucs2(nameLength, 'procedure name');
    }
    reader.u16('option flags');
    const parameters: RpcParameter[] = [];
    while (reader.remaining > 0 && !BATCH_FLAGS.has(reader.peekU8()!)) parameters.push(parseParameter(reader));
    if (reader.remaining > 0) reader.u8();
    calls.push({ procedure, parameters });
  }
  return calls;
}

function parseParameter(reader: BufferReader): RpcParameter {
  const name = reader.bVarchar('parameter name');
  const status = reader.u8('parameter status');
  const type = reader.u8('parameter type');
  const { pgType, read } = parameterType(type, reader);
  return { name, output: (status & 0x01) !== 0, pgType, value: read(reader) };
}

interface ParameterType {
  readonly pgType: string;
  read(reader: BufferReader): string | Buffer | null;
}

/** Reads the TYPE_INFO after the type byte and returns how to read the value. */
function parameterType(type: number, reader: BufferReader): ParameterType {
  switch (type) {
    case DataType.IntN: {
      const width = reader.u8();
      return { pgType: width === 8 ? 'int8' : width === 4 ? 'int4' : 'int2', read: byteLength((data) => integer(data)) };
    }
    case DataType.Int1:
      return fixed(1, 'int2', integer);
    case DataType.Int2:
      return fixed(2, 'int2', integer);
    case DataType.Int4:
      return fixed(4, 'int4', integer);
    case DataType.Int8:
      return fixed(8, 'int8', integer);
    case DataType.BitN:
      reader.u8();
      return { pgType: 'bool', read: byteLength((data) => (data[0] ? 'true' : 'false')) };
    case DataType.Bit:
      return fixed(1, 'bool', (data) => (data[0] ? 'true' : 'false'));
    case DataType.DecimalN:
    case DataType.NumericN: {
      reader.u8();
      const precision = reader.u8();
      const scale = reader.u8();
      return { pgType: `numeric(${precision},${scale})`, read: byteLength((data) => decimal(data, scale)) };
    }
    case DataType.FltN: {
      const width = reader.u8();
      return { pgType: width === 4 ? 'float4' : 'float8', read: byteLength(float) };
    }
    case DataType.Flt4:
      return fixed(4, 'float4', float);
    case DataType.Flt8:
      return fixed(8, 'float8', float);
    case DataType.MoneyN:
      reader.u8();
      return { pgType: 'money', read: byteLength(money) };
    case DataType.Money:
      return fixed(8, 'money', money);
    case DataType.Money4:
      return fixed(4, 'money', money);
    case DataType.DateTimN:
      reader.u8();
      return { pgType: 'timestamp', read: byteLength(datetime) };
    case DataType.DateTime:
      return fixed(8, 'timestamp', datetime);
    case DataType.DateTim4:
      return fixed(4, 'timestamp', datetime);
    case DataType.Guid:
      reader.u8();
      return { pgType: 'uuid', read: byteLength(guid) };
    case DataType.DateN:
      return { pgType: 'date', read: byteLength((data) => formatDate(civilFromEpochDays(data.readUIntLE(0, 3) - DAYS_0001_TO_1970))) };
    case DataType.TimeN: {
      const scale = reader.u8();
      return { pgType: 'time', read: byteLength((data) => formatTime(ticks(data, scale))) };
    }
    case DataType.DateTime2N: {
      const scale = reader.u8();
      return { pgType: 'timestamp', read: byteLength((data) => dateTime2(data, scale, false)) };
    }
    case DataType.DateTimeOffsetN: {
      const scale = reader.u8();
      return { pgType: 'timestamptz', read: byteLength((data) => dateTime2(data, scale, true)) };
    }
    case DataType.NVarChar:
    case DataType.NChar:
    case DataType.BigVarChar:
    case DataType.BigChar: {
      const maxLength = reader.u16();
      reader.bytes(5, 'collation');
      const encoding = type === DataType.NVarChar || type === DataType.NChar ? 'utf16le' : 'latin1';
      return { pgType: 'text', read: variable(maxLength, (data) => data.toString(encoding)) };
    }
    case DataType.BigVarBinary:
    case DataType.BigBinary: {
      const maxLength = reader.u16();
      return { pgType: 'bytea', read: variable(maxLength, (data) => Buffer.from(data)) };
    }
    case DataType.Xml: {
      if (reader.u8() === 1) {
        reader.bVarchar();
        reader.bVarchar();
        reader.usVarchar();
      }
      return { pgType: 'xml', read: variable(0xffff, (data) => data.toString('utf16le').replace(/^\ufeff/, '')) };
    }
    default:
      throw new MalformedInput(`parameter type 0x${type.toString(16)} is not supported by the TDS test server`);
  }
}

function fixed(length: number, pgType: string, decode: (data: Buffer) => string): ParameterType {
  return { pgType, read: (reader) => decode(reader.bytes(length, 'parameter value')) };
}

function byteLength(decode: (data: Buffer) => string): (reader: BufferReader) => string | null {
  return (reader) => {
    const length = reader.u8('value length');
    return length === 0 ? null : decode(reader.bytes(length, 'parameter value'));
  };
}

/** USHORT-length values, or PLP chunks when the declared maximum is 0xFFFF. */
function variable<T>(maxLength: number, decode: (data: Buffer) => T): (reader: BufferReader) => T | null {
  if (maxLength !== 0xffff) {
    return (reader) => {
      const length = reader.u16('value length');
      return length === 0xffff ? null : decode(reader.bytes(length, 'parameter value'));
    };
  }
  return (reader) => {
    const total = reader.u64('PLP length');
    if (total === 0xffffffffffffffffn) return null;
    const chunks: Buffer[] = [];
    for (;;) {
      const length = reader.u32('PLP chunk length');
      if (length === 0) break;
      chunks.push(reader.bytes(length, 'PLP chunk'));
    }
    return decode(Buffer.concat(chunks));
  };
}

function integer(data: Buffer): string {
  switch (data.length) {
    case 1:
      return String(data.readUInt8(0));
    case 2:
      return String(data.readInt16LE(0));
    case 4:
      return String(data.readInt32LE(0));
    case 8:
      return String(data.readBigInt64LE(0));
    default:
      throw new MalformedInput(`integer of ${data.length} bytes`);
  }
}

function float(data: Buffer): string {
  if (data.length === 4) return String(data.readFloatLE(0));
  if (data.length === 8) return String(data.readDoubleLE(0));
  throw new MalformedInput(`float of ${data.length} bytes`);
}

function withScale(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

function decimal(data: Buffer, scale: number): string {
  let magnitude = 0n;
  for (let i = data.length - 1; i >= 1; i--) magnitude = (magnitude << 8n) | BigInt(data[i]!);
  return withScale(data[0] === 1 ? magnitude : -magnitude, scale);
}

function money(data: Buffer): string {
  if (data.length === 4) return withScale(BigInt(data.readInt32LE(0)), 4);
  if (data.length !== 8) throw new MalformedInput(`money of ${data.length} bytes`);
  return withScale((BigInt(data.readInt32LE(0)) << 32n) | BigInt(data.readUInt32LE(4)), 4);
}

function datetime(data: Buffer): string {
  if (data.length === 4) {
    const date = civilFromEpochDays(data.readUInt16LE(0) - DAYS_1900_TO_1970);
    return `${formatDate(date)} ${formatTime(BigInt(data.readUInt16LE(2)) * 600_000_000n)}`;
  }
  if (data.length !== 8) throw new MalformedInput(`datetime of ${data.length} bytes`);
  const date = civilFromEpochDays(data.readInt32LE(0) - DAYS_1900_TO_1970);
  const time = (BigInt(data.readUInt32LE(4)) * 100_000n + 1n) / 3n; // 1/300 s → 100 ns
  return `${formatDate(date)} ${formatTime(time)}`;
}

function guid(data: Buffer): string {
  const hex = Buffer.from([data[3]!, data[2]!, data[1]!, data[0]!, data[5]!, data[4]!, data[7]!, data[6]!, ...data.subarray(8)]).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function ticks(data: Buffer, scale: number): bigint {
  return BigInt(data.readUIntLE(0, data.length)) * 10n ** BigInt(7 - scale);
}

function dateTime2(data: Buffer, scale: number, withOffset: boolean): string {
  const timeBytes = data.length - 3 - (withOffset ? 2 : 0);
  if (timeBytes < 3 || timeBytes > 5) throw new MalformedInput(`date and time of ${data.length} bytes`);
  let time = ticks(data.subarray(0, timeBytes), scale);
  let days = data.readUIntLE(timeBytes, 3) - DAYS_0001_TO_1970;
  if (!withOffset) return `${formatDate(civilFromEpochDays(days))} ${formatTime(time)}`;
  // DATETIMEOFFSET carries UTC; PostgreSQL wants the local time with its offset.
  const offset = data.readInt16LE(timeBytes + 3);
  time += BigInt(offset) * 600_000_000n;
  const dayTicks = 864_000_000_000n;
  while (time < 0n) {
    time += dayTicks;
    days -= 1;
  }
  while (time >= dayTicks) {
    time -= dayTicks;
    days += 1;
  }
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${formatDate(civilFromEpochDays(days))} ${formatTime(time)}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
