// Builds one PostgreSQL message: code, int32 length, then fields.

export class MessageWriter {
  #buffer: Buffer;
  #length = 5;

  constructor(private readonly code: number, size = 64) {
    this.#buffer = Buffer.allocUnsafe(Math.max(size, 16));
  }

  int32(value: number): this {
    this.#ensure(4);
    this.#buffer.writeInt32BE(value, this.#length);
    this.#length += 4;
    return this;
  }

  int16(value: number): this {
    this.#ensure(2);
    this.#buffer.writeInt16BE(value, this.#length);
    this.#length += 2;
    return this;
  }

  byte(value: number): this {
    this.#ensure(1);
    this.#buffer[this.#length++] = value;
    return this;
  }

  cstring(value: string): this {
    const bytes = Buffer.byteLength(value);
    this.#ensure(bytes + 1);
    this.#buffer.write(value, this.#length, 'utf8');
    this.#length += bytes;
    this.#buffer[this.#length++] = 0;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.#ensure(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  finish(): Buffer {
    this.#buffer[0] = this.code;
    this.#buffer.writeInt32BE(this.#length - 1, 1);
    return this.#buffer.subarray(0, this.#length);
  }

  #ensure(extra: number): void {
    if (this.#length + extra <= this.#buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + extra));
    this.#buffer.copy(bigger, 0, 0, this.#length);
    this.#buffer = bigger;
  }
}
