// Prepared statements as the client sees them, and the parameters of COM_STMT_EXECUTE decoded for plugins.
import { ColumnType } from './constants.js';
import type { ColumnDefinition } from './columns.js';
import { decodeOrUndefined, PayloadReader } from './payload.js';
import { binaryValueRange, binaryValueText, nullBitmapLength } from './rows.js';

/** Bytes of COM_STMT_SEND_LONG_DATA kept per parameter for plugins; the rest still reaches the server. */
export const LONG_DATA_KEPT = 64 * 1024;

export interface PreparedStatement {
  readonly sql: string;
  readonly paramCount: number;
  readonly columnCount: number;
  /** Parameter types from the last execute that bound them (2 bytes each). */
  paramTypes?: Buffer;
  /** Long data sent since the last execute, by parameter. */
  readonly longData: Map<number, { bytes: Buffer[]; kept: number; total: number }>;
  /** Result columns of the last execute, for the rows COM_STMT_FETCH brings later. */
  columns?: ColumnDefinition[];
}

export interface ExecuteRequest {
  readonly statementId: number;
  readonly flags: number;
}

export function decodeExecuteHeader(payload: Buffer): ExecuteRequest | undefined {
  if (payload.length < 10) return undefined;
  return { statementId: payload.readUInt32LE(1), flags: payload[5]! };
}

/**
 * The parameters of a COM_STMT_EXECUTE as text (NULL as null); undefined when malformed. Stores the
 * types the packet binds on the statement, since later executes may omit them.
 */
export function decodeExecuteParams(payload: Buffer, statement: PreparedStatement): (string | null)[] | undefined {
  const count = statement.paramCount;
  if (count === 0) return [];
  return decodeOrUndefined(() => {
    const reader = new PayloadReader(payload, 10);
    const nulls = reader.bytes(nullBitmapLength(count, 0));
    const bound = reader.int1();
    if (bound === 1) statement.paramTypes = Buffer.from(reader.bytes(count * 2));
    const types = statement.paramTypes;
    if (!types) return undefined;
    const values: (string | null)[] = [];
    for (let i = 0; i < count; i++) {
      if (nulls[i >> 3]! & (1 << (i & 7))) {
        values.push(null);
        continue;
      }
      const long = statement.longData.get(i);
      if (long) {
        values.push(Buffer.concat(long.bytes).toString('utf8'));
        continue;
      }
      const typeId = types[i * 2]!;
      if (typeId === ColumnType.Null) {
        values.push(null);
        continue;
      }
      const column: ColumnDefinition = { name: '', type: '', typeId, flags: types[i * 2 + 1]! & 0x80 ? 32 : 0, charset: 0, decimals: 6 };
      const range = binaryValueRange(reader, typeId);
      const text = binaryValueText(reader.buffer, range, column);
      values.push(trimFraction(text, typeId));
    }
    return values;
  });
}

/** Temporal parameters are printed with 6 fractional digits; drop a zero fraction as a client would write it. */
function trimFraction(text: string, typeId: number): string {
  if (typeId === ColumnType.Tiny || typeId === ColumnType.Short || typeId === ColumnType.Long || typeId === ColumnType.LongLong) return text;
  return text.replace(/\.0{6}$/, '');
}

/** Keeps the start of a COM_STMT_SEND_LONG_DATA chunk for the execute that follows. */
export function recordLongData(payload: Buffer, statements: ReadonlyMap<number, PreparedStatement>): void {
  if (payload.length < 7) return;
  const statement = statements.get(payload.readUInt32LE(1));
  if (!statement) return;
  const param = payload.readUInt16LE(5);
  const data = payload.subarray(7);
  let entry = statement.longData.get(param);
  if (!entry) {
    entry = { bytes: [], kept: 0, total: 0 };
    statement.longData.set(param, entry);
  }
  entry.total += data.length;
  const room = LONG_DATA_KEPT - entry.kept;
  if (room > 0) {
    const kept = Buffer.from(data.subarray(0, room));
    entry.bytes.push(kept);
    entry.kept += kept.length;
  }
}

/** Bulk flag: the packet carries the parameter types. */
const SEND_TYPES_TO_SERVER = 128;
/** Bulk row indicators: 0 a value follows; 1 NULL, 2 DEFAULT, 3 IGNORE carry none. */
const INDICATOR_NONE = 0;

/** The first row of parameters of a COM_STMT_BULK_EXECUTE as text; undefined when malformed. */
export function decodeBulkFirstRow(payload: Buffer, statement: PreparedStatement): (string | null)[] | undefined {
  const count = statement.paramCount;
  return decodeOrUndefined(() => {
    const reader = new PayloadReader(payload, 5);
    const flags = reader.int2();
    if (flags & SEND_TYPES_TO_SERVER) statement.paramTypes = Buffer.from(reader.bytes(count * 2));
    const types = statement.paramTypes;
    if (!types) return undefined;
    const values: (string | null)[] = [];
    for (let i = 0; i < count; i++) {
      const indicator = reader.int1();
      const typeId = types[i * 2]!;
      if (indicator !== INDICATOR_NONE || typeId === ColumnType.Null) {
        values.push(null);
        continue;
      }
      const column: ColumnDefinition = { name: '', type: '', typeId, flags: types[i * 2 + 1]! & 0x80 ? 32 : 0, charset: 0, decimals: 6 };
      const range = binaryValueRange(reader, typeId);
      values.push(trimFraction(binaryValueText(reader.buffer, range, column), typeId));
    }
    return values;
  });
}
