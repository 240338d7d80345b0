// The tabular result token stream (MS-TDS 2.2.7): one token at a time from a cursor; ROW tokens are walked column by column to find where they end.
import { Token } from './codes.js';
import { Cursor } from './cursor.js';
import { decodeFeatures, type Feature } from './login7.js';
import { hasTableName, readTypeInfo, skipValue, ValueLayout, type TypeInfo } from './type-info.js';

export interface Column {
  readonly userType: number;
  readonly flags: number;
  readonly info: TypeInfo;
  readonly name: string;
  /** TEXT/NTEXT/IMAGE columns name their table. */
  readonly table?: string;
}

export interface ServerMessageToken {
  readonly number: number;
  readonly state: number;
  readonly severity: number;
  readonly message: string;
  readonly server: string;
  readonly procedure: string;
  readonly line: number;
}

interface Span {
  readonly start: number;
  readonly end: number;
}

export type TokenEvent = Span &
  (
    | { readonly kind: 'colmetadata'; readonly columns: readonly Column[] | null }
    | { readonly kind: 'row'; readonly nbc: boolean }
    | { readonly kind: 'done'; readonly token: number; readonly status: number; readonly command: number; readonly count: bigint }
    | ({ readonly kind: 'error' | 'info' } & ServerMessageToken)
    | { readonly kind: 'envchange'; readonly type: number; readonly body: Buffer }
    | { readonly kind: 'loginack'; readonly interface: number; readonly tdsVersion: number; readonly program: string; readonly version: number }
    | { readonly kind: 'featureextack'; readonly features: readonly Feature[] }
    | { readonly kind: 'returnstatus'; readonly value: number }
    | { readonly kind: 'returnvalue'; readonly ordinal: number; readonly name: string; readonly info: TypeInfo; readonly value: Span }
    | { readonly kind: 'other'; readonly token: number }
  );

/** Thrown for bytes that are not a token stream. */
export class TokenError extends Error {}

/**
 * Reads tokens; keeps the current result's columns so rows can be walked. Throws Incomplete when
 * the cursor runs out (the caller retries with more bytes), TokenError for a malformed stream.
 */
export class TokenParser {
  columns: readonly Column[] | undefined;

  next(c: Cursor): TokenEvent {
    const start = c.pos;
    const token = c.u8();
    switch (token) {
      case Token.ColMetadata: {
        const columns = readColumns(c);
        if (columns) this.columns = columns;
        return { kind: 'colmetadata', columns, start, end: c.pos };
      }
      case Token.Row:
      case Token.NbcRow: {
        const columns = this.columns;
        if (!columns) throw new TokenError('a row before any column metadata');
        const nbc = token === Token.NbcRow;
        skipRow(c, columns, nbc);
        return { kind: 'row', nbc, start, end: c.pos };
      }
      case Token.Done:
      case Token.DoneProc:
      case Token.DoneInProc: {
        const status = c.u16();
        const command = c.u16();
        const count = c.u64();
        return { kind: 'done', token, status, command, count, start, end: c.pos };
      }
      case Token.Error:
      case Token.Info: {
        const body = lengthPrefixed(c, 2);
        const message = decodeMessageToken(body);
        if (!message) throw new TokenError('malformed ERROR or INFO token');
        return { kind: token === Token.Error ? 'error' : 'info', ...message, start, end: c.pos };
      }
      case Token.EnvChange: {
        const body = lengthPrefixed(c, 2);
        if (body.length < 1) throw new TokenError('empty ENVCHANGE token');
        return { kind: 'envchange', type: body[0]!, body, start, end: c.pos };
      }
      case Token.LoginAck: {
        const body = new Cursor(lengthPrefixed(c, 2));
        try {
          const iface = body.u8();
          const tdsVersion = body.u32be();
          const program = body.bVarchar();
          const version = body.u32be();
          return { kind: 'loginack', interface: iface, tdsVersion, program, version, start, end: c.pos };
        } catch {
          throw new TokenError('malformed LOGINACK token');
        }
      }
      case Token.FeatureExtAck: {
        const from = c.pos;
        for (;;) {
          const id = c.u8();
          if (id === 0xff) break;
          c.skip(c.u32());
        }
        const features = decodeFeatures(c.buf.subarray(from, c.pos));
        if (!features) throw new TokenError('malformed FEATUREEXTACK token');
        return { kind: 'featureextack', features, start, end: c.pos };
      }
      case Token.ReturnStatus:
        return { kind: 'returnstatus', value: c.i32(), start, end: c.pos };
      case Token.ReturnValue: {
        const ordinal = c.u16();
        const name = c.bVarchar();
        c.u8(); // status
        c.u32(); // user type
        c.u16(); // flags
        const info = typeInfo(c);
        const from = c.pos;
        skipValue(c, info);
        return { kind: 'returnvalue', ordinal, name, info, value: { start: from, end: c.pos }, start, end: c.pos };
      }
      case Token.Order:
      case Token.ColInfo:
      case Token.TabName:
      case Token.Sspi:
        c.skip(c.u16());
        return { kind: 'other', token, start, end: c.pos };
      case Token.FedAuthInfo:
      case Token.SessionState:
      case Token.DataClassification:
        c.skip(c.u32());
        return { kind: 'other', token, start, end: c.pos };
      case Token.Offset:
        c.skip(4);
        return { kind: 'other', token, start, end: c.pos };
      default:
        throw new TokenError(`unknown token 0x${token.toString(16)}`);
    }
  }
}

