// A growable little-endian byte writer for building TDS payloads and tokens.

export class BufferWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(initialSize = 256) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  get size(): number {
    return this.length;
  }

  private reserve(bytes: number): number {
    const needed = this.length + bytes;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    const at = this.length;
    this.length = needed;
    return at;
  }

  u8(value: number): this {
    const at = this.reserve(1);
    this.buffer.writeUInt8(value, at);
    return this;
  }
  u16(value: number): this {
    const at = this.reserve(2);
    this.buffer.writeUInt16LE(value, at);
    return this;
  }
  u16be(value: number): this {
    const at = this.reserve(2);
    this.buffer.writeUInt16BE(value, at);
    return this;
  }
  i16(value: number): this {
    const at = this.reserve(2);
    this.buffer.writeInt16LE(value, at);
    return this;
  }
  u32(value: number): this {
    const at = this.reserve(4);
    this.buffer.writeUInt32LE(value, at);
    return this;
  }
  u32be(value: number): this {
    const at = this.reserve(4);
    this.buffer.writeUInt32BE(value, at);
    return this;
  }
  i32(value: number): this {
    const at = this.reserve(4);
    this.buffer.writeInt32LE(value, at);
    return this;
  }
  u64(value: bigint): this {
    const at = this.reserve(8);
    this.buffer.writeBigUInt64LE(value, at);
    return this;
  }
  i64(value: bigint): this {
    const at = this.reserve(8);
    this.buffer.writeBigInt64LE(value, at);
    return this;
  }
  f32(value: number): this {
    const at = this.reserve(4);
    this.buffer.writeFloatLE(value, at);
    return this;
  }
  f64(value: number): this {
    const at = this.reserve(8);
    this.buffer.writeDoubleLE(value, at);
    return this;
  }
  bytes(value: Uint8Array): this {
    const at = this.reserve(value.length);
    this.buffer.set(value, at);
    return this;
  }
  /** An unsigned little-endian integer of `width` bytes (1..8). */
  uintLE(value: bigint, width: number): this {
    const at = this.reserve(width);
    let rest = value;
    for (let i = 0; i < width; i++) {
      this.buffer[at + i] = Number(rest & 0xffn);
      rest >>= 8n;
    }
    return this;
  }
  ucs2(text: string): this {
    const at = this.reserve(text.length * 2);
    this.buffer.write(text, at, text.length * 2, 'utf16le');
    return this;
  }
  /** B_VARCHAR: one byte of character count, then UCS-2. */
  bVarchar(text: string): this {
    return this.u8(text.length).ucs2(text);
  }
  /** US_VARCHAR: two bytes of character count, then UCS-2. */
  usVarchar(text: string): this {
    return this.u16(text.length).ucs2(text);
  }
  /** B_VARBYTE: one byte of length, then the bytes. */
  bVarbyte(value: Uint8Array): this {
    return this.u8(value.length).bytes(value);
  }

  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
