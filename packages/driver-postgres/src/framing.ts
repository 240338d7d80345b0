// Zero-copy framing of PostgreSQL messages out of a byte stream: views into the chunks, one copy only for a message split across chunks.

/** One message: `raw` is the whole message (code, length, body), `body` what follows the length. */
export interface Frame {
  readonly code: number;
  readonly body: Buffer;
  readonly raw: Buffer;
}

/** A stream that cannot be framed: the session ends with this reason. */
export interface FramingError {
  readonly error: string;
}

const EMPTY = Buffer.alloc(0);

export class MessageFramer {
  #maxMessage: number;
  #head: Buffer = EMPTY;
  #offset = 0;
  readonly #tail: Buffer[] = [];
  #tailBytes = 0;

  constructor(maxMessage: number) {
    this.#maxMessage = maxMessage;
  }

  setMaxMessage(maxMessage: number): void {
    this.#maxMessage = maxMessage;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#offset === this.#head.length && this.#tail.length === 0) {
      this.#head = chunk;
      this.#offset = 0;
    } else {
      this.#tail.push(chunk);
      this.#tailBytes += chunk.length;
    }
  }

  get buffered(): number {
    return this.#head.length - this.#offset + this.#tailBytes;
  }

  /** Whether next() would return a whole message (or an error) without more bytes. */
  hasMessage(): boolean {
    if (this.buffered < 5 || !this.#contiguous(5)) return false;
    const length = this.#head.readInt32BE(this.#offset + 1);
    return length < 4 || length > this.#maxMessage || this.buffered >= length + 1;
  }

  /** Next typed message, undefined when more bytes are needed, or a FramingError. */
  next(): Frame | FramingError | undefined {
    if (!this.#contiguous(5)) return undefined;
    const length = this.#head.readInt32BE(this.#offset + 1);
    if (length < 4 || length > this.#maxMessage) {
      return { error: `invalid message length ${length} for message type 0x${this.#head[this.#offset]!.toString(16)}` };
    }
    if (!this.#contiguous(length + 1)) return undefined;
    const raw = this.#head.subarray(this.#offset, this.#offset + length + 1);
    this.#offset += length + 1;
    return { code: raw[0]!, body: raw.subarray(5), raw };
  }

  /** Next untyped startup-phase packet (int32 length including itself, then the body). */
  nextStartup(maxLength: number): { body: Buffer; raw: Buffer } | FramingError | undefined {
    if (!this.#contiguous(4)) return undefined;
    const length = this.#head.readInt32BE(this.#offset);
    if (length < 8 || length > maxLength) return { error: `invalid length of startup packet (${length})` };
    if (!this.#contiguous(length)) return undefined;
    const raw = this.#head.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return { body: raw.subarray(4), raw };
  }

  /** Removes and returns every byte not yet framed. */
  drain(): Buffer {
    const rest = this.#tail.length === 0 ? this.#head.subarray(this.#offset) : Buffer.concat([this.#head.subarray(this.#offset), ...this.#tail]);
    this.#head = EMPTY;
    this.#offset = 0;
    this.#tail.length = 0;
    this.#tailBytes = 0;
    return rest;
  }

  /**
   * Makes `bytes` bytes readable from #head at #offset. An exhausted head is replaced by the next
   * chunk as it is; only a message split across chunks is copied, and only its own bytes.
   */
  #contiguous(bytes: number): boolean {
    while (this.#offset === this.#head.length && this.#tail.length > 0) {
      const next = this.#tail.shift()!;
      this.#tailBytes -= next.length;
      this.#head = next;
      this.#offset = 0;
    }
    const inHead = this.#head.length - this.#offset;
    if (inHead >= bytes) return true;
    if (inHead + this.#tailBytes < bytes) return false;
    const merged = Buffer.allocUnsafe(bytes);
    this.#head.copy(merged, 0, this.#offset);
    let filled = inHead;
    while (filled < bytes) {
      const chunk = this.#tail.shift()!;
      this.#tailBytes -= chunk.length;
      const take = Math.min(chunk.length, bytes - filled);
      chunk.copy(merged, filled, 0, take);
      filled += take;
      if (take < chunk.length) {
        const rest = chunk.subarray(take);
        this.#tail.unshift(rest);
        this.#tailBytes += rest.length;
      }
    }
    this.#head = merged;
    this.#offset = 0;
    return true;
  }
}

export function isFramingError(value: unknown): value is FramingError {
  return typeof value === 'object' && value !== null && 'error' in value;
}
