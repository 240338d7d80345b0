// TYPE_INFO (MS-TDS 2.2.5.6): how a column's or parameter's type is described, and how its values are laid out on the wire.
import { DataType } from './codes.js';
import { Cursor } from './cursor.js';

/** How a value of the type is framed in a row. */
export const enum ValueLayout {
  /** Fixed size, no length prefix. */
  Fixed,
  /** 1-byte length prefix, 0 = NULL (except for the legacy CHAR/VARCHAR/BINARY with 0xFF = NULL). */
  ByteLen,
  /** 2-byte length prefix, 0xFFFF = NULL. */
  UShortLen,
  /** Partially length-prefixed: 8-byte total, chunks, 0 terminator. */
  Plp,
  /** TEXT/NTEXT/IMAGE: text pointer, timestamp, 4-byte length. */
  LongLen,
  /** sql_variant: 4-byte length, 0 = NULL. */
  Variant,
}

export interface TypeInfo {
  readonly type: number;
  readonly layout: ValueLayout;
  /** Size of a Fixed value; the declared maximum length for the others. */
  readonly length: number;
  readonly precision?: number;
  readonly scale?: number;
  /** 5-byte collation of character types. */
  readonly collation?: Buffer;
  /** The SQL Server type name, e.g. `nvarchar`, `int`, `datetime2`. */
  readonly name: string;
}

const FIXED: Readonly<Record<number, readonly [number, string]>> = {
  [DataType.Null]: [0, 'null'],
  [DataType.Int1]: [1, 'tinyint'],
  [DataType.Bit]: [1, 'bit'],
  [DataType.Int2]: [2, 'smallint'],
  [DataType.Int4]: [4, 'int'],
  [DataType.DateTime4]: [4, 'smalldatetime'],
  [DataType.Float4]: [4, 'real'],
  [DataType.Money]: [8, 'money'],
  [DataType.DateTime]: [8, 'datetime'],
  [DataType.Float8]: [8, 'float'],
  [DataType.Money4]: [4, 'smallmoney'],
  [DataType.Int8]: [8, 'bigint'],
};

