// Reading and writing the field types of packet payloads: fixed integers, length-encoded integers and strings, NUL-terminated strings.

/** Thrown by PayloadReader on a truncated or inconsistent payload; decoders turn it into `undefined`. */
export class MalformedPayload extends Error {}

export class PayloadReader {
  readonly buffer: Buffer;
  offset: number;

  constructor(buffer: Buffer, offset = 0) {
    this.buffer = buffer;
    this.offset = offset;
  }

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  #need(bytes: number): void {
    if (this.offset + bytes > this.buffer.length) throw new MalformedPayload(`payload ends ${this.offset + bytes - this.buffer.length} bytes early`);
  }

  int1(): number {
    this.#need(1);
    return this.buffer[this.offset++]!;
  }

  int2(): number {
    this.#need(2);
    const value = this.buffer.readUInt16LE(this.offset);
    this.offset += 2;
    return value;
  }

  int3(): number {
    this.#need(3);
    const value = this.buffer.readUIntLE(this.offset, 3);
    this.offset += 3;
    return value;
  }

  int4(): number {
    this.#need(4);
    const value = this.buffer.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  int8(): bigint {
    this.#need(8);
    const value = this.buffer.readBigUInt64LE(this.offset);
    this.offset += 8;
    return value;
  }

  /** A length-encoded integer; null for the NULL marker 0xfb. Values above 2^53 are refused. */
  lenenc(): number | null {
    const first = this.int1();
    if (first < 0xfb) return first;
    if (first === 0xfb) return null;
    if (first === 0xfc) return this.int2();
    if (first === 0xfd) return this.int3();
    if (first === 0xfe) {
      const value = this.int8();
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedPayload('length-encoded integer out of range');
      return Number(value);
    }
    throw new MalformedPayload('invalid length-encoded integer (0xff)');
  }

  /** A length-encoded integer that must not be NULL. */
  lenencNumber(): number {
    const value = this.lenenc();
    if (value === null) throw new MalformedPayload('unexpected NULL');
    return value;
  }

  bytes(length: number): Buffer {
    this.#need(length);
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  lenencBytes(): Buffer {
    return this.bytes(this.lenencNumber());
  }

  lenencString(): string {
    return this.lenencBytes().toString('utf8');
  }

  /** Bytes up to a NUL (consumed, not returned). */
  nulBytes(): Buffer {
    const end = this.buffer.indexOf(0, this.offset);
    if (end === -1) throw new MalformedPayload('unterminated string');
    const value = this.buffer.subarray(this.offset, end);
    this.offset = end + 1;
    return value;
  }

  nulString(): string {
    return this.nulBytes().toString('utf8');
  }

  /** Everything left. */
  rest(): Buffer {
    const value = this.buffer.subarray(this.offset);
    this.offset = this.buffer.length;
    return value;
  }
}

/** Runs a decoder; a MalformedPayload becomes undefined, anything else is a bug and propagates. */
export function decodeOrUndefined<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (error) {
    if (error instanceof MalformedPayload) return undefined;
    throw error;
  }
}

export class PayloadWriter {
  #buffer: Buffer;
  #length = 0;

  constructor(size = 64) {
    this.#buffer = Buffer.allocUnsafe(Math.max(size, 16));
  }

  get length(): number {
    return this.#length;
  }

  int1(value: number): this {
    this.#ensure(1);
    this.#buffer[this.#length++] = value & 0xff;
    return this;
  }

  int2(value: number): this {
    this.#ensure(2);
    this.#buffer.writeUInt16LE(value & 0xffff, this.#length);
    this.#length += 2;
    return this;
  }

  int3(value: number): this {
    this.#ensure(3);
    this.#buffer.writeUIntLE(value, this.#length, 3);
    this.#length += 3;
    return this;
  }

  int4(value: number): this {
    this.#ensure(4);
    this.#buffer.writeUInt32LE(value >>> 0, this.#length);
    this.#length += 4;
    return this;
  }

  int8(value: bigint): this {
    this.#ensure(8);
    this.#buffer.writeBigUInt64LE(BigInt.asUintN(64, value), this.#length);
    this.#length += 8;
    return this;
  }

  lenenc(value: number): this {
    if (value < 0xfb) return this.int1(value);
    if (value <= 0xffff) return this.int1(0xfc).int2(value);
    if (value <= 0xffffff) return this.int1(0xfd).int3(value);
    return this.int1(0xfe).int8(BigInt(value));
  }

  bytes(value: Uint8Array): this {
    this.#ensure(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  zeros(count: number): this {
    this.#ensure(count);
    this.#buffer.fill(0, this.#length, this.#length + count);
    this.#length += count;
    return this;
  }

  lenencBytes(value: Uint8Array): this {
    return this.lenenc(value.length).bytes(value);
  }

  lenencString(value: string): this {
    return this.lenencBytes(Buffer.from(value, 'utf8'));
  }

  nulString(value: string | Uint8Array): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    return this.bytes(bytes).int1(0);
  }

  finish(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }

  #ensure(extra: number): void {
    if (this.#length + extra <= this.#buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + extra));
    this.#buffer.copy(bigger, 0, 0, this.#length);
    this.#buffer = bigger;
  }
}
