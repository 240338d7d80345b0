// Client requests after login: SQLBatch text, RPC calls with their parameters, transaction manager requests.
import { DataType, SPECIAL_PROCEDURES } from './codes.js';
import { Cursor } from './cursor.js';
import { readTypeInfo, readValue, ValueLayout, type TypeInfo } from './type-info.js';
import { valueText } from './values.js';

/** Skips ALL_HEADERS (TDS 7.2+): a 4-byte total length that counts itself. */
function afterHeaders(payload: Buffer): number | undefined {
  if (payload.length < 4) return undefined;
  const total = payload.readUInt32LE(0);
  if (total < 4 || total > payload.length) return undefined;
  return total;
}

/** The SQL text of an SQLBatch; undefined when malformed. */
export function decodeSqlBatch(payload: Buffer): string | undefined {
  const start = afterHeaders(payload);
  if (start === undefined || (payload.length - start) % 2 !== 0) return undefined;
  return payload.toString('utf16le', start);
}

export interface RpcParameter {
  readonly name: string;
  readonly output: boolean;
  readonly info: TypeInfo;
  /** The value as text; null for NULL. */
  readonly value: string | null;
}

export interface RpcCall {
  /** The procedure's name, or the well-known name of its id. */
  readonly procedure: string;
  /** Set when the client named the procedure by id (sp_executesql = 10…). */
  readonly procId?: number;
  readonly parameters: readonly RpcParameter[];
}

const BATCH_FLAGS = new Set([0x80, 0xff, 0xfe]);
const OUTPUT_FLAG = 0x01;

/** Every RPC call of an RPC request; undefined when malformed. */
export function decodeRpc(payload: Buffer): RpcCall[] | undefined {
  const start = afterHeaders(payload);
  if (start === undefined) return undefined;
  const c = new Cursor(payload, start);
  const calls: RpcCall[] = [];
  try {
    while (c.remaining > 0) {
      const nameLength = c.u16();
      let procedure: string;
      let procId: number | undefined;
      if (nameLength === 0xffff) {
        procId = c.u16();
        procedure = SPECIAL_PROCEDURES[procId] ?? `procedure #${procId}`;
      } else {
        procedure = c.ucs2(nameLength);
      }
      c.u16(); // option flags
      const parameters: RpcParameter[] = [];
      while (c.remaining > 0 && !BATCH_FLAGS.has(c.buf[c.pos]!)) {
        const name = c.bVarchar();
        const status = c.u8();
        const info = readTypeInfo(c);
        const data = info.layout === ValueLayout.LongLen ? readLongParameter(c) : readValue(c, info);
        parameters.push({ name, output: (status & OUTPUT_FLAG) !== 0, info, value: data === null ? null : valueText(info, data) });
      }
      calls.push({ procedure, ...(procId === undefined ? {} : { procId }), parameters });
      if (c.remaining > 0) c.u8(); // batch flag
    }
    return calls;
  } catch {
    return undefined;
  }
}

/** TEXT/NTEXT/IMAGE parameters: a 4-byte length (0xFFFFFFFF = NULL), no text pointer. */
function readLongParameter(c: Cursor): Buffer | null {
  const length = c.u32();
  return length === 0xffffffff ? null : c.bytes(length);
}

/** Transaction manager request types (MS-TDS 2.2.6.9). */
const TM_REQUESTS: Readonly<Record<number, string>> = {
  0: 'TM_GET_DTC_ADDRESS',
  1: 'TM_PROPAGATE_XACT',
  5: 'BEGIN TRANSACTION',
  6: 'TM_PROMOTE_XACT',
  7: 'COMMIT TRANSACTION',
  8: 'ROLLBACK TRANSACTION',
  9: 'SAVE TRANSACTION',
};

export interface TransactionRequest {
  readonly type: number;
  /** The request as the equivalent T-SQL where there is one (BEGIN/COMMIT/ROLLBACK/SAVE TRANSACTION name). */
  readonly sql: string;
  /** Distributed transaction requests have no T-SQL equivalent. */
  readonly distributed: boolean;
}

export function decodeTransactionRequest(payload: Buffer): TransactionRequest | undefined {
  const start = afterHeaders(payload);
  if (start === undefined) return undefined;
  const c = new Cursor(payload, start);
  try {
    const type = c.u16();
    const base = TM_REQUESTS[type];
    if (!base) return undefined;
    let name = '';
    if (type === 5) {
      c.u8(); // isolation level
      name = c.remaining > 0 ? c.bVarchar() : '';
    } else if (type === 7 || type === 8) {
      name = c.remaining > 0 ? c.bVarchar() : '';
    } else if (type === 9) {
      name = c.bVarchar();
    }
    return { type, sql: name ? `${base} ${quoteName(name)}` : base, distributed: type <= 1 || type === 6 };
  } catch {
    return undefined;
  }
}

function quoteName(name: string): string {
  return `[${name.replace(/]/g, ']]')}]`;
}

/** Whether a type holds an integer (a prepared statement handle). */
export function isIntegerType(info: TypeInfo): boolean {
  return info.type === DataType.IntN || info.type === DataType.Int4 || info.type === DataType.Int2 || info.type === DataType.Int8;
}
