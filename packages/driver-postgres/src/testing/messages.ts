// Test-only builders of PostgreSQL wire messages, written independently of the driver's own writer.

/** A message's first byte, given as its letter ('Q') or its code (0x51). */
export type MessageCode = string | number;

export function int16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}

export function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

export function cstring(value: string): Buffer {
  return Buffer.concat([Buffer.from(value, 'utf8'), Buffer.from([0])]);
}

/** A typed message: code, int32 length (counting itself), body. */
export function typed(code: MessageCode, ...body: Buffer[]): Buffer {
  const content = Buffer.concat(body);
  const byte = typeof code === 'string' ? code.charCodeAt(0) : code;
  return Buffer.concat([Buffer.from([byte]), int32(content.length + 4), content]);
}

/** An untyped startup-phase packet: int32 length (counting itself), body. */
export function untyped(...body: Buffer[]): Buffer {
  const content = Buffer.concat(body);
  return Buffer.concat([int32(content.length + 4), content]);
}

/** What follows the code and length of a typed message. */
export const typedBody = (message: Buffer): Buffer => message.subarray(5);

/** What follows the length of a startup packet. */
export const untypedBody = (packet: Buffer): Buffer => packet.subarray(4);

/** A copy of `bytes` in an ArrayBuffer of its own, as a socket hands out (never Node's shared pool). */
export function ownChunk(bytes: Uint8Array): Buffer {
  const memory = new ArrayBuffer(bytes.length);
  new Uint8Array(memory).set(bytes);
  return Buffer.from(memory);
}

// ── Client messages ────────────────────────────────────────────────────────────

export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;

export function startup(parameters: Record<string, string>, version = PROTOCOL_3_0): Buffer {
  const pairs = Object.entries(parameters).flatMap(([name, value]) => [cstring(name), cstring(value)]);
  return untyped(int32(version), ...pairs, Buffer.from([0]));
}

export const sslRequest = (): Buffer => untyped(int32(SSL_REQUEST_CODE));
export const gssencRequest = (): Buffer => untyped(int32(GSSENC_REQUEST_CODE));

export const cancelRequest = (processId: number, secretKey: Buffer): Buffer =>
  untyped(int32(CANCEL_REQUEST_CODE), int32(processId), secretKey);

export const query = (sql: string): Buffer => typed('Q', cstring(sql));

export const parse = (name: string, sql: string, parameterTypes: readonly number[] = []): Buffer =>
  typed('P', cstring(name), cstring(sql), int16(parameterTypes.length), ...parameterTypes.map(int32));

export const sync = (): Buffer => typed('S');
export const terminate = (): Buffer => typed('X');
export const password = (text: string): Buffer => typed('p', cstring(text));

/** SASLInitialResponse; `null` data sends length -1 (no initial response). */
export const saslInitialResponse = (mechanism: string, data: Buffer | null): Buffer =>
  typed('p', cstring(mechanism), data === null ? int32(-1) : Buffer.concat([int32(data.length), data]));

// ── Server messages ────────────────────────────────────────────────────────────

export const authenticationOk = (): Buffer => typed('R', int32(0));
export const parameterStatus = (name: string, value: string): Buffer => typed('S', cstring(name), cstring(value));
export const backendKeyData = (processId: number, secretKey: number): Buffer => typed('K', int32(processId), int32(secretKey));
export const readyForQuery = (status: 'I' | 'T' | 'E' = 'I'): Buffer => typed('Z', Buffer.from(status));
export const commandComplete = (tag: string): Buffer => typed('C', cstring(tag));

export interface ColumnSpec {
  readonly name: string;
  readonly tableOid?: number;
  readonly columnNumber?: number;
  readonly typeOid?: number;
  readonly typeSize?: number;
  readonly typeModifier?: number;
  /** 0 text, 1 binary. */
  readonly format?: number;
}

export function rowDescription(columns: readonly ColumnSpec[]): Buffer {
  const fields = columns.map((column) =>
    Buffer.concat([
      cstring(column.name),
      int32(column.tableOid ?? 0),
      int16(column.columnNumber ?? 0),
      int32(column.typeOid ?? 25),
      int16(column.typeSize ?? -1),
      int32(column.typeModifier ?? -1),
      int16(column.format ?? 0),
    ]),
  );
  return typed('T', int16(columns.length), ...fields);
}

/** DataRow: strings as UTF-8, Buffers as raw bytes, null as length -1. */
export function dataRow(values: readonly (string | Buffer | null)[]): Buffer {
  const fields = values.map((value) => {
    if (value === null) return int32(-1);
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    return Buffer.concat([int32(bytes.length), bytes]);
  });
  return typed('D', int16(values.length), ...fields);
}

/** ErrorResponse (or NoticeResponse with code 'N') from one-letter field codes: `{ S: 'ERROR', C: '42P01', M: '…' }`. */
export function errorResponse(fields: Record<string, string>, code: MessageCode = 'E'): Buffer {
  const parts = Object.entries(fields).map(([field, value]) => Buffer.concat([Buffer.from(field), cstring(value)]));
  return typed(code, ...parts, Buffer.from([0]));
}