/** Reads a TYPE_INFO; throws Incomplete when the bytes run out, RangeError for an unknown type. */
export function readTypeInfo(c: Cursor): TypeInfo {
  const type = c.u8();
  const fixed = FIXED[type];
  if (fixed) return { type, layout: ValueLayout.Fixed, length: fixed[0], name: fixed[1] };
  switch (type) {
    case DataType.IntN: {
      const length = c.u8();
      return { type, layout: ValueLayout.ByteLen, length, name: ({ 1: 'tinyint', 2: 'smallint', 4: 'int', 8: 'bigint' } as Record<number, string>)[length] ?? 'int' };
    }
    case DataType.BitN:
      return { type, layout: ValueLayout.ByteLen, length: c.u8(), name: 'bit' };
    case DataType.FloatN: {
      const length = c.u8();
      return { type, layout: ValueLayout.ByteLen, length, name: length === 4 ? 'real' : 'float' };
    }
    case DataType.MoneyN: {
      const length = c.u8();
      return { type, layout: ValueLayout.ByteLen, length, name: length === 4 ? 'smallmoney' : 'money' };
    }
    case DataType.DateTimeN: {
      const length = c.u8();
      return { type, layout: ValueLayout.ByteLen, length, name: length === 4 ? 'smalldatetime' : 'datetime' };
    }
    case DataType.Guid:
      return { type, layout: ValueLayout.ByteLen, length: c.u8(), name: 'uniqueidentifier' };
    case DataType.Decimal:
    case DataType.Numeric:
    case DataType.DecimalN:
    case DataType.NumericN: {
      const length = c.u8();
      const precision = c.u8();
      const scale = c.u8();
      const name = type === DataType.Numeric || type === DataType.NumericN ? 'numeric' : 'decimal';
      return { type, layout: ValueLayout.ByteLen, length, precision, scale, name };
    }
    case DataType.DateN:
      return { type, layout: ValueLayout.ByteLen, length: 3, name: 'date' };
    case DataType.TimeN: {
      const scale = c.u8();
      return { type, layout: ValueLayout.ByteLen, length: timeBytes(scale), scale, name: 'time' };
    }
    case DataType.DateTime2N: {
      const scale = c.u8();
      return { type, layout: ValueLayout.ByteLen, length: timeBytes(scale) + 3, scale, name: 'datetime2' };
    }
    case DataType.DateTimeOffsetN: {
      const scale = c.u8();
      return { type, layout: ValueLayout.ByteLen, length: timeBytes(scale) + 5, scale, name: 'datetimeoffset' };
    }
    case DataType.Char:
    case DataType.VarChar:
      return { type, layout: ValueLayout.ByteLen, length: c.u8(), name: type === DataType.Char ? 'char' : 'varchar' };
    case DataType.Binary:
    case DataType.VarBinary:
      return { type, layout: ValueLayout.ByteLen, length: c.u8(), name: type === DataType.Binary ? 'binary' : 'varbinary' };
    case DataType.BigVarBinary:
    case DataType.BigBinary: {
      const length = c.u16();
      const name = type === DataType.BigBinary ? 'binary' : 'varbinary';
      return { type, layout: length === 0xffff ? ValueLayout.Plp : ValueLayout.UShortLen, length, name };
    }
    case DataType.BigVarChar:
    case DataType.BigChar:
    case DataType.NVarChar:
    case DataType.NChar: {
      const length = c.u16();
      const collation = c.bytes(5);
      const name = ({ [DataType.BigVarChar]: 'varchar', [DataType.BigChar]: 'char', [DataType.NVarChar]: 'nvarchar', [DataType.NChar]: 'nchar' } as Record<number, string>)[type]!;
      return { type, layout: length === 0xffff ? ValueLayout.Plp : ValueLayout.UShortLen, length, collation, name };
    }
    case DataType.Xml: {
      if (c.u8() === 1) {
        c.bVarchar(); // database
        c.bVarchar(); // owning schema
        c.usVarchar(); // schema collection
      }
      return { type, layout: ValueLayout.Plp, length: 0xffff, name: 'xml' };
    }
    case DataType.Udt: {
      const length = c.u16();
      c.bVarchar(); // database
      c.bVarchar(); // schema
      const typeName = c.bVarchar();
      c.usVarchar(); // assembly qualified name
      return { type, layout: ValueLayout.Plp, length, name: typeName.toLowerCase() || 'udt' };
    }
    case DataType.Text:
    case DataType.NText: {
      const length = c.u32();
      const collation = c.bytes(5);
      return { type, layout: ValueLayout.LongLen, length, collation, name: type === DataType.Text ? 'text' : 'ntext' };
    }
    case DataType.Image:
      return { type, layout: ValueLayout.LongLen, length: c.u32(), name: 'image' };
    case DataType.SqlVariant:
      return { type, layout: ValueLayout.Variant, length: c.u32(), name: 'sql_variant' };
    default:
      throw new RangeError(`unknown data type 0x${type.toString(16)}`);
  }
}

/** Bytes of a time value of the given scale. */
export function timeBytes(scale: number): number {
  return scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
}

/** TEXT/NTEXT/IMAGE columns carry a table name after TYPE_INFO in COLMETADATA. */
export function hasTableName(info: TypeInfo): boolean {
  return info.layout === ValueLayout.LongLen;
}

/** Legacy 1-byte-length types where 0xFF (not 0) marks NULL. */
function legacyNullFF(type: number): boolean {
  return type === DataType.Char || type === DataType.VarChar || type === DataType.Binary || type === DataType.VarBinary;
}

/** Where one value lies: `start..end` is the whole wire form (prefix included); `data` null for NULL. */
export interface ValueRange {
  readonly start: number;
  readonly end: number;
}

