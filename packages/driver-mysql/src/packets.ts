// Generic response packets (OK, ERR, EOF) in both directions.
import { Capability } from './constants.js';
import { decodeOrUndefined, PayloadReader, PayloadWriter } from './payload.js';

export interface OkPacket {
  readonly affectedRows: number;
  readonly lastInsertId: number;
  readonly status: number;
  readonly warnings: number;
}

export interface ErrPacket {
  readonly code: number;
  /** Absent for pre-4.1 style errors and progress reports. */
  readonly state?: string;
  readonly message: string;
}

export interface EofPacket {
  readonly warnings: number;
  readonly status: number;
}

/** An OK packet (header 0x00, or 0xfe when it ends a result under CLIENT_DEPRECATE_EOF). */
export function decodeOk(payload: Buffer): OkPacket | undefined {
  return decodeOrUndefined(() => {
    const reader = new PayloadReader(payload, 1);
    const affectedRows = reader.lenencNumber();
    const lastInsertId = reader.lenencNumber();
    const status = reader.remaining >= 2 ? reader.int2() : 0;
    const warnings = reader.remaining >= 2 ? reader.int2() : 0;
    return { affectedRows, lastInsertId, status, warnings };
  });
}

export function decodeErr(payload: Buffer): ErrPacket | undefined {
  return decodeOrUndefined(() => {
    const reader = new PayloadReader(payload, 1);
    const code = reader.int2();
    if (reader.remaining > 0 && reader.buffer[reader.offset] === 0x23 /* # */) {
      reader.offset++;
      const state = reader.bytes(5).toString('latin1');
      return { code, state, message: reader.rest().toString('utf8') };
    }
    return { code, message: reader.rest().toString('utf8') };
  });
}

/** A legacy EOF packet (0xfe, warnings, status). */
export function decodeEof(payload: Buffer): EofPacket {
  return {
    warnings: payload.length >= 3 ? payload.readUInt16LE(1) : 0,
    status: payload.length >= 5 ? payload.readUInt16LE(3) : 0,
  };
}

export function okPayload(fields: Partial<OkPacket> & { header?: number; info?: string }, capabilities: number): Buffer {
  const writer = new PayloadWriter(32)
    .int1(fields.header ?? 0x00)
    .lenenc(fields.affectedRows ?? 0)
    .lenenc(fields.lastInsertId ?? 0)
    .int2(fields.status ?? 0)
    .int2(fields.warnings ?? 0);
  if (fields.info) {
    if (capabilities & Capability.SESSION_TRACK) writer.lenencString(fields.info);
    else writer.bytes(Buffer.from(fields.info, 'utf8'));
  }
  return writer.finish();
}

export function errPayload(error: ErrPacket): Buffer {
  return new PayloadWriter(error.message.length + 16)
    .int1(0xff)
    .int2(error.code)
    .bytes(Buffer.from(`#${error.state ?? 'HY000'}`, 'latin1'))
    .bytes(Buffer.from(error.message, 'utf8'))
    .finish();
}

export function eofPayload(eof: EofPacket): Buffer {
  return new PayloadWriter(5).int1(0xfe).int2(eof.warnings).int2(eof.status).finish();
}
