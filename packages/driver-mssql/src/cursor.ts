// A bounds-checked reader over one buffer: running past the end throws Incomplete, which the token
// parser reads as "wait for more bytes" and message decoders as "malformed".

/** Not an Error: thrown once per token split across packets, so it must not pay for a stack trace. */
export class Incomplete {
  /** The position the read needed to reach. */
  constructor(readonly needed: number) {}
}

export class Cursor {
  pos: number;
  buf: Buffer;
  end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Points the cursor at another buffer (the token stream reuses one cursor). */
  reset(buf: Buffer, pos: number, end = buf.length): this {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    return this;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (this.pos + n > this.end) throw new Incomplete(this.pos + n);
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u16be(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u32be(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** UCS-2 text of `chars` characters. */
  ucs2(chars: number): string {
    return this.bytes(chars * 2).toString('utf16le');
  }

  /** B_VARCHAR: a 1-byte character count, then UCS-2. */
  bVarchar(): string {
    return this.ucs2(this.u8());
  }

  /** US_VARCHAR: a 2-byte character count, then UCS-2. */
  usVarchar(): string {
    return this.ucs2(this.u16());
  }

  /** B_VARBYTE: a 1-byte length, then bytes. */
  bVarbyte(): Buffer {
    return this.bytes(this.u8());
  }
}

/** Writes TDS fields into a growing buffer. */
export class Writer {
  #buf: Buffer;
  #pos = 0;

  constructor(size = 256) {
    this.#buf = Buffer.allocUnsafe(size);
  }

  get length(): number {
    return this.#pos;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(grown, 0, 0, this.#pos);
    this.#buf = grown;
  }

  u8(v: number): this {
    this.#room(1);
    this.#buf[this.#pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.#room(2);
    this.#buf.writeUInt16LE(v & 0xffff, this.#pos);
    this.#pos += 2;
    return this;
  }

  u16be(v: number): this {
    this.#room(2);
    this.#buf.writeUInt16BE(v & 0xffff, this.#pos);
    this.#pos += 2;
    return this;
  }

  i32(v: number): this {
    this.#room(4);
    this.#buf.writeInt32LE(v, this.#pos);
    this.#pos += 4;
    return this;
  }

  u32(v: number): this {
    this.#room(4);
    this.#buf.writeUInt32LE(v >>> 0, this.#pos);
    this.#pos += 4;
    return this;
  }

  u32be(v: number): this {
    this.#room(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#pos);
    this.#pos += 4;
    return this;
  }

  u64(v: bigint): this {
    this.#room(8);
    this.#buf.writeBigUInt64LE(v, this.#pos);
    this.#pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#room(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
    return this;
  }

  ucs2(s: string): this {
    return this.bytes(Buffer.from(s, 'utf16le'));
  }

  bVarchar(s: string): this {
    const text = s.length > 255 ? s.slice(0, 255) : s;
    return this.u8(text.length).ucs2(text);
  }

  usVarchar(s: string): this {
    const text = s.length > 65535 ? s.slice(0, 65535) : s;
    return this.u16(text.length).ucs2(text);
  }

  bVarbyte(b: Uint8Array): this {
    return this.u8(b.length).bytes(b);
  }

  /** Overwrites a 2-byte little-endian value at `at`. */
  patchU16(at: number, v: number): this {
    this.#buf.writeUInt16LE(v, at);
    return this;
  }

  patchU32(at: number, v: number): this {
    this.#buf.writeUInt32LE(v >>> 0, at);
    return this;
  }

  finish(): Buffer {
    return this.#buf.subarray(0, this.#pos);
  }
}