/** Skips one value; returns false when it is NULL. Throws Incomplete when bytes run out. */
export function skipValue(c: Cursor, info: TypeInfo): boolean {
  switch (info.layout) {
    case ValueLayout.Fixed:
      c.skip(info.length);
      return info.type !== DataType.Null;
    case ValueLayout.ByteLen: {
      const length = c.u8();
      if (length === 0xff && legacyNullFF(info.type)) return false;
      c.skip(length);
      return length > 0 || legacyNullFF(info.type);
    }
    case ValueLayout.UShortLen: {
      const length = c.u16();
      if (length === 0xffff) return false;
      c.skip(length);
      return true;
    }
    case ValueLayout.Plp: {
      const total = c.u64();
      if (total === PLP_NULL) return false;
      for (;;) {
        const chunk = c.u32();
        if (chunk === 0) return true;
        c.skip(chunk);
      }
    }
    case ValueLayout.LongLen: {
      const pointer = c.u8();
      if (pointer === 0) return false;
      c.skip(pointer + 8);
      c.skip(c.u32());
      return true;
    }
    case ValueLayout.Variant: {
      const length = c.u32();
      c.skip(length);
      return length > 0;
    }
  }
}

export const PLP_NULL = 0xffffffffffffffffn;
export const PLP_UNKNOWN_LENGTH = 0xfffffffffffffffen;

/** Reads one value's data bytes (PLP chunks joined); null for NULL. */
export function readValue(c: Cursor, info: TypeInfo): Buffer | null {
  switch (info.layout) {
    case ValueLayout.Fixed:
      return info.type === DataType.Null ? null : c.bytes(info.length);
    case ValueLayout.ByteLen: {
      const length = c.u8();
      if (length === 0xff && legacyNullFF(info.type)) return null;
      if (length === 0 && !legacyNullFF(info.type)) return null;
      return c.bytes(length);
    }
    case ValueLayout.UShortLen: {
      const length = c.u16();
      return length === 0xffff ? null : c.bytes(length);
    }
    case ValueLayout.Plp: {
      const total = c.u64();
      if (total === PLP_NULL) return null;
      const chunks: Buffer[] = [];
      for (;;) {
        const chunk = c.u32();
        if (chunk === 0) return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        chunks.push(c.bytes(chunk));
      }
    }
    case ValueLayout.LongLen: {
      const pointer = c.u8();
      if (pointer === 0) return null;
      c.skip(pointer + 8);
      return c.bytes(c.u32());
    }
    case ValueLayout.Variant: {
      const length = c.u32();
      return length === 0 ? null : c.bytes(length);
    }
  }
}

/** The wire form of one value (length prefix included) for a column of this type; null writes NULL. */
export function frameValue(info: TypeInfo, data: Buffer | null): Buffer {
  switch (info.layout) {
    case ValueLayout.Fixed:
      if (data === null || data.length !== info.length) throw new RangeError(`a ${info.name} column cannot hold this value without NULL support`);
      return data;
    case ValueLayout.ByteLen: {
      if (data === null) return Buffer.from([legacyNullFF(info.type) ? 0xff : 0]);
      if (data.length > 0xfe) throw new RangeError(`value too long for ${info.name}`);
      return Buffer.concat([Buffer.from([data.length]), data]);
    }
    case ValueLayout.UShortLen: {
      if (data === null) return Buffer.from([0xff, 0xff]);
      if (data.length >= 0xffff) throw new RangeError(`value too long for ${info.name}`);
      const head = Buffer.allocUnsafe(2);
      head.writeUInt16LE(data.length);
      return Buffer.concat([head, data]);
    }
    case ValueLayout.Plp: {
      if (data === null) return Buffer.from(PLP_NULL_BYTES);
      const head = Buffer.allocUnsafe(data.length > 0 ? 16 : 12);
      head.writeBigUInt64LE(BigInt(data.length), 0);
      if (data.length > 0) {
        head.writeUInt32LE(data.length, 8);
        head.writeUInt32LE(0, 12);
        return Buffer.concat([head.subarray(0, 12), data, head.subarray(12)]);
      }
      head.writeUInt32LE(0, 8);
      return head;
    }
    case ValueLayout.LongLen: {
      if (data === null) return Buffer.from([0]);
      const out = Buffer.alloc(1 + 16 + 8 + 4 + data.length);
      out[0] = 16; // text pointer length; the pointer and timestamp are opaque to clients
      out.writeUInt32LE(data.length, 25);
      data.copy(out, 29);
      return out;
    }
    case ValueLayout.Variant: {
      const head = Buffer.alloc(4);
      if (data === null) return head;
      head.writeUInt32LE(data.length);
      return Buffer.concat([head, data]);
    }
  }
}

const PLP_NULL_BYTES = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
