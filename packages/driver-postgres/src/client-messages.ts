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
  if (length === -1) return { mechanism, data: Buffer.alloc(0) };
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