function lengthPrefixed(c: Cursor, size: 2 | 4): Buffer {
  return c.bytes(size === 2 ? c.u16() : c.u32());
}

function typeInfo(c: Cursor): TypeInfo {
  try {
    return readTypeInfo(c);
  } catch (error) {
    if (error instanceof RangeError) throw new TokenError(error.message);
    throw error;
  }
}

/** COLMETADATA after its token byte; null for NoMetaData (0xFFFF). */
function readColumns(c: Cursor): Column[] | null {
  const count = c.u16();
  if (count === 0xffff) return null;
  const columns: Column[] = [];
  for (let i = 0; i < count; i++) {
    const userType = c.u32();
    const flags = c.u16();
    const info = typeInfo(c);
    let table: string | undefined;
    if (hasTableName(info)) {
      const parts = c.u8();
      const names: string[] = [];
      for (let p = 0; p < parts; p++) names.push(c.usVarchar());
      table = names.join('.');
    }
    const name = c.bVarchar();
    columns.push({ userType, flags, info, name, ...(table === undefined ? {} : { table }) });
  }
  return columns;
}

function skipRow(c: Cursor, columns: readonly Column[], nbc: boolean): void {
  if (!nbc) {
    for (const column of columns) skipValue(c, column.info);
    return;
  }
  const bitmap = c.bytes((columns.length + 7) >> 3);
  for (let i = 0; i < columns.length; i++) {
    if (bitmap[i >> 3]! & (1 << (i & 7))) continue;
    skipValue(c, columns[i]!.info);
  }
}

/** Where each value of a row lies in `buf` (its wire form, prefix included); null for NULL. */
export function rowValueRanges(buf: Buffer, start: number, end: number, columns: readonly Column[], nbc: boolean): ({ start: number; end: number } | null)[] {
  const c = new Cursor(buf, start + 1, end);
  const ranges: ({ start: number; end: number } | null)[] = new Array(columns.length);
  const bitmap = nbc ? c.bytes((columns.length + 7) >> 3) : undefined;
  for (let i = 0; i < columns.length; i++) {
    if (bitmap && bitmap[i >> 3]! & (1 << (i & 7))) {
      ranges[i] = null;
      continue;
    }
    const from = c.pos;
    const notNull = skipValue(c, columns[i]!.info);
    ranges[i] = notNull ? { start: from, end: c.pos } : null;
  }
  return ranges;
}

export function decodeMessageToken(body: Buffer): ServerMessageToken | undefined {
  const c = new Cursor(body);
  try {
    return {
      number: c.i32(),
      state: c.u8(),
      severity: c.u8(),
      message: c.usVarchar(),
      server: c.bVarchar(),
      procedure: c.bVarchar(),
      line: c.remaining >= 4 ? c.i32() : c.remaining >= 2 ? c.u16() : 0,
    };
  } catch {
    return undefined;
  }
}

/** A PLP column is a (max) type: its values are chunked. */
export function isPlp(column: Column): boolean {
  return column.info.layout === ValueLayout.Plp;
}
