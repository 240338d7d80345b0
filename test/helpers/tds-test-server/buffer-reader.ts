// A bounds-checked little-endian reader over one client message; running past the end throws MalformedInput.

export class MalformedInput extends Error {}

export class BufferReader {
  offset = 0;

  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  private take(bytes: number, what: string): number {
    if (bytes < 0 || this.offset + bytes > this.buffer.length) throw new MalformedInput(`${what} runs past the end of the message`);
    const at = this.offset;
    this.offset += bytes;
    return at;
  }

  peekU8(): number | undefined {
    return this.buffer[this.offset];
  }
  u8(what = 'byte'): number {
    return this.buffer[this.take(1, what)]!;
  }
  u16(what = 'USHORT'): number {
    return this.buffer.readUInt16LE(this.take(2, what));
  }
  i16(what = 'SHORT'): number {
    return this.buffer.readInt16LE(this.take(2, what));
  }
  u32(what = 'ULONG'): number {
    return this.buffer.readUInt32LE(this.take(4, what));
  }
  i32(what = 'LONG'): number {
    return this.buffer.readInt32LE(this.take(4, what));
  }
  u64(what = 'ULONGLONG'): bigint {
    return this.buffer.readBigUInt64LE(this.take(8, what));
  }
  bytes(length: number, what = 'bytes'): Buffer {
    const at = this.take(length, what);
    return this.buffer.subarray(at, at + length);
  }
  ucs2(chars: number, what = 'text'): string {
    return this.bytes(chars * 2, what).toString('utf16le');
  }
  bVarchar(what = 'B_VARCHAR'): string {
    return this.ucs2(this.u8(what), what);
  }
  usVarchar(what = 'US_VARCHAR'): string {
    return this.ucs2(this.u16(what), what);
  }
  rest(): Buffer {
    return this.bytes(this.remaining);
  }
}

/** Skips ALL_HEADERS (MS-TDS 2.2.5.3) at the start of SQLBatch, RPC and transaction manager requests. */
export function skipAllHeaders(reader: BufferReader): void {
  const total = reader.u32('ALL_HEADERS length');
  if (total < 4) throw new MalformedInput(`ALL_HEADERS length ${total} is shorter than itself`);
  reader.bytes(total - 4, 'ALL_HEADERS');
}
