// Decoders for the messages a PostgreSQL client sends; a malformed body decodes to undefined.
import { RequestCode } from './codes.js';

export type StartupPacket =
  | { readonly kind: 'startup'; readonly major: number; readonly minor: number; readonly parameters: ReadonlyMap<string, string> }
  | { readonly kind: 'ssl' }
  | { readonly kind: 'gssenc' }
  | { readonly kind: 'cancel'; readonly processId: number; readonly secretKey: Buffer };

/** Body of an untyped startup packet (after the length). */
export function decodeStartup(body: Buffer): StartupPacket | undefined {
  if (body.length < 4) return undefined;
  const code = body.readInt32BE(0);
  switch (code) {
    case RequestCode.SSLRequest:
      return body.length === 4 ? { kind: 'ssl' } : undefined;
    case RequestCode.GSSENCRequest:
      return body.length === 4 ? { kind: 'gssenc' } : undefined;
    case RequestCode.CancelRequest:
      // Protocol 3.2 allows keys up to 256 bytes; 3.0 uses 4.
      if (body.length < 12 || body.length > 8 + 256) return undefined;
      return { kind: 'cancel', processId: body.readInt32BE(4), secretKey: Buffer.from(body.subarray(8)) };
  }
  const parameters = new Map<string, string>();
  const reader = new CStringReader(body, 4);
  for (;;) {
    const name = reader.next();
    if (name === undefined) return undefined;
    if (name === '') break;
    const value = reader.next();
    if (value === undefined) return undefined;
    parameters.set(name, value);
  }
  if (!reader.atEnd) return undefined;
  return { kind: 'startup', major: code >>> 16, minor: code & 0xffff, parameters };
}

/** Query ('Q'): the SQL text. */
export function decodeQuery(body: Buffer): string | undefined {
  const reader = new CStringReader(body, 0);
  const sql = reader.next();
  return reader.atEnd ? sql : undefined;
}

/** SASLInitialResponse ('p' during SASL): mechanism and the client-first message. */
export function decodeSASLInitialResponse(body: Buffer): { mechanism: string; data: Buffer } | undefined {
  const reader = new CStringReader(body, 0);
  const mechanism = reader.next();
  if (mechanism === undefined || body.length < reader.offset + 4) return undefined;
  const length = body.readInt32BE(reader.offset);
  const start = reader.offset + 4;
  if (length === -1) return start === body.length ? { mechanism, data: Buffer.alloc(0) } : undefined;
  if (length < 0 || start + length !== body.length) return undefined;
  return { mechanism, data: body.subarray(start) };
}

/** PasswordMessage ('p' after a cleartext request). */
export function decodePassword(body: Buffer): string | undefined {
  return decodeQuery(body);
}

class CStringReader {
  offset: number;

  constructor(private readonly buffer: Buffer, offset: number) {
    this.offset = offset;
  }

  get atEnd(): boolean {
    return this.offset === this.buffer.length;
  }

  next(): string | undefined {
    const end = this.buffer.indexOf(0, this.offset);
    if (end === -1) return undefined;
    const value = this.buffer.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return value;
  }
}

export interface ParseMessage {
  readonly statement: string;
  readonly sql: string;
  readonly parameterTypes: readonly number[];
}

/** Parse ('P'): statement name, SQL, parameter type OIDs. */
export function decodeParse(body: Buffer): ParseMessage | undefined {
  const reader = new CStringReader(body, 0);
  const statement = reader.next();
  const sql = reader.next();
  if (statement === undefined || sql === undefined || body.length < reader.offset + 2) return undefined;
  const count = body.readInt16BE(reader.offset);
  if (count < 0 || body.length !== reader.offset + 2 + count * 4) return undefined;
  const parameterTypes: number[] = [];
  for (let i = 0; i < count; i++) parameterTypes.push(body.readUInt32BE(reader.offset + 2 + i * 4));
  return { statement, sql, parameterTypes };
}

export interface BindMessage {
  readonly portal: string;
  readonly statement: string;
  /** Parameter values: text for text-format parameters, raw bytes for binary ones, null for NULL. */
  readonly parameters: readonly (string | Uint8Array | null)[];
  /** Result column format codes as sent: none (all text), one (for all), or one per column. */
  readonly resultFormats: readonly number[];
}

/** Bind ('B'). */
export function decodeBind(body: Buffer): BindMessage | undefined {
  const reader = new CStringReader(body, 0);
  const portal = reader.next();
  const statement = reader.next();
  if (portal === undefined || statement === undefined) return undefined;
  const values = decodeParameterValues(body, reader.offset);
  if (!values) return undefined;
  const resultFormats = decodeInt16List(body, values.offset);
  if (!resultFormats || resultFormats.offset !== body.length) return undefined;
  return { portal, statement, parameters: values.parameters, resultFormats: resultFormats.values };
}

/**
 * Format codes, then parameter values (Bind and FunctionCall share this layout): text values as
 * strings, binary ones as bytes, NULL as null.
 */
export function decodeParameterValues(body: Buffer, start: number): { parameters: (string | Uint8Array | null)[]; offset: number } | undefined {
  const formats = decodeInt16List(body, start);
  if (!formats || formats.offset + 2 > body.length) return undefined;
  const count = body.readInt16BE(formats.offset);
  let offset = formats.offset + 2;
  if (count < 0 || (formats.values.length > 1 && formats.values.length !== count)) return undefined;
  const parameters: (string | Uint8Array | null)[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 4 > body.length) return undefined;
    const length = body.readInt32BE(offset);
    offset += 4;
    if (length === -1) {
      parameters.push(null);
      continue;
    }
    if (length < 0 || offset + length > body.length) return undefined;
    const binary = (formats.values.length === 1 ? formats.values[0] : formats.values[i]) === 1;
    const value = body.subarray(offset, offset + length);
    parameters.push(binary ? Uint8Array.prototype.slice.call(value) : value.toString('utf8'));
    offset += length;
  }
  return { parameters, offset };
}

/** An int16 count followed by that many int16 values. */
function decodeInt16List(body: Buffer, start: number): { values: number[]; offset: number } | undefined {
  if (start + 2 > body.length) return undefined;
  const count = body.readInt16BE(start);
  const end = start + 2 + count * 2;
  if (count < 0 || end > body.length) return undefined;
  const values: number[] = [];
  for (let i = 0; i < count; i++) values.push(body.readInt16BE(start + 2 + i * 2));
  return { values, offset: end };
}

/** Describe ('D') and Close ('C'): 'S' statement or 'P' portal, and its name. */
export function decodeTarget(body: Buffer): { readonly type: 'S' | 'P'; readonly name: string } | undefined {
  const type = body[0];
  if (type !== 0x53 && type !== 0x50) return undefined;
  const reader = new CStringReader(body, 1);
  const name = reader.next();
  if (name === undefined || !reader.atEnd) return undefined;
  return { type: type === 0x53 ? 'S' : 'P', name };
}

/** Execute ('E'): portal name and the row limit (0 = all). */
export function decodeExecute(body: Buffer): { readonly portal: string; readonly maxRows: number } | undefined {
  const reader = new CStringReader(body, 0);
  const portal = reader.next();
  if (portal === undefined || body.length !== reader.offset + 4) return undefined;
  return { portal, maxRows: body.readInt32BE(reader.offset) };
}
